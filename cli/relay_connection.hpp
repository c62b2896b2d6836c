#pragma once
// Opening a channel on the relay named by a ws:// or wss:// URL, and turning
// every way that can fail into a message and an exit code.
#include <memory>
#include <string>

#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include "cli/relay_client/client.hpp"

namespace qrlogin::cli {

struct RelayEndpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string base_path;  // prefix before /v1/channels, without a trailing '/'
  bool tls = false;       // wss://: the certificate is always verified
  std::string ca_file;    // --ca-file: trusted instead of the system's roots
  std::string bind_address;  // --bind: the local address to connect from; empty: any
};

struct ConnectError {
  ExitCode exit_code;
  std::string code;     // stable: unreachable, refused, rate_limited, unavailable, tls, tls_untrusted, ca_file
  std::string message;  // for the user
};

Result<RelayEndpoint> relay_endpoint(const std::string& relay_url);
// The same with the common options' CA file and bind address.
Result<RelayEndpoint> relay_endpoint(const std::string& relay_url, const CommonOptions& common);

// The client options for the channel `cid` as `role` (a resume adds its
// token and `received`); code_channel: a typed code's channel (kind=code).
relay_client::Options channel_options(const RelayEndpoint& endpoint, const std::string& cid, const std::string& role,
                                      bool code_channel = false);

// Why a connection attempt failed, for the user.
ConnectError connect_error(const RelayEndpoint& endpoint, const relay_client::ConnectResult& result);

// The message and exit code for a relay `error` control message.
ConnectError relay_error(const std::string& code, const std::string& relay_message, bool sender);

}  // namespace qrlogin::cli
