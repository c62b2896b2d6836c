// The CLI's offline parts: options, answers, printing untrusted text, the
// terminal and SVG QR codes (decoded by zbarimg), and credential files.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/answer.hpp"
#include "cli/credential_file.hpp"
#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include "cli/reporter.hpp"
#include "cli/terminal_qr.hpp"
#include "cli/token_file.hpp"
#include "cli/who_is_asking.hpp"
#include "tests/support/qr_decode.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace qrlogin;
using namespace qrlogin::cli;

namespace {
const std::string kLink = "http://127.0.0.1:8080/pair#v1.ANkzCa7UkgNf7WS_5RTe5dWL5glbuhkGe3flMz5TCAg";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("the terminal QR decodes to exactly the link, in both styles and with colours") {
  qrlogin::testing::ScratchDir scratch;
  const std::string& dir = scratch.path;
  for (bool ascii : {false, true}) {
    for (bool colours : {false, true}) {
      auto text = render_terminal_qr(kLink, {ascii ? QrStyle::ascii : QrStyle::utf8, colours});
      REQUIRE(text);
      auto lines = test::qr_lines(*text, ascii);
      REQUIRE(lines.size() > 10);
      auto image = test::terminal_qr_to_pgm(lines, ascii, dir + "/qr.pgm");
      INFO("ascii " << ascii << " colours " << colours);
      CHECK(test::zbar_decode(image) == kLink);
    }
  }
  CHECK(render_terminal_qr(kLink, {QrStyle::none, false}).value().empty());
}

TEST_CASE("the SVG QR decodes to exactly the link") {
  qrlogin::testing::ScratchDir scratch;
  const std::string& dir = scratch.path;
  auto svg = render_svg_qr(kLink);
  REQUIRE(svg);
  std::ofstream(dir + "/qr.svg") << *svg;
  REQUIRE(qrlogin::testing::run_program("rsvg-convert", {"-w", "600", dir + "/qr.svg", "-o", dir + "/qr.png"})
              .exit_status == 0);
  CHECK(test::zbar_decode(dir + "/qr.png") == kLink);
}

TEST_CASE("answers at the code prompt") {
  CHECK(interpret_answer("y\n").kind == AnswerKind::yes);
  CHECK(interpret_answer(" YES ").kind == AnswerKind::yes);
  CHECK(interpret_answer("n").kind == AnswerKind::no);
  CHECK(interpret_answer("No").kind == AnswerKind::no);
  CHECK(interpret_answer("123 456").kind == AnswerKind::typed_code);
  CHECK(interpret_answer("123456").kind == AnswerKind::typed_code);
  CHECK(interpret_answer("12345").kind == AnswerKind::unclear);
  CHECK(interpret_answer("maybe").kind == AnswerKind::unclear);
  CHECK(interpret_answer("").kind == AnswerKind::unclear);
  // The deliberate step's phrase, for a device on another network.
  CHECK(interpret_answer(" My Device\n").kind == AnswerKind::own_device);
  CHECK(interpret_answer("my").kind == AnswerKind::unclear);
}

TEST_CASE("who is asking: the context, and the warning for another network") {
  PairingRequest near;
  near.device_name = "Chrome on Linux";
  near.user_agent = "Mozilla/5.0";
  near.address = "192.0.2.7";
  near.age = 12;
  near.relation = "same_network";
  near.requester_network = "192.0.2.0/24";
  near.approver_network = "192.0.2.0/24";
  auto shown = describe_request(near, "https://app.example", 0);
  CHECK_THAT(shown.human, Catch::Contains("Chrome on Linux (Mozilla/5.0)"));
  CHECK_THAT(shown.human, Catch::Contains("from 192.0.2.7, 12 seconds ago"));
  CHECK_THAT(shown.human, Catch::Contains("on this network (192.0.2.0/24)"));
  CHECK(shown.human.find("WARNING") == std::string::npos);
  CHECK(shown.fields["approval"] == "confirm");
  CHECK(shown.fields["network"]["relation"] == "same_network");

  PairingRequest far = near;
  far.address = "198.51.100.9";
  far.relation = "other_network";
  far.requester_network = "198.51.100.0/24";
  far.approval = Approval::deliberate;
  far.device_name = "evil\x1b[2J";
  shown = describe_request(far, "https://app.example", 0);
  CHECK_THAT(shown.human, Catch::Contains("on ANOTHER network: 198.51.100.0/24 (this device is on 192.0.2.0/24)"));
  CHECK_THAT(shown.human, Catch::Contains("WARNING: the device asking is not near you"));
  CHECK_THAT(shown.human, Catch::Contains("own device, somewhere else"));
  CHECK(shown.human.find('\x1b') == std::string::npos);
  CHECK(shown.fields["approval"] == "deliberate");
  CHECK(shown.fields["network"]["requester"] == "198.51.100.0/24");

  // An application that says no age: from its registered_at.
  PairingRequest old_app;
  old_app.registered_at = 1000;
  CHECK_THAT(describe_request(old_app, "https://app.example", 1300).human, Catch::Contains("5 minutes ago"));
  CHECK_FALSE(describe_request(old_app, "https://app.example", 1300).fields.contains("network"));
  CHECK(how_long_ago(0) == "just now");
  CHECK(how_long_ago(45) == "45 seconds ago");
}

TEST_CASE("untrusted text is printed without terminal escapes") {
  CHECK(printable("Alice's phone") == "Alice's phone");
  CHECK(printable("evil\x1b[2Jclear") == "evil?[2Jclear");
  CHECK(printable("a\nb\rc") == "a?b?c");
  CHECK(printable(std::string(200, 'x')).size() == 80);
  CHECK(printable("\xc3\xa9\xc3\xa9", 1) == "\xc3\xa9");
  // Line and paragraph separators, zero-width and bidirectional format
  // characters, the BOM and tag characters are not shown as they are.
  CHECK(printable("a\u2028b\u2029c") == "a?b?c");
  CHECK(printable("pay\u200bpal \u200d\u2060") == "pay?pal ??");
  CHECK(printable("\ufeffAlice \u202egnp.exe \u2066x\u2069") == "?Alice ?gnp.exe ?x?");
  CHECK(printable("tag\U000E0041\U000E007F") == "tag??");
  CHECK(printable("soft\u00adhyphen") == "soft?hyphen");
  // Letters, marks and symbols beyond ASCII stay.
  CHECK(printable("Zo\u00eb \u65e5\u672c \u2713 e\u0301") == "Zo\u00eb \u65e5\u672c \u2713 e\u0301");
  CHECK(printable("csi\xc2\x9b" "31m") == "csi?31m");            // C1 CSI
  CHECK(printable("\xc2\x1b[31m") == "??[31m");                   // a broken sequence hiding ESC
  CHECK(printable("abc\xe2\x80\xae" "evil") == "abc?evil");     // right-to-left override
  CHECK(printable("\xed\xa0\x80") == "???");                     // a UTF-8 surrogate
}

TEST_CASE("command lines") {
  auto r = parse_command_line({"receive", "--out", "cred.txt", "--relay=ws://127.0.0.1:9000", "--yes", "--qr", "ascii",
                               "--timeout", "2.5", "--json"});
  REQUIRE(r);
  CHECK(r->command == Command::receive);
  CHECK(r->receive.out == "cred.txt");
  CHECK(r->receive.relay == "ws://127.0.0.1:9000");
  CHECK(r->receive.page == "http://127.0.0.1:9000/pair");
  CHECK(r->receive.yes);
  CHECK(r->receive.qr.style == QrStyle::ascii);
  CHECK(*r->receive.common.timeout_seconds == 2.5);
  CHECK(r->receive.common.json);

  auto s = parse_command_line({"send", kLink, "--credential-file", "-", "--label", "Phone"});
  REQUIRE(s);
  CHECK(s->send.link == kLink);
  CHECK(s->send.credential_file == "-");
  CHECK(s->send.label == "Phone");

  auto bad = [](std::vector<std::string> args, std::string_view needle) {
    auto p = parse_command_line(args);
    REQUIRE_FALSE(p);
    CHECK_THAT(p.error().message, Catch::Contains(std::string(needle)));
  };
  bad({}, "missing command");
  bad({"fly"}, "unknown command");
  bad({"receive"}, "--out");
  bad({"receive", "--out", "x", "--qr", "png"}, "utf8, ascii or none");
  bad({"receive", "--out", "x", "--timeout", "-1"}, "--timeout");
  bad({"receive", "--out", "x", "--relay", "http://x"}, "ws://");
  bad({"receive", "--out"}, "needs a value");
  bad({"send", kLink}, "--credential-file");
  bad({"send", "--credential-file", "f"}, "needs the link");
  bad({"send", kLink, "--credential", "hunter2"}, "never takes the credential on the command line");
  bad({"send", kLink, kLink, "--credential-file", "f"}, "one link");
  bad({"receive", "--out", "-", "--json"}, "mix the credential");
  CHECK(parse_command_line({"send", "--help"})->command == Command::help);
  CHECK(parse_command_line({"receive", "--out", "x", "-h"})->command == Command::help);
  CHECK(parse_command_line({"help"})->command == Command::help);
  CHECK(parse_command_line({"--version"})->command == Command::version);
}

TEST_CASE("command lines with --app") {
  auto r = parse_command_line({"receive", "--app", "https://app.example", "--out", "token", "--device-name", "ci"});
  REQUIRE(r);
  CHECK(r->receive.app == "https://app.example");
  CHECK(r->receive.device_name == "ci");
  CHECK_FALSE(r->receive.relay_given);
  CHECK(r->receive.page.empty());  // <app origin>/pair, once the application said its origin
  auto s = parse_command_line({"send", kLink, "--app", "https://app.example", "--token-file", "t"});
  REQUIRE(s);
  CHECK(s->send.app == "https://app.example");
  CHECK(s->send.token_file == "t");

  auto bad = [](std::vector<std::string> args, std::string_view needle) {
    auto p = parse_command_line(args);
    REQUIRE_FALSE(p);
    CHECK_THAT(p.error().message, Catch::Contains(std::string(needle)));
  };
  bad({"send", kLink, "--app", "https://app.example"}, "needs --token-file FILE");
  bad({"send", kLink, "--app", "https://app.example", "--token-file", "t", "--credential-file", "c"},
      "sends no --credential-file");
  bad({"send", kLink, "--token-file", "t", "--credential-file", "c"}, "needs --app URL");
  bad({"send", kLink, "--app", "ftp://x", "--token-file", "t"}, "http://... or https://...");
  bad({"receive", "--app", "https://app.example"}, "--out FILE for this device's token");
  bad({"receive", "--out", "x", "--device-name", "ci"}, "needs --app URL");
  bad({"receive", "--app", "ws://app.example", "--out", "x"}, "http://... or https://...");
  bad({"receive", "--app", "http://a", "--out", "x", "--device-name", std::string(65, 'n')}, "longer than 64 bytes");
  bad({"receive", "--app", "http://a", "--out", "x", "--device-name", "a\x1b[31m"}, "control character");

  // --bind: the local address to connect from, for both commands.
  auto bound = parse_command_line({"receive", "--app", "https://app.example", "--out", "t", "--bind", "2001:db8::10"});
  REQUIRE(bound);
  CHECK(bound->receive.common.bind == "2001:db8::10");
  auto bound_send =
      parse_command_line({"send", kLink, "--app", "https://a.example", "--token-file", "t", "--bind=192.0.2.10"});
  REQUIRE(bound_send);
  CHECK(bound_send->send.common.bind == "192.0.2.10");
  bad({"receive", "--app", "http://a", "--out", "x", "--bind", "host.example"}, "--bind takes this host's own IP");
  bad({"receive", "--app", "http://a", "--out", "x", "--bind", "192.0.2.10:80"}, "--bind takes this host's own IP");
}

TEST_CASE("a device token file must be private, like an ssh key") {
  qrlogin::testing::ScratchDir scratch;
  auto path = scratch.file("token");
  scratch.write("token", "abc_DEF-123\n");
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  auto token = read_token_file(path);
  REQUIRE(token);
  CHECK(token->view() == "abc_DEF-123");
  for (mode_t mode : {0640u, 0604u, 0660u}) {
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    auto refused = read_token_file(path);
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.error().message, Catch::Contains("accessible by others") && Catch::Contains("chmod 600"));
  }
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  scratch.write("token", "two words\n");
  CHECK_FALSE(read_token_file(path));
  scratch.write("token", "\n");
  CHECK_FALSE(read_token_file(path));
  CHECK_FALSE(read_token_file(scratch.path));  // a directory
  CHECK(token_file_text(SecretString::copy_of("t0k")).view() == "t0k\n");
}

