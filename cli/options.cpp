#include "cli/options.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>

namespace qrlogin::cli {

namespace {

Error usage_error(std::string message) { return make_error(Errc::usage, std::move(message)); }

// Pulls the value of a flag written as "--flag value" or "--flag=value".
struct ArgReader {
  const std::vector<std::string>& args;
  std::size_t i = 0;

  bool done() const { return i >= args.size(); }
  const std::string& peek() const { return args[i]; }

  Result<std::string> value_of(const std::string& flag, const std::string& current) {
    auto eq = current.find('=');
    if (eq != std::string::npos) return current.substr(eq + 1);
    if (i + 1 >= args.size()) return usage_error(flag + " needs a value");
    return args[++i];
  }
};

std::string flag_name(const std::string& arg) { return arg.substr(0, arg.find('=')); }

Result<double> parse_seconds(const std::string& text) {
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || !std::isfinite(value) || value <= 0 || value > 86400)
    return usage_error("--timeout takes a number of seconds between 0 and 86400");
  return value;
}

Result<QrStyle> parse_qr_style(const std::string& text) {
  if (text == "utf8") return QrStyle::utf8;
  if (text == "ascii") return QrStyle::ascii;
  if (text == "none") return QrStyle::none;
  return usage_error("--qr takes utf8, ascii or none");
}

bool is_ip_address(const std::string& text) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 || ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// Handles the flags both commands share; returns false when arg is not one.
Result<bool> common_flag(ArgReader& reader, const std::string& arg, CommonOptions& common) {
  auto name = flag_name(arg);
  if (name == "--json") {
    common.json = true;
    return true;
  }
  if (name == "--timeout") {
    auto v = reader.value_of(name, arg);
    if (!v) return v.error();
    auto seconds = parse_seconds(*v);
    if (!seconds) return seconds.error();
    common.timeout_seconds = *seconds;
    return true;
  }
  if (name == "--ca-file") {
    auto v = reader.value_of(name, arg);
    if (!v) return v.error();
    common.ca_file = *v;
    return true;
  }
  if (name == "--bind") {
    auto v = reader.value_of(name, arg);
    if (!v) return v.error();
    if (!is_ip_address(*v))
      return usage_error("--bind takes this host's own IP address to connect from, e.g. 192.0.2.10 or 2001:db8::10 "
                         "(not a host name)");
    common.bind = *v;
    return true;
  }
  return false;
}

Result<ReceiveOptions> parse_receive(ArgReader reader) {
  ReceiveOptions o;
  bool page_given = false;
  for (; !reader.done(); ++reader.i) {
    const std::string arg = reader.peek();
    auto handled = common_flag(reader, arg, o.common);
    if (!handled) return handled.error();
    if (*handled) continue;
    auto name = flag_name(arg);
    if (name == "--relay" || name == "--page" || name == "--out" || name == "--qr" || name == "--qr-svg" ||
        name == "--app" || name == "--device-name") {
      auto v = reader.value_of(name, arg);
      if (!v) return v.error();
      if (name == "--relay") o.relay = *v, o.relay_given = true;
      if (name == "--app") o.app = *v;
      if (name == "--device-name") o.device_name = *v;
      if (name == "--page") o.page = *v, page_given = true;
      if (name == "--out") o.out = *v;
      if (name == "--qr-svg") o.qr_svg = *v;
      if (name == "--qr") {
        auto style = parse_qr_style(*v);
        if (!style) return style.error();
        o.qr.style = *style;
      }
    } else if (arg == "--force") {
      o.force = true;
    } else if (arg == "--yes") {
      o.yes = true;
    } else if (arg == "--code") {
      o.code = true;
    } else {
      return usage_error("qrlogin receive: unknown argument '" + arg + "'");
    }
  }
  if (o.code && o.yes)
    return usage_error("--code cannot be combined with --yes: with a typed code, anyone who guesses it could push "
                       "a credential without seeing this screen, so every login must be accepted at the terminal");
  if (o.code && !o.qr_svg.empty()) return usage_error("--qr-svg writes a QR code; --code shows a typed code instead");
  if (o.out.empty())
    return usage_error(o.app.empty()
                           ? "qrlogin receive needs --out FILE (or --out - for standard output) for the credential"
                           : "qrlogin receive --app needs --out FILE for this device's token");
  if (o.out == "-" && o.common.json)
    return usage_error("--json and --out - would mix the credential into the event stream on stdout; use --out FILE");
  if (!o.device_name.empty() && o.app.empty())
    return usage_error("--device-name names this device in an application's device list: it needs --app URL");
  // The application's rule for names (docs/app-api.md), checked before a grant is spent on it.
  if (o.device_name.size() > 64) return usage_error("--device-name is longer than 64 bytes");
  for (char c : o.device_name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return usage_error("--device-name holds a control character");
  if (!o.app.empty()) {
    if (o.app.rfind("http://", 0) != 0 && o.app.rfind("https://", 0) != 0)
      return usage_error("--app takes the application's URL, http://... or https://...");
    if (o.relay_given && !page_given) {
      auto checked = default_page_for_relay(o.relay);  // refuses a relay that is not ws:// or wss://
      if (!checked) return checked.error();
    }
    return o;  // the page (<app origin>/pair) and the relay come from the application at run time
  }
  if (!page_given) {
    auto page = default_page_for_relay(o.relay);
    if (!page) return page.error();
    o.page = *page;
  }
  return o;
}

Result<SendOptions> parse_send(ArgReader reader) {
  SendOptions o;
  for (; !reader.done(); ++reader.i) {
    const std::string arg = reader.peek();
    auto handled = common_flag(reader, arg, o.common);
    if (!handled) return handled.error();
    if (*handled) continue;
    auto name = flag_name(arg);
    if (name == "--credential-file" || name == "--label" || name == "--app" || name == "--token-file" ||
        name == "--relay" || name == "--page") {
      auto v = reader.value_of(name, arg);
      if (!v) return v.error();
      if (name == "--relay") o.relay = *v, o.relay_given = true;
      if (name == "--page") o.page = *v;
      if (name == "--label") o.label = *v;
      if (name == "--credential-file") o.credential_file = *v;
      if (name == "--app") o.app = *v;
      if (name == "--token-file") o.token_file = *v;
    } else if (arg == "--code") {
      o.code = true;
    } else if (name == "--credential") {
      return usage_error("qrlogin send never takes the credential on the command line (other users can see it); "
                         "use --credential-file FILE, or --credential-file - to read it from standard input");
    } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
      return usage_error("qrlogin send: unknown argument '" + arg + "'");
    } else if (o.link.empty()) {
      o.link = arg;
    } else {
      return usage_error("qrlogin send takes one link");
    }
  }
  if (o.code && !o.link.empty())
    return usage_error("qrlogin send --code reads the code at the terminal, never from the command line (other "
                       "users can see it there); drop '" + o.link.substr(0, 40) + "'");
  if (!o.code && (o.relay_given || !o.page.empty()))
    return usage_error("qrlogin send uses the relay and page named by the link; --relay and --page go with --code");
  if (!o.code && o.link.empty()) return usage_error("qrlogin send needs the link the other device shows");
  if (o.code && o.app.empty() && o.page.empty()) {
    auto page = default_page_for_relay(o.relay);
    if (!page) return page.error();
    o.page = *page;
  }
  if (!o.app.empty()) {
    if (!o.credential_file.empty())
      return usage_error("qrlogin send --app approves a login with a grant the application makes; it sends no "
                         "--credential-file (drop one of them)");
    if (o.token_file.empty())
      return usage_error("qrlogin send --app needs --token-file FILE: the device token of a device logged in to "
                         "the application (qrlogin receive --app --out FILE wrote one)");
    if (o.app.rfind("http://", 0) != 0 && o.app.rfind("https://", 0) != 0)
      return usage_error("--app takes the application's URL, http://... or https://...");
    return o;
  }
  if (!o.token_file.empty())
    return usage_error("--token-file is the device token for an application: it needs --app URL");
  if (o.credential_file.empty()) return usage_error("qrlogin send needs --credential-file FILE (or - for standard input)");
  return o;
}

}  // namespace

