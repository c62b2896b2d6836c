#pragma once
// Command-line options of `qrlogin receive` and `qrlogin send`.
#include <optional>
#include <string>
#include <vector>

#include "cli/error.hpp"
#include "cli/terminal_qr.hpp"

namespace qrlogin::cli {

struct CommonOptions {
  bool json = false;
  std::optional<double> timeout_seconds;  // overall; none = until the user stops it
  std::string ca_file;                    // for wss:// relays with a private CA
  std::string bind;                       // --bind: the local address to connect from (multi-homed hosts)
};

struct ReceiveOptions {
  CommonOptions common;
  std::string relay = "ws://127.0.0.1:8080";
  bool relay_given = false;
  std::string page;     // default: <relay as http(s)>/pair, or <app origin>/pair with --app
  std::string app;      // --app URL: log in to this application; --out gets its device token
  std::string device_name;  // with --app: this device's name in the account's list (default: the host name)
  std::string out;      // file, or "-" for stdout; empty: refuse (we never print a credential by default)
  bool force = false;
  bool yes = false;     // auto-accept (documented risk); never with --code
  bool code = false;    // --code: show a typed code instead of a QR code
  QrOptions qr;
  std::string qr_svg;   // also write the QR as SVG here
};

struct SendOptions {
  CommonOptions common;
  std::string link;
  std::string credential_file;  // file or "-"
  std::string label;
  std::string app;              // --app URL: approve a login to this application...
  std::string token_file;       // ...as the device whose token is in this file
  bool code = false;            // --code: the code is typed at the terminal (never taken from argv)
  std::string relay = "ws://127.0.0.1:8080";  // --code: the application's relay...
  bool relay_given = false;
  std::string page;             // ...and page (its origin is bound into the code's key)
};

enum class Command { receive, send, help, version };

struct ParsedCommand {
  Command command = Command::help;
  ReceiveOptions receive;
  SendOptions send;
};

// Errors carry a message for the user; the caller exits with the usage code.
Result<ParsedCommand> parse_command_line(const std::vector<std::string>& args);

std::string usage_text();

// The page URL a relay URL implies by default: ws -> http, wss -> https, + /pair.
Result<std::string> default_page_for_relay(const std::string& relay);

}  // namespace qrlogin::cli
