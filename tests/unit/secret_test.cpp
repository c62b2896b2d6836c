#include <catch2/catch.hpp>

#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <concepts>
#include <csignal>
#include <fstream>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

#include "crypto/secret.hpp"
#include "crypto/secure_memory.hpp"

using namespace qrlogin;

namespace {
template <class T>
concept Streamable = requires(std::ostream& os, const T& t) { os << t; };
}  // namespace

// A secret cannot be copied, compared with == or printed by accident.
static_assert(!std::is_copy_constructible_v<Secret>);
static_assert(!std::is_copy_assignable_v<Secret>);
static_assert(std::is_nothrow_move_constructible_v<Secret>);
static_assert(!std::equality_comparable<Secret>);
static_assert(!Streamable<Secret>);

TEST_CASE("Secret holds bytes, moves, and wipes") {
  Bytes source{1, 2, 3, 4};
  auto s = Secret::copy_of(source);
  REQUIRE(s.size() == 4);
  CHECK(ct_equal(s.view(), source));

  Secret moved = std::move(s);
  CHECK(s.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is defined
  CHECK(moved.size() == 4);

  moved.wipe();
  CHECK(moved.empty());
  CHECK(moved.view().empty());
}

TEST_CASE("secure_wipe zeroes memory") {
  Bytes b{9, 9, 9};
  secure_wipe(b);
  CHECK(b == Bytes{0, 0, 0});
}

TEST_CASE("ct_equal compares content and length") {
  CHECK(ct_equal(Bytes{1, 2}, Bytes{1, 2}));
  CHECK_FALSE(ct_equal(Bytes{1, 2}, Bytes{1, 3}));
  CHECK_FALSE(ct_equal(Bytes{1, 2}, Bytes{1, 2, 3}));
  CHECK(ct_equal(Bytes{}, Bytes{}));
}

// The same for text: no copy, no ==, no printing, no silent std::string.
static_assert(!std::is_copy_constructible_v<SecretString>);
static_assert(!std::is_copy_assignable_v<SecretString>);
static_assert(std::is_nothrow_move_constructible_v<SecretString>);
static_assert(std::is_nothrow_move_assignable_v<SecretString>);
static_assert(!std::equality_comparable<SecretString>);
static_assert(!Streamable<SecretString>);
static_assert(!std::is_convertible_v<SecretString, std::string>);
static_assert(!std::is_convertible_v<SecretString, std::string_view>);
static_assert(!std::is_convertible_v<std::string, SecretString>);  // taking text over is explicit

TEST_CASE("SecretString gives its text as a view and a C string") {
  auto s = SecretString::copy_of("hunter2");
  CHECK(s.view() == "hunter2");
  CHECK(s.size() == 7);
  CHECK(std::string_view(s.c_str()) == "hunter2");
  CHECK(as_chars(s.bytes()) == "hunter2");

  SecretString none;
  CHECK(none.empty());
  CHECK(none.view().empty());
  CHECK(std::string_view(none.c_str()).empty());
  CHECK(SecretString::copy_of("").empty());
}

TEST_CASE("SecretString wipes the string it takes over") {
  // Longer than any small-string buffer: the bytes stay in the string's own
  // heap buffer, which the string keeps after clear().
  std::string token(64, 'k');
  const char* buffer = token.data();
  SecretString s(std::move(token));
  CHECK(s.view() == std::string(64, 'k'));
  CHECK(token.empty());  // NOLINT(bugprone-use-after-move): it was wiped, not moved from
  REQUIRE(token.data() == buffer);
  CHECK(std::string_view(buffer, 64) == std::string(64, '\0'));
}

TEST_CASE("SecretString moves, reassigns and wipes") {
  auto a = SecretString::copy_of("first");
  SecretString b = std::move(a);
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is defined
  CHECK(b.view() == "first");

  b = SecretString::copy_of("second");
  CHECK(b.view() == "second");

  b.wipe();
  CHECK(b.empty());
  CHECK(b.view().empty());
}

TEST_CASE("secure_wipe zeroes a string in place") {
  std::string text = "password";
  secure_wipe(text);
  CHECK(text == std::string(8, '\0'));
}

// ---- Where the bytes live (crypto/secure_memory.hpp) ----

namespace {

struct ChildRun {
  int status = 0;      // as waitpid gives it
  std::string stderr_text;
  [[nodiscard]] bool exited_with(int code) const { return WIFEXITED(status) && WEXITSTATUS(status) == code; }
};

// Runs body in a forked child (limits and capabilities changed there stay
// there) and collects its exit status and what it wrote to stderr. body
// returns the child's exit code.
ChildRun in_child(const std::function<int()>& body) {
  int err[2];
  REQUIRE(pipe(err) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(err[0]);
    dup2(err[1], STDERR_FILENO);
    // The test framework's own handlers stay in the parent: a fault kills
    // the child, plainly.
    std::signal(SIGSEGV, SIG_DFL);
    std::signal(SIGBUS, SIG_DFL);
    _exit(body());
  }
  close(err[1]);
  ChildRun run;
  char buffer[4096];
  for (ssize_t n; (n = read(err[0], buffer, sizeof buffer)) > 0;) run.stderr_text.append(buffer, static_cast<std::size_t>(n));
  close(err[0]);
  waitpid(pid, &run.status, 0);
  return run;
}

std::size_t count_of(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Without CAP_IPC_LOCK (root has it), RLIMIT_MEMLOCK applies.
bool drop_ipc_lock_capability() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
  return syscall(SYS_capset, &header, data) == 0;
}

bool set_soft_limit(int resource, rlim_t value) {
  rlimit limit{};
  if (getrlimit(resource, &limit) != 0) return false;
  limit.rlim_cur = value;
  return setrlimit(resource, &limit) == 0;
}

rlim_t address_space_in_use() {
  std::ifstream statm("/proc/self/statm");
  rlim_t pages = 0;
  statm >> pages;
  return pages * static_cast<rlim_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("a Secret lives in guarded memory, zero-filled, and is freed with it") {
  auto before = secret_memory_stats();
  {
    Secret s(48, SecretMemory::guarded);
    CHECK(s.memory() == SecretMemory::guarded);
    CHECK(ct_equal(s.view(), Bytes(48, 0)));
    auto copy = Secret::copy_of(Bytes{1, 2, 3}, SecretMemory::guarded);
    CHECK(copy.memory() == SecretMemory::guarded);
    CHECK(ct_equal(copy.view(), Bytes{1, 2, 3}));
    auto during = secret_memory_stats();
    CHECK(during.guarded_live == before.guarded_live + 2);
    CHECK(during.guarded_secrets == before.guarded_secrets + 2);
    CHECK(during.guarded_peak >= during.guarded_live);
    auto text = SecretString::copy_of("hunter2", SecretMemory::guarded);
    CHECK(text.view() == "hunter2");
  }
  CHECK(secret_memory_stats().guarded_live == before.guarded_live);

  auto heap = Secret::copy_of(Bytes{4, 5}, SecretMemory::heap);
  CHECK(heap.memory() == SecretMemory::heap);
  CHECK(ct_equal(heap.view(), Bytes{4, 5}));
  CHECK(secret_memory_stats().guarded_secrets == before.guarded_secrets + 3);
}

TEST_CASE("the byte after a guarded Secret is a guard page: reading it kills the process") {
  auto run = in_child([] {
    Secret s(32, SecretMemory::guarded);
    if (s.memory() != SecretMemory::guarded) return 3;
    volatile const std::uint8_t* past_the_end = s.view().data() + s.size();
    std::uint8_t leaked = *past_the_end;
    return leaked == 0 ? 42 : 43;  // survived: no guard page
  });
  CHECK(WIFSIGNALED(run.status));
  CHECK((WTERMSIG(run.status) == SIGSEGV || WTERMSIG(run.status) == SIGBUS));
}

TEST_CASE("a freed guarded region is wiped and kept, then given to the next secret of its size") {
  auto before = secret_memory_stats();
  const std::uint8_t* where = nullptr;
  {
    auto first = Secret::copy_of(Bytes(555, 0xaa), SecretMemory::guarded);
    where = first.view().data();
  }
  CHECK(secret_memory_stats().guarded_kept >= 1);
  CHECK(ct_equal(ByteView(where, 555), Bytes(555, 0)));  // the kept region was wiped
  auto second = Secret(555, SecretMemory::guarded);
  CHECK(second.view().data() == where);
  CHECK(ct_equal(second.view(), Bytes(555, 0)));
  auto after = secret_memory_stats();
  CHECK(after.guarded_regions == before.guarded_regions + 1);
  CHECK(after.guarded_secrets == before.guarded_secrets + 2);
}

TEST_CASE("mlock refused (RLIMIT_MEMLOCK): secrets stay guarded and usable, counted, and it is said once") {
  auto run = in_child([] {
    if (!drop_ipc_lock_capability() || !set_soft_limit(RLIMIT_MEMLOCK, 0)) return 2;
    auto before = secret_memory_stats();
    // Sizes no other test uses: new regions, not kept ones.
    auto a = Secret::copy_of(Bytes(771, 7), SecretMemory::guarded);
    auto b = SecretString::copy_of(std::string(771, 't'), SecretMemory::guarded);  // 772 with its NUL
    auto after = secret_memory_stats();
    if (a.memory() != SecretMemory::guarded || !ct_equal(a.view(), Bytes(771, 7)) || b.view() != std::string(771, 't'))
      return 3;
    if (after.not_locked != before.not_locked + 2 || after.heap_fallbacks != before.heap_fallbacks) return 4;
    return 0;
  });
  INFO(run.stderr_text);
  CHECK(run.exited_with(0));
  CHECK(count_of(run.stderr_text, "secrets cannot be locked in memory") == 1);
  CHECK(count_of(run.stderr_text, "RLIMIT_MEMLOCK") == 1);
}

TEST_CASE("no guarded region to be had (address space exhausted): wiped heap memory instead, counted, said once") {
  auto run = in_child([] {
    Secret warm(32, SecretMemory::heap);  // the heap has room for what follows
    std::string scratch(256, 'x');
    if (!set_soft_limit(RLIMIT_AS, address_space_in_use())) return 2;
    auto before = secret_memory_stats();
    // Sizes no other test uses: new regions, not kept ones.
    auto a = Secret::copy_of(Bytes(773, 1), SecretMemory::guarded);
    auto b = Secret::copy_of(Bytes(774, 2), SecretMemory::guarded);
    auto after = secret_memory_stats();
    if (a.memory() != SecretMemory::heap || b.memory() != SecretMemory::heap) return 3;
    if (!ct_equal(a.view(), Bytes(773, 1)) || !ct_equal(b.view(), Bytes(774, 2))) return 4;
    if (after.heap_fallbacks != before.heap_fallbacks + 2 || after.guarded_live != before.guarded_live) return 5;
    return 0;
  });
  INFO(run.stderr_text);
  CHECK(run.exited_with(0));
  CHECK(count_of(run.stderr_text, "no guarded memory for secrets") == 1);
}
