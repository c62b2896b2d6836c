// Pairing: the new device registers its channel id, the approving device
// looks it up and mints a grant for it, the new device redeems the grant.
#include "crypto/bytes.hpp"
#include "crypto/secret.hpp"
#include "web/app/api.hpp"
#include "web/app/json_io.hpp"
#include "web/app/names.hpp"
#include "web/app/network.hpp"
#include "web/app/secrets.hpp"

namespace qrlogin::app {
namespace {

inline constexpr std::size_t kCidChars = 22;  // base64url of the protocol's 16-byte channel id
inline constexpr std::size_t kCidBytes = 16;

Result<std::string> read_cid(const Json& body) {
  auto cid = read_string(body, "cid", true);
  if (!cid.ok()) return cid.error();
  const std::string& text = **cid;
  auto raw = text.size() == kCidChars ? base64url_decode(text) : Result<Bytes>(make_error(AppErrc::bad_cid, ""));
  if (!raw.ok() || raw->size() != kCidBytes)
    return make_error(AppErrc::bad_cid, "\"cid\" must be the channel id: 22 characters of base64url");
  return std::move(**cid);
}

std::int64_t seconds_left(UnixMillis until, UnixMillis now) { return until > now ? (until - now + 999) / 1000 : 0; }

// What a lookup or a mint may do with a registration at `now`.
Status check_pairing_open(const std::optional<PairingRow>& pairing, UnixMillis now) {
  if (!pairing) return make_error(AppErrc::unknown_cid, "no device registered this channel id (or it expired long ago)");
  if (pairing->redeemed_at) return make_error(AppErrc::pairing_used, "a device already logged in with this code");
  if (now >= pairing->expires_at) return make_error(AppErrc::pairing_expired, "this code has expired");
  return {};
}

// What approving takes, given where the two devices are: "confirm" (the
// plain Confirm), "deliberate" (the explicit "this is my device, somewhere
// else" step and the typed code), or "refused" (--other-network refuse).
std::string_view approval_for(NetworkRelation relation, bool refuse_other_network) {
  if (relation != NetworkRelation::other_network) return "confirm";
  return refuse_other_network ? "refused" : "deliberate";
}

// What the phone calls the device asking: its browser and OS from the
// User-Agent, and for a program (the CLI) the name it declared:
// "qrlogin CLI on build-server". Both are the requester's own claims.
std::string requester_name(const PairingRow& pairing) {
  std::string name = device_name_from_user_agent(pairing.user_agent);
  if (pairing.declared_name.empty()) return name;
  if (pairing.user_agent.starts_with("qrlogin/")) return "qrlogin CLI on " + pairing.declared_name;
  return name + " \u201c" + pairing.declared_name + "\u201d";
}

}  // namespace

ApiResponse Api::register_pairing(const ApiRequest& request) {
  const UnixMillis now = clock_.now();
  const auto address = address_key(request.peer);
  if (!registrations_per_address_.try_take(address, now))
    return refuse_rate_limited(registrations_per_address_, address, now,
                               "too many codes from your address; try again later", request);
  auto body = read_json_object(request);
  if (!body.ok()) return fail(body.error(), request);
  auto cid = read_cid(*body);
  if (!cid.ok()) return fail(cid.error(), request);
  auto declared = read_string(*body, "device_name", false);
  if (!declared.ok()) return fail(declared.error(), request);
  if (declared->has_value()) {
    if (auto status = check_name(**declared, "the device name"); !status.ok()) return fail(status.error(), request);
  }
  purge_now_and_then(now);
  auto secret = issue_secret(rng_);
  PairingRow row{*cid,
                 Bytes(secret.hash.begin(), secret.hash.end()),
                 request.peer,
                 request.user_agent.substr(0, kMaxUserAgentBytes),
                 now,
                 now + settings_.pairing_lifetime,
                 std::nullopt,
                 declared->value_or("")};
  auto status = store_.transaction([&] { return store_.insert_pairing(row); });
  if (!status.ok()) return fail(status.error(), request);
  return json_answer(201, Json{{"cid", *cid},
                               {"registration_secret", std::string(secret.text.view())},
                               {"expires_in", seconds_left(row.expires_at, now)}});
}

ApiResponse Api::lookup_pairing(const ApiRequest& request) {
  auto device = authenticate(request);
  if (!device.ok()) return fail(device.error(), request);
  auto body = read_json_object(request);
  if (!body.ok()) return fail(body.error(), request);
  auto cid = read_cid(*body);
  if (!cid.ok()) return fail(cid.error(), request);
  const UnixMillis now = clock_.now();
  std::optional<PairingRow> pairing;
  auto status = store_.run([&]() -> Status {
    auto row = store_.find_pairing(*cid);
    if (!row.ok()) return row.error();
    pairing = std::move(*row);
    return check_pairing_open(pairing, now);
  });
  if (!status.ok()) return fail(status.error(), request);
  const auto relation = network_relation(pairing->address, request.peer);
  return json_answer(200, Json{{"cid", pairing->cid},
                               {"address", pairing->address},
                               {"user_agent", pairing->user_agent},
                               {"device_name", requester_name(*pairing)},
                               {"declared_name", pairing->declared_name},
                               {"registered_at", unix_seconds(pairing->created_at)},
                               {"age", (now - pairing->created_at) / 1000},
                               {"expires_in", seconds_left(pairing->expires_at, now)},
                               {"network", Json{{"relation", relation_name(relation)},
                                                {"requester", network_text(pairing->address)},
                                                {"approver", network_text(request.peer)}}},
                               {"approval", approval_for(relation, settings_.refuse_other_network)}});
}

ApiResponse Api::mint_grant(const ApiRequest& request) {
  auto device = authenticate(request);
  if (!device.ok()) return fail(device.error(), request);
  const UnixMillis now = clock_.now();
  const auto account = std::to_string(device->account_id);
  if (!grants_per_account_.try_take(account, now))
    return refuse_rate_limited(grants_per_account_, account, now,
                               "too many grants for this account; try again later", request);
  auto body = read_json_object(request);
  if (!body.ok()) return fail(body.error(), request);
  auto cid = read_cid(*body);
  if (!cid.ok()) return fail(cid.error(), request);
  auto confirmed = body->find("other_network_confirmed");
  if (confirmed != body->end() && !confirmed->is_boolean())
    return fail(make_error(AppErrc::bad_request, "\"other_network_confirmed\" must be true or false"), request);
  const bool other_network_confirmed = confirmed != body->end() && confirmed->get<bool>();
  auto grant = issue_secret(rng_);
  const UnixMillis expires_at = now + settings_.grant_lifetime;
  auto status = store_.transaction([&]() -> Status {
    auto pairing = store_.find_pairing(*cid);
    if (!pairing.ok()) return pairing.error();
    if (auto open = check_pairing_open(*pairing, now); !open.ok()) return open;
    const auto relation = network_relation((*pairing)->address, request.peer);
    if (relation == NetworkRelation::other_network) {
      if (settings_.refuse_other_network)
        return make_error(AppErrc::other_network_refused,
                          "the device asking is on another network than this one, and this application does not "
                          "allow that: log in on that device with your password instead");
      if (!other_network_confirmed)
        return make_error(AppErrc::other_network_unconfirmed,
                          "the device asking is on another network than this one: approve only if it is your "
                          "own device somewhere else (\"other_network_confirmed\": true)");
    }
    return store_.insert_grant(grant.hash, GrantRow{0, *cid, device->account_id, device->id, now, expires_at, {}});
  });
  if (!status.ok()) return fail(status.error(), request);
  logger_.write("grant_minted", {{"account", device->account_id}, {"device", device->id}});
  const std::string text(grant.text.view());
  auto answer = json_answer(201, Json{{"grant", text},
                                      {"cid", *cid},
                                      {"expires_in", seconds_left(expires_at, now)},
                                      {"credential", Json{{"grant", text}, {"app", settings_.origin.text}}}});
  return answer;
}

ApiResponse Api::redeem(const ApiRequest& request) {
  const UnixMillis now = clock_.now();
  const auto address = address_key(request.peer);
  if (!redeems_per_address_.try_take(address, now))
    return refuse_rate_limited(redeems_per_address_, address, now,
                               "too many attempts from your address; try again later", request);
  auto body = read_json_object(request);
  if (!body.ok()) return fail(body.error(), request);
  auto cid = read_cid(*body);
  if (!cid.ok()) return fail(cid.error(), request);
  auto grant_text = read_string(*body, "grant", true);
  if (!grant_text.ok()) return fail(grant_text.error(), request);
  auto registration_text = read_string(*body, "registration_secret", false);
  if (!registration_text.ok()) return fail(registration_text.error(), request);
  auto kind = read_kind(*body);
  if (!kind.ok()) return fail(kind.error(), request);
  auto declared = read_string(*body, "device_name", false);
  if (!declared.ok()) return fail(declared.error(), request);
  std::string device_name = device_name_from_user_agent(request.user_agent);
  if (*kind == "token" && declared->has_value()) {
    if (auto status = check_name(**declared, "the device name"); !status.ok()) return fail(status.error(), request);
    device_name = **declared;
  }
  auto grant_hash = hash_presented_secret(**grant_text);
  if (!grant_hash) return fail(make_error(AppErrc::unknown_grant, "this grant is not one of ours"), request);
  std::optional<Sha256Digest> registration_hash;
  if (registration_text->has_value()) registration_hash = hash_presented_secret(**registration_text);
  auto refused = [] {
    return make_error(AppErrc::registration_refused,
                      "this grant can only be redeemed by the device that registered the code, with its "
                      "registration secret");
  };

  auto session = issue_secret(rng_);
  DeviceRow device;
  auto status = store_.transaction([&]() -> Status {
    auto grant = store_.find_grant(*grant_hash);
    if (!grant.ok()) return grant.error();
    if (!*grant) return make_error(AppErrc::unknown_grant, "this grant is not one of ours");
    const GrantRow& g = **grant;
    if (g.cid != *cid) return make_error(AppErrc::grant_mismatch, "this grant was made for another code");
    auto pairing = store_.find_pairing(*cid);
    if (!pairing.ok()) return pairing.error();
    if (!*pairing) return make_error(AppErrc::unknown_cid, "no device registered this channel id");
    if (!registration_hash || !ct_equal(ByteView(*registration_hash), ByteView((*pairing)->registration_hash)))
      return refused();
    if (g.used_at) return make_error(AppErrc::grant_used, "this grant was already used");
    if (now >= g.expires_at) return make_error(AppErrc::grant_expired, "this grant has expired");
    if ((*pairing)->redeemed_at)
      return make_error(AppErrc::pairing_used, "a device already logged in with this code");
    auto approver = store_.find_device(g.approved_by);
    if (!approver.ok()) return approver.error();
    if (!*approver || (*approver)->ended_at)
      return make_error(AppErrc::grant_revoked, "the device that approved this grant has logged out since");
    auto row = store_.add_device(
        NewDevice{g.account_id, session.hash, *kind, device_name, "qr", g.approved_by, now, request.peer});
    if (!row.ok()) return row.error();
    if (auto s = store_.mark_grant_used(g.id, now, row->id); !s.ok()) return s;
    if (auto s = store_.mark_pairing_redeemed(*cid, now); !s.ok()) return s;
    device = std::move(*row);
    return {};
  });
  secure_wipe(**grant_text);
  if (registration_text->has_value()) secure_wipe(**registration_text);
  if (!status.ok()) return fail(status.error(), request);
  logger_.write("device_added",
                {{"account", device.account_id}, {"device", device.id}, {"approved_by", *device.approved_by}});
  announce_login(device);
  return session_answer(201, device, *kind, session.text);
}

}  // namespace qrlogin::app
