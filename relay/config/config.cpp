#include "relay/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <sstream>
#include <sys/resource.h>

#include "relay/redis/url.hpp"

namespace qrlogin::relay {

namespace {

Error bad(std::string_view source, std::string_view what, ConfigErrc code = ConfigErrc::bad_flag) {
  return make_error(code, std::string(source) + ": " + std::string(what));
}
// An option's error under the flag or variable that set it; the code stays
// the config's own (an address parser's code becomes bad_flag).
Error bad(std::string_view source, const Error& inner) {
  auto code = inner.code.category() == config_error_category() ? inner.code : make_error_code(ConfigErrc::bad_flag);
  return make_error(code, std::string(source) + ": " + inner.message);
}

Result<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    return make_error(ConfigErrc::bad_flag, "expected a whole number, got '" + std::string(text) + "'");
  return n;
}

Result<double> parse_rate(std::string_view text) {
  double x = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || x <= 0)
    return make_error(ConfigErrc::bad_flag, "expected a positive number, got '" + std::string(text) + "'");
  return x;
}

// "1500ms", "2s", "2" (seconds), "0.5s".
Result<Millis> parse_duration(std::string_view text) {
  double scale = 1000;
  if (text.ends_with("ms")) {
    scale = 1;
    text.remove_suffix(2);
  } else if (text.ends_with("s")) {
    text.remove_suffix(1);
  }
  double x = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || x <= 0 || x * scale > 86400e3)
    return make_error(ConfigErrc::bad_flag, "expected a duration such as 2s or 1500ms");
  // Not rounded: 0.5ms would become 0 (no timeout at all), 1.5ms a guess.
  double ms = x * scale;
  if (ms != static_cast<double>(static_cast<std::int64_t>(ms)))
    return make_error(ConfigErrc::bad_flag, "durations are whole milliseconds (at least 1ms)");
  return Millis{static_cast<std::int64_t>(ms)};
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return out;
}

Status parse_host_port(std::string_view text, std::string& out_host, std::uint16_t& out_port) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    auto close = text.find("]:");
    if (close == std::string_view::npos) return make_error(ConfigErrc::bad_flag, "expected [IPv6]:PORT");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return make_error(ConfigErrc::bad_flag, "expected HOST:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto n = parse_count(port);
  if (!n.ok() || *n > 65535) return make_error(ConfigErrc::bad_flag, "the port must be 0-65535");
  if (host != "localhost" && !parse_ip(host).ok())
    return make_error(ConfigErrc::bad_flag, "the host must be an IP address or localhost");
  out_host = host == "localhost" ? "127.0.0.1" : std::string(host);
  out_port = static_cast<std::uint16_t>(*n);
  return {};
}

Status parse_listen(std::string_view text, Config& config) {
  return parse_host_port(text, config.listen_host, config.listen_port);
}

Status parse_metrics_listen(std::string_view text, Config& config) {
  if (text == "off") {
    config.metrics_enabled = false;
    return {};
  }
  config.metrics_enabled = true;
  return parse_host_port(text, config.metrics_host, config.metrics_port);
}