TEST_CASE("every reason has its exit code") {
  using pairing::Reason;
  CHECK(exit_code_for(Reason::sas_mismatch) == ExitCode::code_mismatch);
  CHECK(exit_code_for(Reason::rejected) == ExitCode::code_mismatch);
  CHECK(exit_code_for(Reason::expired) == ExitCode::expired);
  CHECK(exit_code_for(Reason::timeout) == ExitCode::expired);
  CHECK(exit_code_for(Reason::network) == ExitCode::network);
  CHECK(exit_code_for(Reason::possible_attack) == ExitCode::protocol);
  CHECK(exit_code_for(Reason::bad_commit) == ExitCode::protocol);
  CHECK(exit_code_for(Reason::intrusion) == ExitCode::intrusion);
  CHECK(static_cast<int>(ExitCode::app_refused) == 8);
  CHECK(exit_code_name(ExitCode::app_refused) == "app_refused");
}

TEST_CASE("credential files are written atomically with mode 0600 and not overwritten") {
  qrlogin::testing::ScratchDir scratch;
  const std::string& dir = scratch.path;
  auto path = dir + "/credential";
  Bytes content{'a', 'b', 0, 'c', '\n'};
  REQUIRE(write_credential_file(path, content, false));
  CHECK(read_file(path) == std::string("ab\0c\n", 5));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto again = write_credential_file(path, as_bytes("other"), false);
  REQUIRE_FALSE(again);
  CHECK_THAT(again.error().message, Catch::Contains("--force"));
  CHECK(read_file(path) == std::string("ab\0c\n", 5));

  REQUIRE(write_credential_file(path, as_bytes("other"), true));
  CHECK(read_file(path) == "other");
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto missing_dir = write_credential_file(dir + "/no/such/dir/file", content, false);
  REQUIRE_FALSE(missing_dir);
  CHECK_THAT(missing_dir.error().message, Catch::Contains("No such file"));

  // No temporary files are left behind.
  std::vector<std::string> listing;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) listing.push_back(entry.path().filename().string());
  CHECK(listing == std::vector<std::string>{"credential"});
}

