#pragma once
// The relay's configuration: every flag has an environment variable
// (QRLOGIN_RELAY_<NAME>) and a default; a flag beats the environment, the
// environment beats the default. docs/relay.md is the reference.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relay/core/address.hpp"
#include "relay/config/error.hpp"
#include "relay/core/limits.hpp"

namespace qrlogin::relay {

enum class LogLevel : std::uint8_t { error = 0, warn = 1, info = 2, debug = 3 };

struct Config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  // /metrics on its own listener; disabled with `--metrics-listen off`.
  bool metrics_enabled = true;
  std::string metrics_host = "127.0.0.1";
  std::uint16_t metrics_port = 9180;
  std::string public_url;                   // empty: http://<listen address>
  std::vector<std::string> allowed_origins;  // empty: derived (allowed_origins_for)
  std::vector<Cidr> trusted_proxies;
  bool trust_wide_proxy_ranges = false;  // --trust-proxy may name ranges wider than /8
  unsigned threads = 1;
  LogLevel log_level = LogLevel::info;
  // Log lines wait for the writer thread in a queue of this many; past it
  // they are dropped and counted.
  std::size_t log_queue_lines = 4096;
  std::string profile = "default";
  // TLS on the public port (https and wss) when both are set; the files are
  // read at start and again on SIGHUP.
  std::string tls_cert_file;
  std::string tls_key_file;
  [[nodiscard]] bool tls() const noexcept { return !tls_cert_file.empty(); }
  // Cluster mode when set: channels live in Redis (docs/deploy.md).
  // The URL is checked here; the password and key files are read at start.
  std::string redis_url;
  std::string redis_password_file;
  std::string redis_key_file;
  // Cluster mode: how Redis faults are ridden out (docs/deploy.md, "Faults").
  Millis redis_grace{10000};         // clients wait, paused, this long for Redis
  Millis redis_link_timeout{5000};   // no reply at all for this long: reconnect
  Millis redis_node_ttl{5000};       // a node silent this long (plus two refreshes) is dead
  std::size_t redis_max_pending = 4096;  // Redis commands waiting for a reply
  [[nodiscard]] bool cluster() const noexcept { return !redis_url.empty(); }
  Limits limits;
};

struct ParsedArgs {
  Config config;
  bool show_help = false;
  bool show_version = false;
};

using Environment = std::function<std::optional<std::string>(std::string_view name)>;
Environment process_environment();

// Errors (ConfigErrc), with a message naming the flag or variable:
// bad_flag for what is unknown or malformed; unsafe for what is well formed
// but refused: --listen on every interface without --public-url, a
// --trust-proxy range wider than /8 without --trust-proxy-wide, a password
// inside --redis, the bench profile from the environment (only --profile on
// the command line lifts abuse limits).
Result<ParsedArgs> parse_config(const std::vector<std::string>& args, const Environment& env);

// Open files the relay needs besides its client connections: listeners,
// Redis, the log, TLS reloads, the event loop.
inline constexpr std::uint64_t kReservedFiles = 64;
struct FileLimit {
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};
// Raises the soft RLIMIT_NOFILE to the hard one when `max_connections` plus
// the reserve needs more than the soft limit; an error naming both numbers
// and what to change (file_limit) when even the hard limit cannot hold them.
// `get`/`set` are the system's calls (tests pass their own).
Status ensure_file_limit(std::uint32_t max_connections, const std::function<FileLimit()>& get,
                         const std::function<bool(std::uint64_t soft)>& set);
Status ensure_file_limit(std::uint32_t max_connections);

std::string help_text();
std::string_view version_text();

// The origins a browser upgrade may come from once the port is known: the
// configured list, or the public URL's origin plus the listen address's
// origins (and localhost/[::1] when listening on loopback), https with TLS.
std::vector<std::string> allowed_origins_for(const Config& config, std::uint16_t bound_port);
// The public URL once the port is known (https://<listen> with TLS).
std::string public_url_for(const Config& config, std::uint16_t bound_port);

}  // namespace qrlogin::relay