template <class T>
Status set_count(std::string_view text, T& out, std::uint64_t min, std::uint64_t max) {
  auto n = parse_count(text);
  if (!n.ok()) return n.error();
  if (*n < min || *n > max)
    return make_error(ConfigErrc::bad_flag, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  out = static_cast<T>(*n);
  return {};
}

Status set_duration(std::string_view text, Millis& out) {
  auto d = parse_duration(text);
  if (!d.ok()) return d.error();
  out = *d;
  return {};
}

Status set_rate(std::string_view text, double& out) {
  auto r = parse_rate(text);
  if (!r.ok()) return r.error();
  out = *r;
  return {};
}

struct Option {
  std::string_view flag;  // without the leading --; its variable is env_name(flag)
  std::string_view value_name;  // empty: a switch, given without a value (its variable: 1, yes or true)
  std::string_view help;
  std::function<std::string(const Config&)> show_default;
  std::function<Status(std::string_view, Config&)> apply;
};

// --foo-bar is also QRLOGIN_RELAY_FOO_BAR.
std::string env_name(std::string_view flag) {
  std::string out = "QRLOGIN_RELAY_";
  for (char c : flag) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string dur(Millis m) {
  if (m.count() % 1000 == 0) return std::to_string(m.count() / 1000) + "s";
  return std::to_string(m.count()) + "ms";
}
std::string num(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

#define QRLOGIN_COUNT(FLAG, FIELD, MIN, MAX, HELP)                                         \
  Option {                                                                                      \
    FLAG, "N", HELP, [](const Config& c) { return std::to_string(c.limits.FIELD); },      \
        [](std::string_view v, Config& c) { return set_count(v, c.limits.FIELD, MIN, MAX); }   \
  }
#define QRLOGIN_DURATION(FLAG, FIELD, HELP)                                                   \
  Option {                                                                                         \
    FLAG, "DURATION", HELP, [](const Config& c) { return dur(c.limits.FIELD); },              \
        [](std::string_view v, Config& c) { return set_duration(v, c.limits.FIELD); }              \
  }
#define QRLOGIN_RATE(FLAG, FIELD, HELP)                                                 \
  Option {                                                                                   \
    FLAG, "X", HELP, [](const Config& c) { return num(c.limits.FIELD); },               \
        [](std::string_view v, Config& c) { return set_rate(v, c.limits.FIELD); }            \
  }

const std::vector<Option>& options() {
  static const std::vector<Option> table = {
      {"listen", "HOST:PORT",
       "address to listen on; port 0 picks a free port (printed as {\"event\":\"listening\",\"port\":N})",
       [](const Config&) { return std::string("127.0.0.1:8080"); },
       [](std::string_view v, Config& c) { return parse_listen(v, c); }},
      {"metrics-listen", "HOST:PORT|off",
       "where /metrics (Prometheus text) is served, apart from the public port; port 0 picks a free port "
       "(printed as metrics_port on the listening line); off disables it",
       [](const Config&) { return std::string("127.0.0.1:9180"); },
       [](std::string_view v, Config& c) { return parse_metrics_listen(v, c); }},
      {"public-url", "URL",
       "the URL the relay is reached at (its ws(s):// form is what the application tells clients); its origin is allowed",
       [](const Config&) { return std::string("http://<listen address>"); },
       [](std::string_view v, Config& c) -> Status {
         if (!v.starts_with("http://") && !v.starts_with("https://"))
           return make_error(ConfigErrc::bad_flag, "must start with http:// or https://");
         c.public_url = std::string(v);
         while (c.public_url.ends_with('/')) c.public_url.pop_back();
         return {};
       }},
      {"allowed-origin", "ORIGIN[,...]",
       "browser Origins allowed to open a WebSocket: the application's origin (others get HTTP 403); requests without Origin are allowed",
       [](const Config&) { return std::string("the public URL's origin + the listen address's http origins"); },
       [](std::string_view v, Config& c) -> Status {
         c.allowed_origins = split_list(v);
         return {};
       }},
      {"trust-proxy", "CIDR[,...]",
       "read X-Forwarded-For only from peers in these ranges (rightmost untrusted entry is the client)",
       [](const Config&) { return std::string("none (X-Forwarded-For ignored)"); },
       [](std::string_view v, Config& c) -> Status {
         auto list = parse_cidr_list(v);
         if (!list.ok()) return list.error();
         c.trusted_proxies = std::move(list.value());
         return {};
       }},
      {"trust-proxy-wide", "",
       "let --trust-proxy name ranges wider than /8 (such as 0.0.0.0/0): anyone in them could then pick the "
       "address every limit counts under",
       [](const Config&) { return std::string("off"); },
       [](std::string_view v, Config& c) -> Status {
         if (v != "1" && v != "yes" && v != "true") return make_error(ConfigErrc::bad_flag, "set it to 1, yes or true");
         c.trust_wide_proxy_ranges = true;
         return {};
       }},
      {"tls-cert", "FILE",
       "serve https and wss on the listen port with this PEM certificate (chain); needs --tls-key; "
       "reloaded on SIGHUP",
       [](const Config&) { return std::string("none (plain http and ws)"); },
       [](std::string_view v, Config& c) -> Status {
         if (v.empty()) return make_error(ConfigErrc::bad_flag, "needs a file name");
         c.tls_cert_file = std::string(v);
         return {};
       }},
      {"tls-key", "FILE",
       "the certificate's private key (PEM, unencrypted); reloaded on SIGHUP",
       [](const Config&) { return std::string("none"); },
       [](std::string_view v, Config& c) -> Status {
         if (v.empty()) return make_error(ConfigErrc::bad_flag, "needs a file name");
         c.tls_key_file = std::string(v);
         return {};
       }},
      {"redis", "URL",
       "cluster mode: keep channels in Redis at redis://[USER@]HOST[:PORT][/DB] so several relay nodes serve "
       "one pairing (docs/deploy.md); the password comes from --redis-password-file or "
       "QRLOGIN_RELAY_REDIS_PASSWORD, not the URL",
       [](const Config&) { return std::string("none (channels in this process's memory)"); },
       [](std::string_view v, Config& c) -> Status {
         auto endpoint = redis::parse_url(v);
         if (!endpoint.ok()) return make_error(ConfigErrc::bad_flag, endpoint.error().message);
         if (!endpoint->password.empty())
           return make_error(ConfigErrc::unsafe,
                             "no password in the URL (every user of the machine can read a command line): "
                             "use --redis-password-file FILE or QRLOGIN_RELAY_REDIS_PASSWORD");
         c.redis_url = std::string(v);
         return {};
       }},
      {"redis-password-file", "FILE",
       "cluster mode: the Redis password, read from this file (one line)",
       [](const Config&) { return std::string("none"); },
       [](std::string_view v, Config& c) -> Status {
         if (v.empty()) return make_error(ConfigErrc::bad_flag, "needs a file name");
         c.redis_password_file = std::string(v);
         return {};
       }},
      {"redis-key-file", "FILE",
       "cluster mode: a secret all nodes share (at least 16 characters, e.g. 32 random bytes in base64); "
       "channels are named in Redis by a keyed hash of their id, so Redis never holds a pairing code; "
       "without it the key is derived from the Redis password",
       [](const Config&) { return std::string("none"); },
       [](std::string_view v, Config& c) -> Status {
         if (v.empty()) return make_error(ConfigErrc::bad_flag, "needs a file name");
         c.redis_key_file = std::string(v);
         return {};
       }},
      {"redis-grace", "DURATION",
       "cluster mode: how long clients wait, their sockets paused, for Redis to answer or come back before they "
       "are told to resume (unavailable, resume: true)",
       [](const Config& c) { return dur(c.redis_grace); },
       [](std::string_view v, Config& c) { return set_duration(v, c.redis_grace); }},
      {"redis-timeout", "DURATION",
       "cluster mode: Redis answering nothing for this long drops the connection and reconnects (one slower "
       "reply is only slow)",
       [](const Config& c) { return dur(c.redis_link_timeout); },
       [](std::string_view v, Config& c) { return set_duration(v, c.redis_link_timeout); }},
      {"redis-node-ttl", "DURATION",
       "cluster mode: a node's liveness key lives this long after each refresh (refreshed every fifth of it); "
       "a node stalled longer has its clients' slots given up to their grace",
       [](const Config& c) { return dur(c.redis_node_ttl); },
       [](std::string_view v, Config& c) { return set_duration(v, c.redis_node_ttl); }},
      {"redis-max-pending", "N",
       "cluster mode: Redis commands waiting for their reply; past it joins get unavailable and frames wait "
       "(the liveness refresh is never refused)",
       [](const Config& c) { return std::to_string(c.redis_max_pending); },
       [](std::string_view v, Config& c) { return set_count(v, c.redis_max_pending, 16, 1000000); }},
      {"threads", "N", "I/O threads",
       [](const Config& c) { return std::to_string(c.threads); },
       [](std::string_view v, Config& c) { return set_count(v, c.threads, 1, 256); }},
      {"log-level", "LEVEL", "error, warn, info or debug",
       [](const Config&) { return std::string("info"); },
       [](std::string_view v, Config& c) -> Status {
         if (v == "error") c.log_level = LogLevel::error;
         else if (v == "warn") c.log_level = LogLevel::warn;
         else if (v == "info") c.log_level = LogLevel::info;
         else if (v == "debug") c.log_level = LogLevel::debug;
         else return make_error(ConfigErrc::bad_flag, "must be error, warn, info or debug");
         return {};
       }},
      {"log-queue-lines", "N",
       "log lines waiting for the writer thread; past it lines are dropped and counted "
       "(qrlogin_relay_log_lines_dropped_total), so a stuck stdout never stalls the relay",
       [](const Config& c) { return std::to_string(c.log_queue_lines); },
       [](std::string_view v, Config& c) { return set_count(v, c.log_queue_lines, 16, 10000000); }},
      {"profile", "NAME",
       "default, or bench: raises max-frames-per-channel and the per-address, per-network and per-site connection "
       "caps, open-channel caps and channel rates (nothing else); only from the command line",
       [](const Config&) { return std::string("default"); },
       [](std::string_view, Config&) -> Status { return {}; }},  // applied first, see parse_config
      QRLOGIN_COUNT("max-frame-bytes", max_frame_bytes, 1, 16u << 20,
                    "largest binary frame (message); larger: close 1009"),
      QRLOGIN_COUNT("max-frames-per-channel", max_frames_per_channel, 1,
                    4000000000u, "binary frames per channel, both directions; more: too_large, close 4413"),
      QRLOGIN_COUNT("max-channel-bytes", max_channel_bytes, 1, 1u << 30,
                    "bytes buffered per channel (not yet taken by the peer); more: too_large 4413 to the sender, "
                    "slow_consumer 4408 to the peer"),
      QRLOGIN_COUNT("max-buffered-bytes", max_buffered_bytes, 1,
                    std::uint64_t{1} << 40, "bytes buffered over all channels; past it new channels: unavailable 1013"),
      QRLOGIN_COUNT("max-connections", max_connections, 1, 10000000,
                    "TCP connections in total; more are closed at accept"),
      QRLOGIN_COUNT("max-connections-per-address", max_connections_per_address, 1, 10000000,
                    "TCP connections per client address (IPv4 /32, IPv6 /64); more are closed at accept"),
      QRLOGIN_COUNT("max-connections-per-network", max_connections_per_network, 1, 10000000,
                    "TCP connections per client network (IPv4 /24, IPv6 /56); more are closed at accept"),
      QRLOGIN_COUNT("max-connections-per-site", max_connections_per_site, 1, 10000000,
                    "TCP connections per IPv6 /48; more are closed at accept"),
      QRLOGIN_COUNT("max-channels", max_channels, 1, 10000000,
                    "open channels in total; more: unavailable 1013"),
      QRLOGIN_COUNT("max-channels-per-address", max_channels_per_address, 1, 10000000,
                    "open channels per receiver address (IPv4 /32, IPv6 /64); more: rate_limited 4429"),
      QRLOGIN_COUNT("max-channels-per-network", max_channels_per_network, 1, 10000000,
                    "open channels per receiver network (IPv4 /24, IPv6 /56); more: rate_limited 4429"),
      QRLOGIN_COUNT("max-channels-per-site", max_channels_per_site, 1, 10000000,
                    "open channels per IPv6 /48; more: rate_limited 4429"),
      QRLOGIN_RATE("channel-rate", channel_rate_per_address,
                   "new channels per second per address; more: rate_limited 4429"),
      QRLOGIN_RATE("channel-burst", channel_burst_per_address,
                   "burst of new channels per address"),
      QRLOGIN_RATE("network-channel-rate", channel_rate_per_network,
                   "new channels per second per network (IPv4 /24, IPv6 /56); more: rate_limited 4429"),
      QRLOGIN_RATE("network-channel-burst", channel_burst_per_network,
                   "burst of new channels per network"),
      QRLOGIN_RATE("site-channel-rate", channel_rate_per_site,
                   "new channels per second per IPv6 /48; more: rate_limited 4429"),
      QRLOGIN_RATE("site-channel-burst", channel_burst_per_site,
                   "burst of new channels per IPv6 /48"),
      QRLOGIN_RATE("global-channel-rate", channel_rate_global,
                   "new channels per second in total; more: rate_limited 4429"),
      QRLOGIN_RATE("global-channel-burst", channel_burst_global,
                   "burst of new channels in total"),
      QRLOGIN_COUNT("max-header-bytes", max_header_bytes, 512, 1u << 20,
                    "request line + headers; more: HTTP 431"),
      QRLOGIN_DURATION("handshake-timeout", handshake_timeout,
                       "TCP accept to completed upgrade (also the idle time between HTTP requests)"),
      QRLOGIN_DURATION("close-timeout", close_timeout,
                       "closing handshake; then the socket is cut"),
      QRLOGIN_DURATION("ping-interval", ping_interval,
                       "a ping after this long without anything from the client"),
      QRLOGIN_DURATION("pong-timeout", pong_timeout,
                       "the connection is cut when the pong to our ping does not arrive this long after it"),
      QRLOGIN_DURATION("write-timeout", write_timeout,
                       "a message written to a client must be taken within this; else slow_consumer 4408 "
                       "(the socket is cut, the peer hears peer left)"),
      QRLOGIN_COUNT("max-control-frames", max_control_frames_per_second, 1,
                    1000000, "ping/pong/close frames per second from a client; more: bad_request, close 1008"),
      QRLOGIN_DURATION("fragment-timeout", fragment_timeout,
                       "a fragmented message must complete within this; else bad_request, close 1008"),
      QRLOGIN_DURATION("channel-lifetime", channel_lifetime,
                       "a channel lives this long from its creation; then expired, close 4404"),
      QRLOGIN_DURATION("grace", grace,
                       "a dropped client's slot is kept this long (for resume); then the channel ends"),
      QRLOGIN_COUNT("max-remembered-cids", max_remembered_cids, 1, 100000000,
                    "used/expired cids remembered (each for lifetime + grace); past it new channels: unavailable"),
      QRLOGIN_DURATION("code-lifetime", code_lifetime,
                       "a code channel (kind=code, pairing by a typed code) lives this long from its creation; its cid "
                       "is then taken for this long plus --grace"),
      QRLOGIN_COUNT("max-code-channels", max_code_channels, 1, 10000000,
                    "code channels opened within the last --code-lifetime, deployment-wide (cluster-wide with "
                    "--redis); more: unavailable 1013 (16 per address, 64 per network are fixed)"),
      QRLOGIN_RATE("max-code-lookups", max_code_lookups,
                   "code channel lookups a second, deployment-wide (cluster-wide with --redis); while spent, new "
                   "code channels: unavailable 1013 (qrlogin_relay_rejected_total{limit=\"code_lookup_budget\"})"),
  };
  return table;
}

bool is_unspecified_host(std::string_view host) {
  auto ip = parse_ip(host);
  if (!ip.ok()) return false;
  if (ip->is_v4()) return ip->bytes[12] == 0 && ip->bytes[13] == 0 && ip->bytes[14] == 0 && ip->bytes[15] == 0;
  return *ip == IpAddress{};
}

bool is_loopback_host(std::string_view host) {
  auto ip = parse_ip(host);
  if (!ip.ok()) return false;
  if (ip->is_v4()) return ip->bytes[12] == 127;
  return *ip == parse_ip("::1").value();
}

std::string host_for_url(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return "[" + std::string(host) + "]";
  return std::string(host);
}

}  // namespace

Environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<ParsedArgs> parse_config(const std::vector<std::string>& args, const Environment& env) {
  ParsedArgs parsed;
  std::vector<std::pair<const Option*, std::string>> from_flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.show_help = true;
      continue;
    }
    if (arg == "--version") {
      parsed.show_version = true;
      continue;
    }
    if (!arg.starts_with("--")) return bad(arg, "unexpected argument (see --help)");
    std::string_view name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      value = std::string(name.substr(eq + 1));
      name = name.substr(0, eq);
    }
    auto it = std::find_if(options().begin(), options().end(), [&](const Option& o) { return o.flag == name; });
    if (it == options().end()) return bad(arg, "unknown flag (see --help)");
    if (it->value_name.empty()) {
      if (value) return bad(arg, "takes no value");
      value = "1";
    } else if (!value) {
      if (i + 1 >= args.size()) return bad(arg, "needs a value");
      value = args[++i];
    }
    from_flags.emplace_back(&*it, std::move(*value));
  }

  // The profile changes defaults, so it is settled first. Only a flag
  // lifts abuse limits: a variable left in an environment would do it
  // unseen.
  std::string profile = "default";
  if (auto e = env(env_name("profile")); e && *e != "default")
    return bad(env_name("profile"), "the bench profile lifts abuse limits, so it is taken only from --profile on "
                                    "the command line; unset the variable",
               ConfigErrc::unsafe);
  for (const auto& [opt, value] : from_flags)
    if (opt->flag == "profile") profile = value;
  if (profile == "bench") apply_bench_profile(parsed.config.limits);
  else if (profile != "default") return bad("--profile", "must be default or bench");
  parsed.config.profile = profile;

  for (const auto& opt : options()) {
    if (opt.flag == "profile") continue;
    auto variable = env_name(opt.flag);
    if (auto value = env(variable)) {
      auto status = opt.apply(*value, parsed.config);
      if (!status.ok()) return bad(variable, status.error());
    }
  }
  for (const auto& [opt, value] : from_flags) {
    auto status = opt->apply(value, parsed.config);
    if (!status.ok()) return bad("--" + std::string(opt->flag), status.error());
  }
  if (parsed.config.tls_cert_file.empty() != parsed.config.tls_key_file.empty())
    return bad(parsed.config.tls_cert_file.empty() ? "--tls-key" : "--tls-cert",
               "TLS needs both --tls-cert and --tls-key");
  if (!parsed.config.cluster() && (!parsed.config.redis_password_file.empty() || !parsed.config.redis_key_file.empty()))
    return bad(parsed.config.redis_key_file.empty() ? "--redis-password-file" : "--redis-key-file",
               "only with --redis");
  auto& config = parsed.config;
  if (config.redis_node_ttl < Millis{500}) return bad("--redis-node-ttl", "must be at least 500ms");
  if (config.redis_link_timeout < Millis{100}) return bad("--redis-timeout", "must be at least 100ms");
  if (config.limits.max_channel_bytes < config.limits.max_frame_bytes)
    return bad("--max-channel-bytes", "must be at least --max-frame-bytes");
  if (is_unspecified_host(config.listen_host) && config.public_url.empty())
    return bad("--listen", "listening on every interface (" + config.listen_host +
                               "), the relay cannot know the URL it is reached at: pass --public-url "
                               "https://relay.example.com (or listen on one address)",
               ConfigErrc::unsafe);
  if (!config.trust_wide_proxy_ranges)
    for (const auto& cidr : config.trusted_proxies) {
      bool v4 = cidr.network.is_v4();
      unsigned bits = v4 ? (cidr.prefix >= 96 ? cidr.prefix - 96 : 0) : cidr.prefix;
      if (bits < 8)
        return bad("--trust-proxy", format_ip(cidr.network) + "/" + std::to_string(bits) +
                                        " is wider than /8: anyone in it could choose the address the limits count "
                                        "under; name your proxies' addresses, or add --trust-proxy-wide",
                   ConfigErrc::unsafe);
    }
  return parsed;
}

