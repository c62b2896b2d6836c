#include "cli/app_client.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "cli/relay_client/client.hpp"
#include "cli/reporter.hpp"
#include "crypto/pairing/credential.hpp"
#include "crypto/pairing/strict_json.hpp"
#include "crypto/pairing/url.hpp"

#ifndef QRLOGIN_VERSION
#define QRLOGIN_VERSION "dev"
#endif

namespace qrlogin::cli {

using Json = nlohmann::json;

namespace {

// The API's answers are small (docs/app-api.md); anything larger is not it.
constexpr std::size_t kMaxAnswerBytes = 64 * 1024;

// "qrlogin/1.2.3 (Linux)": the application shows it (and names the device
// from it) to the person who approves.
std::string user_agent() {
  struct utsname u {};
  std::string system = ::uname(&u) == 0 ? std::string(u.sysname) : "unknown";
  return std::string("qrlogin/") + QRLOGIN_VERSION + " (" + system + ")";
}

AppFailure bad_answer(const std::string& origin, const std::string& path, const std::string& why) {
  return AppFailure{AppFailure::Kind::bad_answer, 0, "bad_answer",
                    "the application at " + origin + " gave an answer to " + path +
                        " that is not what its API says (" + why + "); is this a qrlogin application?"};
}

SecretString body_of(Json& j) {
  SecretString text(j.dump());
  pairing::wipe_json(j);
  return text;
}

std::string string_field(const Json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::int64_t int_field(const Json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

}  // namespace

Result<AppEndpoint> app_endpoint(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return make_error(Errc::bad_app_url, "--app " + printable(text, 200) + ": " + why);
  };
  auto url = pairing::parse_url(text);
  if (!url) return bad(url.error().message);
  if (url->scheme != "http" && url->scheme != "https") return bad("the application's URL starts with http:// or https://");
  if (!(url->path.empty() || url->path == "/") || !url->query.empty())
    return bad("give the application's origin only, e.g. https://app.example (no path or query)");
  AppEndpoint e;
  e.tls = url->scheme == "https";
  std::string host = url->host;
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  unsigned port = e.tls ? 443 : 80;
  if (!url->port.empty()) {
    auto [ptr, ec] = std::from_chars(url->port.data(), url->port.data() + url->port.size(), port);
    if (ec != std::errc{} || ptr != url->port.data() + url->port.size() || port == 0 || port > 65535)
      return bad("the port is not a number from 1 to 65535");
  }
  e.port = static_cast<std::uint16_t>(port);
  bool default_port = port == (e.tls ? 443u : 80u);
  // Appended piece by piece: "literal" + std::string&& trips GCC 12's
  // -Wrestrict with _FORTIFY_SOURCE (bug 105329; the package preset).
  e.origin = url->scheme + "://" + host;
  if (!default_port) (e.origin += ":") += std::to_string(port);
  e.host = host.size() > 2 && host.front() == '[' ? host.substr(1, host.size() - 2) : host;
  return e;
}

Result<AppEndpoint> app_endpoint(const std::string& url, const CommonOptions& common) {
  auto endpoint = app_endpoint(url);
  if (!endpoint) return endpoint;
  endpoint->ca_file = common.ca_file;
  endpoint->bind_address = common.bind;
  return endpoint;
}

struct AppClient::Answer {
  Json json;
  ~Answer() { pairing::wipe_json(json); }
  Answer() = default;
  Answer(Answer&& other) noexcept : json(std::move(other.json)) {}
};

AppResult<AppClient::Answer> AppClient::call(const std::string& method, const std::string& path,
                                             const SecretString& body, const SecretString* token,
                                             int expected_status) const {
  relay_client::HttpRequest request;
  request.host = endpoint_.host;
  request.port = endpoint_.port;
  request.tls = endpoint_.tls;
  request.ca_file = endpoint_.ca_file;
  request.bind_address = endpoint_.bind_address;
  request.method = method;
  request.target = path;
  request.timeout = timeout_;
  request.max_body_bytes = kMaxAnswerBytes;
  request.secret = true;
  request.headers = {{"User-Agent", user_agent()}, {"Accept", "application/json"}};
  if (!body.empty()) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.view();
  }
  SecretString authorization;
  if (token) {
    std::string header = "Bearer ";
    header += token->view();
    authorization = SecretString(std::move(header));
    request.authorization = authorization.view();
  }
  auto response = relay_client::http_request(request);
  authorization.wipe();
  const std::string where = "the application at " + endpoint_.origin;
  if (!response) {
    const auto& error = response.error();
    if (error.code == relay_client::Errc::tls_untrusted)
      return AppFailure{AppFailure::Kind::unreachable, 0, "tls_untrusted",
                        error.message + (endpoint_.ca_file.empty()
                                             ? " (use --ca-file FILE for an application with a private CA)"
                                             : " (with --ca-file " + endpoint_.ca_file + ")")};
    if (error.code == relay_client::Errc::tls)
      return AppFailure{AppFailure::Kind::unreachable, 0, "ca_file", error.message};
    if (error.code == relay_client::Errc::timeout)
      return AppFailure{AppFailure::Kind::unreachable, 0, "timeout", where + " did not answer " + path + " in time"};
    if (error.code == relay_client::Errc::too_large) return bad_answer(endpoint_.origin, path, "too large");
    return AppFailure{AppFailure::Kind::unreachable, 0, "unreachable",
                      "cannot reach " + where + " (" + error.message + "); is it running?"};
  }
  Answer answer;
  answer.json = Json::parse(response->secret_body.view(), nullptr, false);
  response->secret_body.wipe();
  if (answer.json.is_discarded() || !answer.json.is_object())
    return bad_answer(endpoint_.origin, path, "HTTP " + std::to_string(response->status) + ", not a JSON object");
  if (response->status == expected_status) return answer;
  std::string code = printable(string_field(answer.json, "error"), 40);
  std::string message = printable(string_field(answer.json, "message"), 200);
  if (code.empty()) return bad_answer(endpoint_.origin, path, "HTTP " + std::to_string(response->status));
  return AppFailure{AppFailure::Kind::refused, response->status, code,
                    where + " refused: " + (message.empty() ? code : message) + " (" + code + ", HTTP " +
                        std::to_string(response->status) + ")"};
}

AppResult<AppConfig> AppClient::config() const {
  auto answer = call("GET", "/api/config", SecretString{}, nullptr, 200);
  if (!answer) return answer.failure();
  AppConfig c{string_field(answer->json, "origin"), string_field(answer->json, "relay")};
  if (c.origin.empty()) return bad_answer(endpoint_.origin, "/api/config", "no origin");
  return c;
}

AppResult<Registration> AppClient::register_pairing(const std::string& cid, const std::string& device_name) const {
  // The name is declared so that the approving phone can say "qrlogin CLI on <name>".
  Json request = {{"cid", cid}, {"device_name", device_name}};
  auto answer = call("POST", "/api/pairings", body_of(request), nullptr, 201);
  if (!answer) return answer.failure();
  auto& secret = answer->json["registration_secret"];
  if (!secret.is_string() || secret.get_ref<const std::string&>().empty())
    return bad_answer(endpoint_.origin, "/api/pairings", "no registration_secret");
  Registration r{SecretString::copy_of(secret.get_ref<const std::string&>()), int_field(answer->json, "expires_in")};
  return r;
}

AppResult<PairingRequest> AppClient::lookup(const std::string& cid, const SecretString& token) const {
  Json request = {{"cid", cid}};
  auto answer = call("POST", "/api/pairings/lookup", body_of(request), &token, 200);
  if (!answer) return answer.failure();
  const auto& j = answer->json;
  PairingRequest request_seen;
  request_seen.device_name = string_field(j, "device_name");
  request_seen.user_agent = string_field(j, "user_agent");
  request_seen.address = string_field(j, "address");
  request_seen.registered_at = int_field(j, "registered_at");
  if (auto age = j.find("age"); age != j.end() && age->is_number_integer()) request_seen.age = age->get<std::int64_t>();
  request_seen.expires_in = int_field(j, "expires_in");
  if (auto network = j.find("network"); network != j.end() && network->is_object()) {
    request_seen.relation = string_field(*network, "relation");
    request_seen.requester_network = string_field(*network, "requester");
    request_seen.approver_network = string_field(*network, "approver");
  }
  // An application that says nothing of networks (before issue 21) asks
  // for the usual confirmation; one that says something we do not know
  // gets the stricter step.
  if (auto approval = j.find("approval"); approval != j.end()) {
    const std::string text = approval->is_string() ? approval->get<std::string>() : std::string{};
    request_seen.approval = text == "confirm"    ? Approval::confirm
                            : text == "refused" ? Approval::refused
                                                : Approval::deliberate;
  }
  if (request_seen.relation == "other_network" && request_seen.approval == Approval::confirm)
    request_seen.approval = Approval::deliberate;
  return request_seen;
}

AppResult<Secret> AppClient::mint_credential(const std::string& cid, const SecretString& token,
                                             std::string_view label, bool other_network_confirmed) const {
  Json request = {{"cid", cid}};
  if (other_network_confirmed) request["other_network_confirmed"] = true;
  auto answer = call("POST", "/api/grants", body_of(request), &token, 201);
  if (!answer) return answer.failure();
  auto credential = answer->json.find("credential");
  if (credential == answer->json.end() || !credential->is_object() || !credential->contains("grant"))
    return bad_answer(endpoint_.origin, "/api/grants", "no credential");
  auto j = pairing::credential_json(*credential, label);
  if (!j) return bad_answer(endpoint_.origin, "/api/grants", j.error().message);
  return std::move(j).value();
}

AppResult<SecretString> AppClient::redeem(const std::string& cid, const SecretString& grant,
                                          const SecretString& registration_secret,
                                          const std::string& device_name) const {
  Json request = {{"cid", cid},
                  {"grant", std::string(grant.view())},
                  {"registration_secret", std::string(registration_secret.view())},
                  {"kind", "token"},
                  {"device_name", device_name}};
  auto answer = call("POST", "/api/redeem", body_of(request), nullptr, 201);
  if (!answer) return answer.failure();
  auto& token = answer->json["token"];
  if (!token.is_string() || token.get_ref<const std::string&>().empty())
    return bad_answer(endpoint_.origin, "/api/redeem", "no token");
  return SecretString::copy_of(token.get_ref<const std::string&>());
}

AppResult<SessionInfo> AppClient::session(const SecretString& token) const {
  auto answer = call("GET", "/api/session", SecretString{}, &token, 200);
  if (!answer) return answer.failure();
  const auto& j = answer->json;
  SessionInfo info;
  if (auto a = j.find("account"); a != j.end() && a->is_object()) info.account = string_field(*a, "name");
  if (auto d = j.find("device"); d != j.end() && d->is_object()) {
    info.device_name = string_field(*d, "name");
    info.device_id = int_field(*d, "id");
  }
  if (info.account.empty()) return bad_answer(endpoint_.origin, "/api/session", "no account");
  return info;
}

AppResult<bool> AppClient::logout(const SecretString& token) const {
  auto answer = call("POST", "/api/logout", SecretString{}, &token, 200);
  if (!answer) return answer.failure();
  return true;
}

Result<SecretString> grant_from_credential(ByteView credential, bool is_string, const std::string& origin) {
  auto refuse = [](std::string why) { return make_error(Errc::credential_refused, std::move(why)); };
  if (is_string) return refuse("the credential is not a login grant of an application (it is plain text)");
  auto parsed = pairing::parse_strict_json(credential, pairing::Errc::bad_credential, "the credential");
  if (!parsed) return refuse(parsed.error().message);
  auto& j = *parsed;
  auto grant = j.is_object() ? j.find("grant") : j.end();
  auto app = j.is_object() ? j.find("app") : j.end();
  if (!j.is_object() || grant == j.end() || app == j.end() || !grant->is_string() || !app->is_string() ||
      grant->get_ref<const std::string&>().empty()) {
    pairing::wipe_json(j);
    return refuse("the credential is not a login grant of an application ({\"grant\", \"app\"})");
  }
  if (app->get_ref<const std::string&>() != origin) {
    std::string other = printable(app->get_ref<const std::string&>(), 100);
    pairing::wipe_json(j);
    return refuse("the grant is for " + other + ", not for " + origin + ", which this device logs in to");
  }
  auto out = SecretString::copy_of(grant->get_ref<const std::string&>());
  pairing::wipe_json(j);
  return out;
}

}  // namespace qrlogin::cli
