#include "relay/core/control.hpp"

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

std::string make_joined_message(const JoinedInfo& info) {
  nlohmann::json j = {{"type", "joined"},
                      {"role", role_name(info.role)},
                      {"expires_in_ms", info.expires_in.count() < 0 ? 0 : info.expires_in.count()},
                      {"peer", info.peer}};
  if (!info.resume_token.empty()) j["resume_token"] = info.resume_token;
  if (info.received) j["received"] = *info.received;
  return j.dump();
}

std::string make_peer_message(PeerEvent event) {
  return nlohmann::json{{"type", "peer"}, {"event", peer_event_name(event)}}.dump();
}

std::string make_intrusion_message() { return R"({"type":"intrusion"})"; }

std::string make_error_message(Code code) {
  return nlohmann::json{{"type", "error"}, {"code", code_name(code)}, {"message", code_message(code)}}.dump();
}

namespace {
Error bad(std::string what) { return qrlogin::make_error(Errc::bad_encoding, "control message: " + std::move(what)); }
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
  }
  return msg;
}

}  // namespace qrlogin::relay