TEST_CASE("credential files replace a symlink at the path instead of writing through it") {
  qrlogin::testing::ScratchDir scratch;
  const std::string& dir = scratch.path;
  auto target = dir + "/elsewhere";
  auto path = dir + "/credential";
  REQUIRE(write_credential_file(target, as_bytes("untouched"), false));
  REQUIRE(::symlink(target.c_str(), path.c_str()) == 0);

  auto refused = write_credential_file(path, as_bytes("secret"), false);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains("already exists"));

  REQUIRE(write_credential_file(path, as_bytes("secret"), true));
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK(read_file(path) == "secret");
  CHECK(read_file(target) == "untouched");
}

TEST_CASE("credential file paths that name no file are refused") {
  qrlogin::testing::ScratchDir scratch;
  const std::string& dir = scratch.path;
  for (const auto& bad : {dir + "/", dir + "/.", dir + "/.."}) {
    auto st = write_credential_file(bad, as_bytes("x"), true);
    REQUIRE_FALSE(st);
    CHECK_THAT(st.error().message, Catch::Contains("is not a file name"));
  }
}

TEST_CASE("reading credentials") {
  qrlogin::testing::ScratchDir scratch;
  const std::string& dir = scratch.path;
  std::ofstream(dir + "/c") << "token\n";
  auto c = read_credential(dir + "/c", 100);
  REQUIRE(c);
  CHECK(as_chars(c->view()) == "token\n");
  std::ofstream(dir + "/big") << std::string(101, 'x');
  auto big = read_credential(dir + "/big", 100);
  REQUIRE_FALSE(big);
  CHECK_THAT(big.error().message, Catch::Contains("too large"));
  auto missing = read_credential(dir + "/missing", 100);
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("cannot read"));
}

TEST_CASE("--code: receive refuses --yes (no auto-accept) and send takes no code or link on the command line") {
  auto receive = parse_command_line({"receive", "--code", "--out", "x"});
  REQUIRE(receive);
  CHECK(receive->receive.code);
  auto yes = parse_command_line({"receive", "--code", "--yes", "--out", "x"});
  REQUIRE_FALSE(yes);
  CHECK(yes.error().message.find("--code cannot be combined with --yes") != std::string::npos);
  auto send = parse_command_line({"send", "--code", "--credential-file", "c", "--relay", "ws://127.0.0.1:9000"});
  REQUIRE(send);
  CHECK(send->send.code);
  CHECK(send->send.page == "http://127.0.0.1:9000/pair");
  auto typed = parse_command_line({"send", "--code", "48210733159065", "--credential-file", "c"});
  REQUIRE_FALSE(typed);
  CHECK(typed.error().message.find("never from the command line") != std::string::npos);
  CHECK_FALSE(parse_command_line({"send", kLink, "--relay", "ws://x", "--credential-file", "c"}));
}
