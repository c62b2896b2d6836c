#include "web/app/config.hpp"

#include <charconv>
#include <cstdlib>

#include "web/app/error.hpp"
#include "web/app/origin.hpp"

#ifndef QRLOGIN_VERSION
#define QRLOGIN_VERSION "0.0.0"
#endif

namespace qrlogin::app {
namespace {

Result<std::int64_t> parse_integer(std::string_view flag, std::string_view text, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max)
    return make_error(AppErrc::bad_flag, std::string(flag) + " " + std::string(text) + ": expected a whole number from " +
                                             std::to_string(min) + " to " + std::to_string(max));
  return value;
}

using Setter = Status (*)(Config&, std::string_view flag, std::string_view value);

struct Flag {
  std::string_view name;
  std::string_view value;  // empty: takes no value
  std::string_view default_text;
  std::string_view help;
  Setter set;
};

Status set_listen(Config& c, std::string_view flag, std::string_view v) {
  auto colon = v.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return make_error(AppErrc::bad_flag, std::string(flag) + " " + std::string(v) + ": expected HOST:PORT");
  auto port = parse_integer(flag, v.substr(colon + 1), 0, 65535);
  if (!port.ok()) return port.error();
  std::string_view host = v.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  c.listen_host = std::string(host);
  c.listen_port = static_cast<std::uint16_t>(*port);
  return {};
}

Status set_seconds(std::int64_t& out, std::string_view flag, std::string_view v, std::int64_t max) {
  auto value = parse_integer(flag, v, 1, max);
  if (!value.ok()) return value.error();
  out = *value;
  return {};
}

constexpr Flag kFlags[] = {
    {"--listen", "HOST:PORT", "127.0.0.1:8090", "address and port to serve on (port 0: any free port)",
     &set_listen},
    {"--origin", "URL", "http(s)://<listen address>",
     "the application's own origin, as browsers send it in Origin (https:// turns on Secure __Host- cookies)",
     [](Config& c, std::string_view, std::string_view v) -> Status {
       auto origin = parse_origin(v);
       if (!origin.ok()) return origin.error();
       c.origin = origin->text;
       return {};
     }},
    {"--state-dir", "DIR", "$XDG_STATE_HOME/qrlogin-app",
     "where the database (app.sqlite3) lives; created with mode 0700 when missing",
     [](Config& c, std::string_view flag, std::string_view v) -> Status {
       if (v.empty()) return make_error(AppErrc::bad_flag, std::string(flag) + ": empty");
       c.state_dir = std::string(v);
       return {};
     }},
    {"--in-memory", "", "off", "keep everything in memory and lose it at exit (trying it out, benchmarks)",
     [](Config& c, std::string_view, std::string_view) -> Status {
       c.in_memory = true;
       return {};
     }},
    {"--relay", "URL", "none", "the relay's ws:// or wss:// URL, told to clients by GET /api/config",
     [](Config& c, std::string_view flag, std::string_view v) -> Status {
       if (!v.starts_with("ws://") && !v.starts_with("wss://"))
         return make_error(AppErrc::bad_flag, std::string(flag) + " " + std::string(v) + ": expected ws:// or wss://");
       c.relay_url = std::string(v);
       return {};
     }},
    {"--tls-cert", "FILE", "none",
     "serve https with this PEM certificate (then any intermediates); needs --tls-key. Same rules as the relay's",
     [](Config& c, std::string_view flag, std::string_view v) -> Status {
       if (v.empty()) return make_error(AppErrc::bad_flag, std::string(flag) + ": empty");
       c.tls_cert_file = std::string(v);
       return {};
     }},
    {"--tls-key", "FILE", "none", "the certificate's private key, PEM, unencrypted (keep it 0600)",
     [](Config& c, std::string_view flag, std::string_view v) -> Status {
       if (v.empty()) return make_error(AppErrc::bad_flag, std::string(flag) + ": empty");
       c.tls_key_file = std::string(v);
       return {};
     }},
    {"--trust-proxy", "CIDR[,...]", "none",
     "read X-Forwarded-For only from these proxies (the client is the rightmost entry not among them)",
     [](Config& c, std::string_view flag, std::string_view v) -> Status {
       auto list = relay::parse_cidr_list(v);
       if (!list.ok()) return make_error(AppErrc::bad_flag, std::string(flag) + ": " + list.error().message);
       c.trusted_proxies = std::move(*list);
       return {};
     }},
    {"--other-network", "confirm|refuse", "confirm",
     "a login approved from another network than the new device's: confirm needs a deliberate step on the "
     "phone, refuse never allows it",
     [](Config& c, std::string_view flag, std::string_view v) -> Status {
       if (v == "confirm") c.refuse_other_network = false;
       else if (v == "refuse") c.refuse_other_network = true;
       else return make_error(AppErrc::bad_flag, std::string(flag) + " " + std::string(v) + ": expected confirm or refuse");
       return {};
     }},
    {"--pairing-lifetime", "SECONDS", "150",
     "how long a registered code can get a grant (the relay's channel lifetime, 120 s, plus slack)",
     [](Config& c, std::string_view flag, std::string_view v) {
       return set_seconds(c.pairing_lifetime_seconds, flag, v, 3600);
     }},
    {"--grant-lifetime", "SECONDS", "60", "how long a grant can be redeemed",
     [](Config& c, std::string_view flag, std::string_view v) {
       return set_seconds(c.grant_lifetime_seconds, flag, v, 600);
     }},
    {"--session-idle", "SECONDS", "2592000 (30 days)", "a session unused this long ends",
     [](Config& c, std::string_view flag, std::string_view v) {
       return set_seconds(c.session_idle_seconds, flag, v, 400LL * 24 * 3600);
     }},
    {"--password-cost", "interactive|moderate", "interactive",
     "libsodium's Argon2id limits for new password hashes (docs/app-api.md gives their cost)",
     [](Config& c, std::string_view flag, std::string_view v) -> Status {
       if (v == "interactive") c.password_cost = PasswordCost::interactive;
       else if (v == "moderate") c.password_cost = PasswordCost::moderate;
       else return make_error(AppErrc::bad_flag, std::string(flag) + " " + std::string(v) + ": expected interactive or moderate");
       return {};
     }},
    {"--threads", "N", "2", "I/O threads (a password hash holds one for its duration)",
     [](Config& c, std::string_view flag, std::string_view v) -> Status {
       auto n = parse_integer(flag, v, 1, 64);
       if (!n.ok()) return n.error();
       c.threads = static_cast<unsigned>(*n);
       return {};
     }},
    {"--profile", "default|bench", "default", "bench lifts every rate limit (benchmarks on loopback only)",
     [](Config& c, std::string_view flag, std::string_view v) -> Status {
       if (v == "default") c.bench_profile = false;
       else if (v == "bench") c.bench_profile = true;
       else return make_error(AppErrc::bad_flag, std::string(flag) + " " + std::string(v) + ": expected default or bench");
       return {};
     }},
};

}  // namespace

Environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

std::string default_state_dir(const Environment& env) {
  if (auto xdg = env("XDG_STATE_HOME")) return *xdg + "/qrlogin-app";
  if (auto home = env("HOME")) return *home + "/.local/state/qrlogin-app";
  return "state";
}

Result<ParsedArgs> parse_config(const std::vector<std::string>& args, const Environment& env) {
  ParsedArgs parsed;
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
    std::string_view name = arg;
    std::optional<std::string_view> inline_value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    const Flag* flag = nullptr;
    for (const auto& f : kFlags)
      if (f.name == name) flag = &f;
    if (flag == nullptr)
      return make_error(AppErrc::bad_flag, "unknown argument " + std::string(arg) + " (see --help)");
    std::string_view value;
    if (!flag->value.empty()) {
      if (inline_value) value = *inline_value;
      else if (i + 1 < args.size()) value = args[++i];
      else return make_error(AppErrc::bad_flag, std::string(name) + " needs a value: " + std::string(flag->value));
    } else if (inline_value) {
      return make_error(AppErrc::bad_flag, std::string(name) + " takes no value");
    }
    if (auto status = flag->set(parsed.config, name, value); !status.ok()) return status.error();
  }
  if (parsed.config.in_memory && !parsed.config.state_dir.empty())
    return make_error(AppErrc::bad_flag, "--in-memory and --state-dir exclude each other");
  if (parsed.config.tls_cert_file.empty() != parsed.config.tls_key_file.empty())
    return make_error(AppErrc::bad_flag, "TLS needs both --tls-cert and --tls-key");
  if (!parsed.config.in_memory && parsed.config.state_dir.empty()) parsed.config.state_dir = default_state_dir(env);
  return parsed;
}

std::string help_text() {
  std::string text =
      "qrlogin-app: the example application for qrlogin. Accounts, sessions, and QR login\n"
      "with single-use grants redeemed for the new device's own session (docs/app-api.md).\n\n"
      "Usage: qrlogin-app [--listen HOST:PORT] [--origin URL] [--state-dir DIR] [--relay URL] ...\n\n";
  for (const auto& f : kFlags) {
    // Appended piece by piece: "literal" + std::string&& trips GCC 12's -Wrestrict (bug 105329).
    text += "  ";
    text += f.name;
    if (!f.value.empty()) (text += " ") += f.value;
    ((((text += "\n      ") += f.help) += " (default: ") += f.default_text) += ")\n";
  }
  text +=
      "  --help, --version\n\n"
      "Exit status: 0 stopped by SIGINT/SIGTERM, 1 cannot listen, a certificate that does not load, or a fatal error,\n"
      "2 bad flags, 3 the state directory or database cannot be used.\n";
  return text;
}

std::string_view version_text() { return "qrlogin-app " QRLOGIN_VERSION; }

}  // namespace qrlogin::app
