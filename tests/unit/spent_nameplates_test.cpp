// The sender's record of spent nameplates (cli/spent_nameplates.hpp): a
// nameplate is refused until its time runs out, across runs (the file), and
// the file holds only hashes, mode 0600.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/exit_codes.hpp"
#include "cli/spent_nameplates.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace qrlogin::cli;

namespace {
std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("a spent nameplate is refused until its time runs out, in a new process too, and the file holds hashes") {
  qrlogin::testing::ScratchDir scratch;
  const std::string path = scratch.path + "/state/qrlogin/spent-codes";  // directories created on first use
  SpentNameplates spent(path);
  CHECK_FALSE(spent.is_spent("4821073", 1000).value());  // no file yet
  REQUIRE(spent.spend("4821073", 1330, 1000));
  CHECK(spent.is_spent("4821073", 1000).value());
  CHECK(SpentNameplates(path).is_spent("4821073", 1329).value());  // what another run reads
  CHECK_FALSE(spent.is_spent("4821073", 1330).value());            // lifetime plus grace is over
  CHECK_FALSE(spent.is_spent("4821074", 1000).value());
  auto text = read_all(path);
  CHECK(text.find("4821073") == std::string::npos);
  CHECK(text.size() == 64 + 1 + 4 + 1);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((scratch.path + "/state/qrlogin").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  // A later spend drops the lines that ran out, and lines it cannot read.
  {
    std::ofstream append(path, std::ios::app);
    append << "not a line\n";
  }
  REQUIRE(spent.spend("1111111", 5000, 2000));
  text = read_all(path);
  CHECK(text.find("not a line") == std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  CHECK(spent.is_spent("1111111", 2000).value());
}

TEST_CASE("the spent-nameplate file lives in the user's state directory") {
  const char* old_state = std::getenv("XDG_STATE_HOME");
  std::string saved = old_state ? old_state : "";
  const char* old_home = std::getenv("HOME");
  std::string saved_home = old_home ? old_home : "";
  ::setenv("XDG_STATE_HOME", "/tmp/x-state", 1);
  CHECK(SpentNameplates::default_path() == "/tmp/x-state/qrlogin/spent-codes");
  ::setenv("XDG_STATE_HOME", "relative", 1);  // not absolute: ignored (XDG Base Directory)
  ::setenv("HOME", "/home/someone", 1);
  CHECK(SpentNameplates::default_path() == "/home/someone/.local/state/qrlogin/spent-codes");
  if (old_state) ::setenv("XDG_STATE_HOME", saved.c_str(), 1);
  else ::unsetenv("XDG_STATE_HOME");
  if (old_home) ::setenv("HOME", saved_home.c_str(), 1);
}

TEST_CASE("code mode's reasons have exit codes, and too_many_attempts its own") {
  using qrlogin::pairing::Reason;
  CHECK(exit_code_for(Reason::wrong_code) == ExitCode::code_mismatch);
  CHECK(exit_code_for(Reason::code_in_use) == ExitCode::intrusion);
  CHECK(exit_code_for(Reason::too_many_attempts) == ExitCode::too_many_attempts);
  CHECK(static_cast<int>(ExitCode::too_many_attempts) == 9);
  CHECK(exit_code_name(ExitCode::too_many_attempts) == "too_many_attempts");
}
