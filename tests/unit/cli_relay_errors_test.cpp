// tests/vectors/relay-errors.json against the CLI: the exit code and the
// pairing Reason each relay error ends with, and whether the CLI resumes
// after it (cli/relay_errors.hpp, which relay_connection.cpp,
// pairing_session.cpp and resumable_channel.cpp all ask).
#include <catch2/catch.hpp>

#include <string>

#include "cli/relay_connection.hpp"
#include "cli/relay_errors.hpp"
#include "tests/support/vectors.hpp"

using namespace qrlogin;
using namespace qrlogin::cli;

namespace {

const nlohmann::json& errors() {
  static const auto doc = test::load_vectors("relay-errors.json");
  return doc["errors"];
}

}  // namespace

TEST_CASE("CLI relay errors: every entry's exit code, Reason and resumability") {
  REQUIRE(errors().size() >= 9);
  for (const auto& entry : errors()) {
    auto code = entry["code"].get<std::string>();
    INFO(code);
    auto what = classify_relay_error(code);
    CHECK(static_cast<int>(what.exit_code) == entry["cli_exit"].get<int>());
    CHECK(pairing::reason_code(what.reason) == entry["client_reason"].get<std::string>());
    CHECK(what.resumable == entry["resumable"].get<bool>());
    CHECK(resumable_close(entry["close_code"].get<std::uint16_t>()) == entry["resumable"].get<bool>());
    // What `qrlogin send` and `qrlogin receive` report and exit with.
    for (bool sender : {true, false}) {
      auto reported = relay_error(code, "the relay's words", sender);
      CHECK(static_cast<int>(reported.exit_code) == entry["cli_exit"].get<int>());
      CHECK(reported.code == code);
      CHECK_FALSE(reported.message.empty());
    }
  }
}

TEST_CASE("CLI relay errors: replaced is an intrusion (exit 7), never resumed") {
  auto what = classify_relay_error("replaced");
  CHECK(what.reason == pairing::Reason::intrusion);
  CHECK(what.exit_code == ExitCode::intrusion);
  CHECK_FALSE(what.resumable);
  CHECK_FALSE(resumable_close(4001));
}

TEST_CASE("CLI relay errors: a code the relay does not define is a lost connection, not resumable") {
  for (std::string code : {"", "peer_closed", "forbidden_origin", "REPLACED", "replaced ", "going_away\n"}) {
    INFO(code);
    auto what = classify_relay_error(code);
    CHECK(what.reason == pairing::Reason::network);
    CHECK(what.exit_code == ExitCode::network);
    CHECK_FALSE(what.resumable);
    CHECK(relay_error(code, "", true).exit_code == ExitCode::network);
  }
  // A close without a resumable error's code (normal, a framing error, an
  // oversize message) does not resume either.
  for (std::uint16_t close : std::initializer_list<std::uint16_t>{1000, 1002, 1009, 4000, 4999})
    CHECK_FALSE(resumable_close(close));
}