Result<std::string> default_page_for_relay(const std::string& relay) {
  std::string scheme;
  if (relay.rfind("ws://", 0) == 0) scheme = "http://";
  else if (relay.rfind("wss://", 0) == 0) scheme = "https://";
  else return usage_error("--relay must be a ws:// or wss:// URL");
  std::string rest = relay.substr(relay.find("://") + 3);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  return scheme + rest + "/pair";
}

Result<ParsedCommand> parse_command_line(const std::vector<std::string>& args) {
  ParsedCommand parsed;
  if (args.empty()) return usage_error("missing command: qrlogin receive | qrlogin send LINK (see qrlogin --help)");
  const auto& command = args[0];
  if (command == "--help" || command == "-h" || command == "help") {
    parsed.command = Command::help;
    return parsed;
  }
  if (command == "--version") {
    parsed.command = Command::version;
    return parsed;
  }
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      parsed.command = Command::help;
      return parsed;
    }
  }
  ArgReader reader{args, 1};
  if (command == "receive") {
    auto o = parse_receive(reader);
    if (!o) return o.error();
    parsed.command = Command::receive;
    parsed.receive = std::move(o).value();
    return parsed;
  }
  if (command == "send") {
    auto o = parse_send(reader);
    if (!o) return o.error();
    parsed.command = Command::send;
    parsed.send = std::move(o).value();
    return parsed;
  }
  return usage_error("unknown command '" + command + "': use qrlogin receive or qrlogin send");
}

