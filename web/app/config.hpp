#pragma once
// qrlogin-app's flags: one row each in config.cpp's table (name, value,
// default, help), parsed into Config. No Beast, no SQLite here.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.hpp"
#include "relay/core/address.hpp"
#include "web/app/password.hpp"

namespace qrlogin::app {

struct Config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8090;
  std::string origin;     // empty: http://<listen host>:<bound port>
  std::string state_dir;  // where app.sqlite3 lives (created 0700 when missing)
  bool in_memory = false; // keep nothing on disk (trying it out, benchmarks)
  std::string relay_url;  // ws:// or wss://; told to clients by /api/config
  std::string tls_cert_file;  // both set: https (the relay's TLS rules, relay/net/tls.hpp)
  std::string tls_key_file;
  // X-Forwarded-For is read only from these peers (the relay's rule:
  // the rightmost entry that is not one of them is the client).
  std::vector<relay::Cidr> trusted_proxies;
  bool refuse_other_network = false;  // --other-network refuse
  std::int64_t pairing_lifetime_seconds = 150;
  std::int64_t grant_lifetime_seconds = 60;
  std::int64_t session_idle_seconds = 30LL * 24 * 3600;
  PasswordCost password_cost = PasswordCost::interactive;
  unsigned threads = 2;
  bool bench_profile = false;  // --profile bench: no rate limits
};

struct ParsedArgs {
  Config config;
  bool show_help = false;
  bool show_version = false;
};

using Environment = std::function<std::optional<std::string>(std::string_view name)>;
Environment process_environment();

// Errors: bad_flag, naming the flag and what is wrong with its value.
Result<ParsedArgs> parse_config(const std::vector<std::string>& args, const Environment& env);
[[nodiscard]] std::string help_text();
[[nodiscard]] std::string_view version_text();

// The default state directory: $XDG_STATE_HOME/qrlogin-app, else
// $HOME/.local/state/qrlogin-app, else ./state.
[[nodiscard]] std::string default_state_dir(const Environment& env);

}  // namespace qrlogin::app
