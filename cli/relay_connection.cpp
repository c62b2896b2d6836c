#include "cli/relay_connection.hpp"

#include <charconv>

#include "cli/reporter.hpp"
#include "crypto/pairing/constants.hpp"
#include "crypto/pairing/url.hpp"

namespace qrlogin::cli {

Result<RelayEndpoint> relay_endpoint(const std::string& relay_url) {
  auto url = pairing::parse_url(relay_url);
  if (!url) return make_error(Errc::invalid_argument, "the relay URL is malformed: " + url.error().message);
  if (url->scheme != "ws" && url->scheme != "wss")
    return make_error(Errc::invalid_argument, "the relay URL must start with ws:// or wss://");
  RelayEndpoint e;
  e.tls = url->scheme == "wss";
  e.host = url->host;
  if (e.host.size() > 2 && e.host.front() == '[') e.host = e.host.substr(1, e.host.size() - 2);
  unsigned port = e.tls ? 443 : 80;
  if (!url->port.empty()) std::from_chars(url->port.data(), url->port.data() + url->port.size(), port);
  e.port = static_cast<std::uint16_t>(port);
  e.base_path = url->path;
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  return e;
}

std::unique_ptr<relay_client::Client> connect_channel(const RelayEndpoint& endpoint, const std::string& cid,
                                                      const std::string& role, ConnectError& error) {
  relay_client::Options options;
  options.host = endpoint.host;
  options.port = endpoint.port;
  options.tls = endpoint.tls;
  options.ca_file = endpoint.ca_file;
  options.target = endpoint.base_path + relay_client::channel_target(cid, role);
  options.timeout = std::chrono::seconds(10);
  options.max_message_bytes = pairing::kMaxFrameBytes;
  auto result = relay_client::Client::connect(options);
  if (result) return std::move(result.client);
  std::string where = endpoint.host + ":" + std::to_string(endpoint.port);
  switch (result.tls_failure) {
    case relay_client::TlsFailure::untrusted:
      error = {ExitCode::network, "tls_untrusted",
               result.error + (endpoint.ca_file.empty()
                                   ? " (use --ca-file FILE for a relay with a self-signed certificate)"
                                   : " (with --ca-file " + endpoint.ca_file + ")")};
      return nullptr;
    case relay_client::TlsFailure::handshake:
      error = {ExitCode::network, "tls", result.error + " (is it a wss:// relay of a compatible version?)"};
      return nullptr;
    case relay_client::TlsFailure::setup:
      error = {ExitCode::local_error, "ca_file", result.error};
      return nullptr;
    case relay_client::TlsFailure::none:
      break;
  }
  switch (result.http_status) {
    case 0:
      if (result.error.starts_with("cannot resolve"))
        error = {ExitCode::network, "unreachable", "cannot reach the relay: " + result.error};
      else if (!endpoint.tls && result.error.starts_with("upgrade:"))  // connected, but no HTTP answer
        error = {ExitCode::network, "unreachable",
                 "the relay at " + where + " closed the connection without an answer (" + result.error +
                     "); if it uses TLS, its URL starts with wss://"};
      else
        error = {ExitCode::network, "unreachable",
                 "cannot reach the relay at " + where + " (" + result.error + "); is it running?"};
      break;
    case 429:
      error = {ExitCode::network, "rate_limited", "the relay is busy for this address; try again in a minute"};
      break;
    case 503:
      error = {ExitCode::network, "unavailable", "the relay is at capacity; try again later"};
      break;
    default:
      error = {ExitCode::network, "refused",
               "the relay at " + where + " refused the connection (HTTP " + std::to_string(result.http_status) +
                   "); is this a qrlogin relay of a compatible version?"};
  }
  return nullptr;
}

ConnectError relay_error(const std::string& raw_code, const std::string& raw_message, bool sender) {
  // Both come from the relay, which is not trusted: no terminal escapes.
  const std::string code = printable(raw_code, 40);
  const std::string relay_message = printable(raw_message, 200);
  if (code == "expired")
    return {ExitCode::expired, code,
            sender ? "this code has expired or was already used; ask for a new code"
                   : "this code expired before anyone used it"};
  if (code == "channel_full")
    return {ExitCode::intrusion, code,
            sender ? "this code was already used by another device" : "someone else is using this code"};
  if (code == "rate_limited") return {ExitCode::network, code, "the relay is busy for this address; try again in a minute"};
  if (code == "unavailable") return {ExitCode::network, code, "the relay is at capacity; try again later"};
  if (code == "going_away") return {ExitCode::network, code, "the relay is shutting down; try again"};
  if (code == "too_large" || code == "bad_request")
    return {ExitCode::protocol, code, "the relay refused a message as a protocol violation: " + relay_message};
  return {ExitCode::network, code.empty() ? "relay_error" : code,
          "the relay closed the connection: " + (relay_message.empty() ? code : relay_message)};
}

}  // namespace qrlogin::cli