std::string help_text() {
  std::ostringstream out;
  out << "Usage: qrlogin-relay [FLAGS]\n\n"
         "The qrlogin blind WebSocket relay: pairs one receiver with one sender per channel\n"
         "(GET /v1/channels/{cid}?role=receiver|sender), forwards their binary frames\n"
         "unchanged, and answers /healthz on the same port; it serves no page.\n\n"
         "Every flag FOO-BAR can also be set with the environment variable QRLOGIN_RELAY_FOO_BAR;\n"
         "a flag beats the environment, the environment beats the default. Durations: 2s, 1500ms.\n\n";
  Config defaults;
  for (const auto& opt : options()) {
    out << "  --" << opt.flag << (opt.value_name.empty() ? "" : " ") << opt.value_name << "\n      " << opt.help
        << "\n      env "
        << env_name(opt.flag) << ", default " << opt.show_default(defaults) << "\n";
  }
  out << "  --version\n      print the version and exit\n  --help\n      print this and exit\n\n"
         "Signals: SIGINT/SIGTERM stop (clients get going_away); with TLS, SIGHUP reloads the certificate and\n"
         "key (new connections get them; a file that does not load is logged and the old ones stay); without TLS\n"
         "SIGHUP is ignored.\n\n"
         "Exit status: 0 after SIGINT/SIGTERM, 2 for bad or unsafe flags, a certificate or key that does not load,\n"
         "or an open-file limit (ulimit -n) too low for --max-connections;\n"
         "1 if it cannot listen.\n"
         "Reference: docs/relay.md\n";
  return out.str();
}

