// Built against the installed qrlogin (find_package) with only its public
// headers: checks the installed crypto against tests/vectors/transcript-v1.json
// (key, channel id, link, HPKE opening of the sender's frames), then runs a
// complete pairing between a Receiver and a Sender in this process with the
// transcript's page URL, credential and label.
//   pair_in_process <transcript-v1.json>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "crypto/hpke.hpp"
#include "crypto/pairing/channel.hpp"
#include "crypto/pairing/constants.hpp"
#include "crypto/pairing/credential.hpp"
#include "crypto/pairing/link.hpp"
#include "crypto/pairing/receiver.hpp"
#include "crypto/pairing/sender.hpp"
#include "crypto/x25519.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
  if (!ok) ++failures;
}

Bytes hex(const nlohmann::json& value) { return hex_decode(value.get<std::string>()).value(); }

template <class A>
const A* find(const Actions& actions) {
  for (const auto& action : actions)
    if (const auto* a = std::get_if<A>(&action)) return a;
  return nullptr;
}

Bytes only_frame(const Actions& actions) {
  const auto* f = find<SendFrame>(actions);
  return f ? f->frame : Bytes{};
}

Bytes frame_of(const nlohmann::json& t, const std::string& type) {
  for (const auto& f : t["frames"])
    if (f["type"] == type) return hex(f["hex"]);
  return {};
}

void check_vectors(const nlohmann::json& t) {
  auto sk = hex(t["skR"]);
  auto pair = x25519::from_secret(sk);
  check(pair.ok() && hex_encode(pair->public_key) == t["pkR"].get<std::string>(), "X25519 public key of skR");
  auto pk = hex(t["pkR"]);
  auto cid = channel_id(pk);
  check(cid.text == t["cid"].get<std::string>(), "channel id of pkR");
  check(hex_encode(hpke_info(cid)) == t["info"].get<std::string>(), "HPKE info");
  auto link = build_link(t["page_url"].get<std::string>(), pk);
  check(link.ok() && *link == t["link"].get<std::string>(), "link built from the page URL and pkR");
  auto parsed = parse_link(t["link"].get<std::string>());
  check(parsed.ok() && parsed->cid.text == cid.text, "link parsed back to the channel id");

  // The receiver's side of HPKE with the transcript's key: REVEAL, then
  // CREDENTIAL, each opened with its type byte as associated data.
  auto ctx = hpke::setup_base_receiver(kAead, hex(t["enc"]), sk, hpke_info(cid));
  check(ctx.ok(), "HPKE receiver context from enc and skR");
  if (!ctx.ok()) return;
  auto reveal = frame_of(t, "REVEAL");
  auto ns = ctx->open(ByteView(reveal).first(1), ByteView(reveal).subspan(1));
  check(ns.ok() && hex_encode(ns->view()) == t["Ns"].get<std::string>(), "REVEAL opens to Ns");
  auto credential = frame_of(t, "CREDENTIAL");
  auto plain = ctx->open(ByteView(credential).first(1), ByteView(credential).subspan(1));
  check(plain.ok() && hex_encode(plain->view()) == t["credential_plaintext_hex"].get<std::string>(),
        "CREDENTIAL opens to the padded credential");
}

void pair(const nlohmann::json& t) {
  auto receiver = Receiver::create(t["page_url"].get<std::string>(), {});
  check(receiver.ok(), "Receiver::create");
  if (!receiver.ok()) return;
  auto& r = *receiver;
  auto link = parse_link(r.link());
  check(link.ok(), "the receiver's link parses");
  if (!link.ok()) return;
  auto j = credential_json_from_text(as_bytes(t["credential"].get<std::string>()), t["label"].get<std::string>());
  auto sender = Sender::create(*link, std::move(j).value());
  check(sender.ok(), "Sender::create");
  if (!sender.ok()) return;
  auto& s = *sender;

  auto sizes = [&](const std::string& type) { return frame_of(t, type).size(); };
  auto hello = only_frame(s.start());
  check(hello.size() == sizes("HELLO"), "HELLO has the transcript's size");
  auto ready = only_frame(r.on_frame(hello));
  check(ready.size() == sizes("READY"), "READY has the transcript's size");
  auto after_ready = s.on_frame(ready);
  auto reveal = only_frame(after_ready);
  check(reveal.size() == sizes("REVEAL"), "REVEAL has the transcript's size");
  auto after_reveal = r.on_frame(reveal);
  const auto* sas_s = find<ShowSas>(after_ready);
  const auto* sas_r = find<ShowSas>(after_reveal);
  check(sas_s && sas_r && sas_s->code == sas_r->code && sas_s->code.size() == t["sas"].get<std::string>().size(),
        "both sides show the same code");
  auto credential = only_frame(s.on_user_confirmed());
  check(credential.size() == sizes("CREDENTIAL"), "CREDENTIAL has the transcript's size");
  check(r.on_frame(credential).empty(), "the credential is held until the receiver confirms");
  auto delivered = r.on_user_confirmed();
  const auto* d = find<DeliverCredential>(delivered);
  check(d && std::string(as_chars(d->credential.bytes.view())) == t["delivered_credential"].get<std::string>() &&
            d->credential.label == t["label"].get<std::string>(),
        "the receiver gets the transcript's credential and label");
  auto result = only_frame(r.on_credential_handled(true));
  check(result.size() == sizes("RESULT"), "RESULT has the transcript's size");
  const auto* shown = find<ShowResult>(s.on_frame(result));
  check(shown && shown->accepted, "the sender sees the credential accepted");
  check(r.state() == Receiver::State::done && s.state() == Sender::State::done, "both machines are done");
  check(!r.holds_secrets() && !s.holds_secrets(), "no secret is kept after the pairing");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: pair_in_process <transcript-v1.json>\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  auto t = nlohmann::json::parse(in, nullptr, false);
  if (t.is_discarded()) {
    std::fprintf(stderr, "pair_in_process: cannot read %s\n", argv[1]);
    return 2;
  }
  check_vectors(t);
  pair(t);
  std::printf("%s\n", failures == 0 ? "pairing: complete" : "pairing: FAILED");
  return failures == 0 ? 0 : 1;
}