std::string usage_text() {
  return R"(qrlogin — log a device in with a QR code, end to end encrypted

  qrlogin receive --out FILE|- [--relay URL] [--page URL] [--force] [--yes]
                  [--timeout SECONDS] [--qr utf8|ascii|none] [--qr-svg FILE]
                  [--json] [--ca-file FILE]
      Shows a QR code and a link; when the other device has scanned it, shows
      a 6-digit code to compare, then writes the credential it receives to
      FILE (mode 0600, atomically) or to standard output with --out -.
      The answer is read from a terminal only (never a pipe); without one,
      only --yes can complete a pairing.

  qrlogin send LINK --credential-file FILE|- [--label TEXT]
               [--timeout SECONDS] [--json] [--ca-file FILE]
      Sends the credential in FILE (or standard input) to the device that
      shows LINK, after you confirmed that both devices show the same code.

  qrlogin receive --code --out FILE|- [--relay URL] [--page URL] [--force]
                  [--timeout SECONDS] [--json] [--ca-file FILE]
      Shows a 14-digit code (and its spoken form, for a screen reader)
      instead of a QR code, for a device that cannot scan one. When the
      other device has entered it, asks you to accept the login, then writes
      the credential. A fresh code after each failure; after three failures
      once a device joined (wrong codes, or someone guessing) it stops
      (exit 9). There is no --yes in code mode.

  qrlogin send --code --credential-file FILE|- [--relay URL] [--page URL]
               [--label TEXT] [--timeout SECONDS] [--json] [--ca-file FILE]
      Reads the code the other device shows from the terminal (never from
      the command line), checks it against that device, and sends the
      credential once you confirmed. Enter a code only from a screen in
      front of you. A code whose check failed is refused from then on.

  qrlogin receive --code --app URL --out FILE [--device-name NAME]
  qrlogin send --code --app URL --token-file FILE [--label TEXT]
      The same login to an application by a typed code. receive registers
      each code with the application before showing it (and replaces an
      unused one before the application forgets it); send first shows who
      is asking, then asks the application for a grant once you accepted.
      The relay and the page are the application's: a code typed for
      another application's page is refused.

  qrlogin receive --app URL --out FILE [--device-name NAME] [--relay URL]
                  [--bind ADDRESS] [other receive options]
      Logs this device in to the application at URL with its own device
      token: registers the code with the application before showing it,
      redeems the single-use grant the other device sends, writes the token
      to FILE (mode 0600, atomically) and says who it is logged in as. The
      relay comes from the application unless --relay is given.

  qrlogin send LINK --app URL --token-file FILE [--label TEXT]
               [--timeout SECONDS] [--json] [--ca-file FILE] [--bind ADDRESS]
      Approves the device that shows LINK, as the device whose token is in
      FILE (mode 0600; one that others can read is refused): first shows
      what the application saw of it (name, address, how long ago, and
      whether it is on this network), then, once you confirmed the code,
      asks the application for a grant and sends it. A device on another
      network gets a warning, and only typing 'my device' and then the code
      the other screen shows approves it (a plain y cancels); an application
      that refuses such logins ends it with exit 8.

Options
  --relay URL        relay WebSocket URL (receive, and send --code; default
                     ws://127.0.0.1:8080). send uses the relay named by the link.
  --page URL         page URL the link points at (default: the relay's /pair);
                     with --code its origin is bound into the code's key, so
                     both sides must use the same application's page
  --code             pair by a typed code instead of a QR code
  --out FILE|-       where to write the credential received (required)
  --force            replace FILE if it exists
  --yes              accept without asking (the code is still shown for the
                     other device's user to compare). Risk: anyone holding
                     the QR code could push their own credential to you.
  --timeout SECONDS  give up after this long (receive: otherwise a fresh QR
                     code is shown each time one expires)
  --qr STYLE         utf8 (default), ascii, or none
  --qr-svg FILE      also write the QR code as an SVG image
  --label TEXT       a name for this credential, shown by the receiver
  --app URL          the application's origin (http:// or https://, no path)
  --device-name NAME receive --app: this device's name in the account's
                     device list (default: the host name)
  --token-file FILE  send --app: the device token of a device logged in to
                     the application (e.g. one qrlogin receive --app wrote)
  --json             one JSON object per line on stdout for every event;
                     human text goes to stderr
  --ca-file FILE     for a wss:// relay and an https:// application: trust
                     the CA certificate(s) in FILE instead of the system's
                     (e.g. tls/ca.pem from scripts/make-cert). The
                     certificate is always checked.
  --bind ADDRESS     connect to the relay and the application from this
                     host's own IP address (a host on several networks)
  --version, --help

Answering the code prompt: y (same code), n (different), or type the six
digits the other screen shows. The answer is read from the terminal, or
from standard input when there is no terminal; end of input means no.

A lost connection to the relay is resumed by itself while the code is
valid ("reconnecting..."); nothing is asked again.

Typed codes (--code): a typo is refused before anything is sent (exit 2
from a pipe; asked again at a terminal). The sender remembers codes whose
check failed in $XDG_STATE_HOME/qrlogin/spent-codes (or
~/.local/state/qrlogin/spent-codes) and refuses them until they expired.

Exit codes: 0 ok, 1 local error, 2 usage, bad link or mistyped code, 3 codes
differ, wrong code or refused (or not approved), 4 expired, timed out or
code already used, 5 relay or network error, 6 protocol error or possible
attack, 7 someone else used the code, 8 the application refused (a grant
used or expired, a device token no longer valid: log in again, a code it did
not make, a device on another network where it allows none) or the
credential was for another application, 9 receive --code: three codes failed.
)";
}

}  // namespace qrlogin::cli
