#include "cli/relay_connection.hpp"

#include <charconv>

#include "cli/error.hpp"
#include "cli/relay_errors.hpp"
#include "cli/reporter.hpp"
#include "crypto/pairing/constants.hpp"
#include "crypto/pairing/url.hpp"

namespace qrlogin::cli {

Result<RelayEndpoint> relay_endpoint(const std::string& relay_url) {
  auto url = pairing::parse_url(relay_url);
  if (!url) return make_error(Errc::bad_relay_url, "the relay URL is malformed: " + url.error().message);
  if (url->scheme != "ws" && url->scheme != "wss")
    return make_error(Errc::bad_relay_url, "the relay URL must start with ws:// or wss://");
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

Result<RelayEndpoint> relay_endpoint(const std::string& relay_url, const CommonOptions& common) {
  auto endpoint = relay_endpoint(relay_url);
  if (!endpoint) return endpoint;
  endpoint->ca_file = common.ca_file;
  endpoint->bind_address = common.bind;
  return endpoint;
}

relay_client::Options channel_options(const RelayEndpoint& endpoint, const std::string& cid, const std::string& role,
                                      bool code_channel) {
  relay_client::Options options;
  options.host = endpoint.host;
  options.port = endpoint.port;
  options.cid = cid;
  options.role = role;
  options.tls = endpoint.tls;
  options.ca_file = endpoint.ca_file;
  options.bind_address = endpoint.bind_address;
  options.target = endpoint.base_path + relay_client::channel_target(cid, role, std::nullopt, code_channel);
  options.timeout = std::chrono::seconds(10);
  options.max_message_bytes = pairing::kMaxFrameBytes;
  return options;
}

ConnectError connect_error(const RelayEndpoint& endpoint, const relay_client::ConnectResult& result) {
  std::string where = endpoint.host + ":" + std::to_string(endpoint.port);
  switch (result.tls_failure) {
    case relay_client::TlsFailure::untrusted:
      return {ExitCode::network, "tls_untrusted",
              result.error + (endpoint.ca_file.empty()
                                  ? " (use --ca-file FILE for a relay with a self-signed certificate)"
                                  : " (with --ca-file " + endpoint.ca_file + ")")};
    case relay_client::TlsFailure::handshake:
      return {ExitCode::network, "tls", result.error + " (is it a wss:// relay of a compatible version?)"};
    case relay_client::TlsFailure::setup:
      return {ExitCode::local_error, "ca_file", result.error};
    case relay_client::TlsFailure::none:
      break;
  }
  switch (result.http_status) {
    case 0:
      if (result.error.starts_with("cannot resolve"))
        return {ExitCode::network, "unreachable", "cannot reach the relay: " + result.error};
      if (!endpoint.tls && result.error.starts_with("upgrade:"))  // connected, but no HTTP answer
        return {ExitCode::network, "unreachable",
                "the relay at " + where + " closed the connection without an answer (" + result.error +
                    "); if it uses TLS, its URL starts with wss://"};
      return {ExitCode::network, "unreachable",
              "cannot reach the relay at " + where + " (" + result.error + "); is it running?"};
    case 429:
      return {ExitCode::network, "rate_limited", "the relay is busy for this address; try again in a minute"};
    case 503:
      return {ExitCode::network, "unavailable", "the relay is at capacity; try again later"};
    default:
      return {ExitCode::network, "refused",
              "the relay at " + where + " refused the connection (HTTP " + std::to_string(result.http_status) +
                  "); is this a qrlogin relay of a compatible version?"};
  }
}

ConnectError relay_error(const std::string& raw_code, const std::string& raw_message, bool sender) {
  // Both come from the relay, which is not trusted: no terminal escapes.
  const std::string code = printable(raw_code, 40);
  const std::string relay_message = printable(raw_message, 200);
  const ExitCode exit_code = classify_relay_error(raw_code).exit_code;
  auto said = [&](std::string message) { return ConnectError{exit_code, code, std::move(message)}; };
  if (code == "expired")
    return said(sender ? "this code has expired or was already used; ask for a new code"
                       : "this code expired before anyone used it");
  if (code == "channel_full")
    return said(sender ? "this code was already used by another device" : "someone else is using this code");
  if (code == "taken")
    return said(sender ? "no device shows this code now"
                       : "this code is in use or was used recently; a new code is needed");
  if (code == "replaced")
    return said("someone else resumed this pairing with its secret resume token and took it over; stopping");
  if (code == "rate_limited") return said("the relay is busy for this address; try again in a minute");
  if (code == "unavailable") return said("the relay is at capacity; try again later");
  if (code == "going_away") return said("the relay is shutting down; try again");
  if (code == "too_large" || code == "bad_request")
    return said("the relay refused a message as a protocol violation: " + relay_message);
  return {exit_code, code.empty() ? "relay_error" : code,
          "the relay closed the connection: " + (relay_message.empty() ? code : relay_message)};
}

}  // namespace qrlogin::cli