// QRLOGIN_VERSION is the CMake project version.
std::string_view version_text() { return "qrlogin-relay " QRLOGIN_VERSION " (protocol qrlogin.v1)"; }

Status ensure_file_limit(std::uint32_t max_connections, const std::function<FileLimit()>& get,
                         const std::function<bool(std::uint64_t soft)>& set) {
  auto need = std::uint64_t{max_connections} + kReservedFiles;
  auto limit = get();
  if (limit.soft >= need) return {};
  // The hard limit may be "unlimited", which the soft one cannot be set to:
  // then just what is needed.
  if (limit.hard >= need && (set(limit.hard) || set(need))) return {};
  return make_error(ConfigErrc::file_limit,
                    "--max-connections " + std::to_string(max_connections) + " needs " + std::to_string(need) +
                        " open files (" + std::to_string(kReservedFiles) + " kept for listeners, Redis, logs and "
                        "TLS), but this process may open at most " + std::to_string(std::max(limit.soft, limit.hard)) +
                        ": raise the limit (ulimit -n, or LimitNOFILE= in the systemd unit) or lower --max-connections");
}

Status ensure_file_limit(std::uint32_t max_connections) {
  return ensure_file_limit(
      max_connections,
      [] {
        rlimit r{};
        getrlimit(RLIMIT_NOFILE, &r);
        return FileLimit{static_cast<std::uint64_t>(r.rlim_cur), static_cast<std::uint64_t>(r.rlim_max)};
      },
      [](std::uint64_t soft) {
        rlimit r{};
        if (getrlimit(RLIMIT_NOFILE, &r) != 0) return false;
        r.rlim_cur = static_cast<rlim_t>(soft);
        return setrlimit(RLIMIT_NOFILE, &r) == 0;
      });
}

std::string public_url_for(const Config& config, std::uint16_t bound_port) {
  if (!config.public_url.empty()) return config.public_url;
  return std::string(config.tls() ? "https://" : "http://") + host_for_url(config.listen_host) + ":" +
         std::to_string(bound_port);
}

std::vector<std::string> allowed_origins_for(const Config& config, std::uint16_t bound_port) {
  if (!config.allowed_origins.empty()) return config.allowed_origins;
  std::vector<std::string> out;
  auto url = public_url_for(config, bound_port);
  auto scheme_end = url.find("://");
  auto path_at = url.find('/', scheme_end + 3);
  out.push_back(url.substr(0, path_at));
  auto port = std::to_string(bound_port);
  std::string scheme = config.tls() ? "https://" : "http://";
  out.push_back(scheme + host_for_url(config.listen_host) + ":" + port);
  if (is_loopback_host(config.listen_host)) {
    out.push_back(scheme + "localhost:" + port);
    out.push_back(scheme + "127.0.0.1:" + port);
    out.push_back(scheme + "[::1]:" + port);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace qrlogin::relay
