// tests/vectors/relay-errors.json against the relay's own codes
// (relay/core/codes.hpp): every code the relay has is in the table, with
// the wire name and the close code the relay sends, and nothing else is.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "relay/core/codes.hpp"
#include "relay/core/control.hpp"
#include "tests/support/vectors.hpp"

using namespace qrlogin;
using relay::Code;

namespace {

const nlohmann::json& table() {
  static const auto doc = test::load_vectors("relay-errors.json");
  return doc;
}

// The table's entry for `name` in errors or not_errors, or null.
const nlohmann::json* find(const char* list, std::string_view name) {
  for (const auto& entry : table()[list])
    if (entry["code"].get<std::string>() == name) return &entry;
  return nullptr;
}

}  // namespace

TEST_CASE("relay errors table: every relay Code is in it once, with its wire name and close code") {
  std::set<std::string> names;
  for (std::size_t i = 0; i < relay::kCodeCount; ++i) {
    auto code = static_cast<Code>(i);
    std::string name(relay::code_name(code));
    INFO("Code #" << i << " " << name);
    REQUIRE(name != "unknown");
    CHECK(names.insert(name).second);
    const auto* error = find("errors", name);
    const auto* other = find("not_errors", name);
    REQUIRE((error != nullptr) != (other != nullptr));
    const auto& entry = error != nullptr ? *error : *other;
    CHECK(entry["close_code"].get<int>() == relay::code_close(code));
    if (error != nullptr) {
      // What the relay sends before that close names the code.
      auto sent = relay::parse_control(relay::make_error_message(code));
      REQUIRE(sent.ok());
      CHECK(sent->type == "error");
      CHECK(sent->code == name);
      // ... and says whether to resume, as the table does (contract rev. 3).
      REQUIRE(sent->resume.has_value());
      CHECK(*sent->resume == (*error)["resumable"].get<bool>());
      CHECK(*sent->resume == relay::code_resumable(code));
    }
  }
  CHECK(table()["errors"].size() + table()["not_errors"].size() == relay::kCodeCount);
}

TEST_CASE("relay errors table: peer_closed is a normal close, never an error") {
  const auto* entry = find("not_errors", "peer_closed");
  REQUIRE(entry != nullptr);
  CHECK(relay::code_close(Code::peer_closed) == relay::close_code::normal);
  CHECK(table()["not_errors"].size() == 1);
}

TEST_CASE("relay errors table: each error's fields") {
  std::set<int> close_codes;
  for (const auto& entry : table()["errors"]) {
    INFO(entry.dump());
    CHECK(entry["resumable"].is_boolean());
    CHECK(entry["client_reason"].is_string());
    CHECK(entry["cli_exit"].is_number_integer());
    CHECK_FALSE(entry["meaning"].get<std::string>().empty());
    // One close code per error: a client that missed the `error` text can
    // still tell from the close alone.
    CHECK(close_codes.insert(entry["close_code"].get<int>()).second);
  }
}
