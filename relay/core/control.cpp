#include "relay/core/control.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

namespace qrlogin::relay {

std::string_view peer_event_name(PeerEvent event) noexcept {
  switch (event) {
    case PeerEvent::joined: return "joined";
    case PeerEvent::left: return "left";
    case PeerEvent::back: return "back";
  }
  return "left";
}

namespace {
// The constant messages are rendered once, by nlohmann::json as before (so
// the bytes are the same: keys sorted, no spaces), not per pairing.
struct Rendered {
  std::array<std::string, 3> peer;
  std::array<std::string, kCodeCount> error;
  Rendered() {
    for (auto e : {PeerEvent::joined, PeerEvent::left, PeerEvent::back})
      peer[static_cast<std::size_t>(e)] = nlohmann::json{{"type", "peer"}, {"event", peer_event_name(e)}}.dump();
    for (std::size_t i = 0; i < kCodeCount; ++i) {
      auto code = static_cast<Code>(i);
      error[i] = nlohmann::json{{"type", "error"},
                                 {"code", code_name(code)},
                                 {"message", code_message(code)},
                                 {"resume", code_resumable(code)}}
                     .dump();
    }
  }
};
const Rendered& rendered() {
  static const Rendered r;
  return r;
}

bool needs_no_escape(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}
}  // namespace

std::string make_joined_message(const JoinedInfo& info) {
  auto expires = info.expires_in.count() < 0 ? std::int64_t{0} : static_cast<std::int64_t>(info.expires_in.count());
  if (!needs_no_escape(info.resume_token)) {  // never for a base64url token; kept exact for anything else
    nlohmann::json j = {{"type", "joined"}, {"role", role_name(info.role)}, {"expires_in_ms", expires}, {"peer", info.peer}};
    if (info.kind == ChannelKind::code) j["kind"] = kind_name(info.kind);
    if (!info.resume_token.empty()) j["resume_token"] = info.resume_token;
    if (info.received) j["received"] = *info.received;
    return j.dump();
  }
  // What nlohmann::json::dump() writes for this object (keys in sorted
  // order, no spaces), by string formatting. Reserved up front so the token
  // is never left behind in a reallocated buffer.
  std::string out;
  out.reserve(128 + info.resume_token.size());
  out += R"({"expires_in_ms":)";
  out += std::to_string(expires);
  if (info.kind == ChannelKind::code) out += R"(,"kind":"code")";
  out += info.peer ? R"(,"peer":true)" : R"(,"peer":false)";
  if (info.received) {
    out += R"(,"received":)";
    out += std::to_string(*info.received);
  }
  if (!info.resume_token.empty()) {
    out += R"(,"resume_token":")";
    out += info.resume_token;
    out += '"';
  }
  out += R"(,"role":")";
  out += role_name(info.role);
  out += R"(","type":"joined"})";
  return out;
}

std::string make_peer_message(PeerEvent event) { return rendered().peer[static_cast<std::size_t>(event)]; }

std::string make_intrusion_message() { return R"({"type":"intrusion"})"; }

std::string make_error_message(Code code) { return rendered().error[static_cast<std::size_t>(code)]; }

namespace {
Error bad(std::string what) { return qrlogin::make_error(Errc::bad_control, "control message: " + std::move(what)); }
}  // namespace

Result<ControlMessage> parse_control(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return bad("no string \"type\"");
  ControlMessage msg;
  msg.type = type->get<std::string>();
  if (msg.type == "joined") {
    auto role = j.find("role");
    auto expires = j.find("expires_in_ms");
    auto peer = j.find("peer");
    if (role == j.end() || !role->is_string()) return bad("joined without a role");
    if (*role == "receiver") msg.role = Role::receiver;
    else if (*role == "sender") msg.role = Role::sender;
    else return bad("joined with an unknown role");
    if (expires == j.end() || !expires->is_number_unsigned()) return bad("joined without expires_in_ms");
    msg.expires_in = Millis{expires->get<std::int64_t>()};
    if (peer == j.end() || !peer->is_boolean()) return bad("joined without peer");
    msg.peer = peer->get<bool>();
    if (auto token = j.find("resume_token"); token != j.end()) {
      if (!token->is_string()) return bad("joined with a non-string resume_token");
      msg.resume_token = token->get<std::string>();
    }
    if (auto received = j.find("received"); received != j.end()) {
      if (!received->is_number_unsigned()) return bad("joined with a bad received");
      msg.received = received->get<std::uint64_t>();
    }
    if (auto kind = j.find("kind"); kind != j.end()) {
      if (!kind->is_string()) return bad("joined with a non-string kind");
      msg.kind = kind->get<std::string>();
    }
  } else if (msg.type == "peer") {
    auto event = j.find("event");
    if (event == j.end() || !event->is_string()) return bad("peer without event");
    msg.event = event->get<std::string>();
  } else if (msg.type == "error") {
    auto code = j.find("code");
    auto message = j.find("message");
    if (code == j.end() || !code->is_string()) return bad("error without code");
    msg.code = code->get<std::string>();
    if (message != j.end() && message->is_string()) msg.message = message->get<std::string>();
    if (auto resume = j.find("resume"); resume != j.end()) {
      if (!resume->is_boolean()) return bad("error with a non-boolean resume");
      msg.resume = resume->get<bool>();
    }
  }
  return msg;
}

}  // namespace qrlogin::relay
