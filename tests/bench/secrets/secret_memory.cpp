// What keeping secrets in guarded memory costs a pairing
// (docs/benchmarks.md, "Secret memory"). Runs N complete pairings in this
// process — a receiver and a sender machine handing each other their frames
// in memory, as the pairing tests do, no network — once with every secret on
// the plain (wiped) heap, the baseline, and once in libsodium's guarded
// regions, alternating in R rounds within the same run, each in a fresh
// child process (the choice is the process's: QRLOGIN_SECRET_MEMORY).
//
//   qrlogin-bench-secret-memory [--quick] [--pairings N] [--rounds R]
//
// Prints `metric` and `ratio` lines (../shared/design/benchmarks.md): time
// and CPU per pairing for both, their ratio, the guarded regions a pairing
// makes and holds at once, the memory they lock (VmLck) and map, and the
// cost of one secret made and freed. --quick is the smoke test: a few
// pairings, every one checked; no speed is asserted. Exits non-zero if a
// pairing fails.
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "crypto/pairing/credential.hpp"
#include "crypto/pairing/link.hpp"
#include "crypto/pairing/receiver.hpp"
#include "crypto/pairing/sender.hpp"
#include "crypto/secret.hpp"
#include "crypto/secure_memory.hpp"

extern char** environ;

using namespace qrlogin;
using namespace qrlogin::pairing;

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kPageBytes = 4096;
constexpr std::size_t kGuardedPagesPerSmallSecret = 4;  // header, guard, data, guard (libsodium)

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "secret_memory bench: %s\n", what.c_str());
  std::exit(1);
}

Bytes only_frame(const Actions& actions) {
  for (const auto& a : actions)
    if (const auto* f = std::get_if<SendFrame>(&a)) return f->frame;
  fail("a step sent no frame");
}

long locked_kb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmLck:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

// One complete pairing. `probe` runs after every step (for VmLck).
template <class Probe>
void pair_once(Probe&& probe) {
  auto receiver = Receiver::create("https://bench.example/pair", {});
  if (!receiver) fail("receiver: " + receiver.error().message);
  probe();
  auto link = parse_link(receiver->link());
  if (!link) fail("link: " + link.error().message);
  auto j = credential_json_from_text(as_bytes("bench-grant-0123456789"), "bench");
  if (!j) fail("credential: " + j.error().message);
  auto sender = Sender::create(*link, std::move(j).value());
  if (!sender) fail("sender: " + sender.error().message);
  probe();
  auto hello = only_frame(sender->start());
  probe();
  auto ready = only_frame(receiver->on_frame(hello));
  probe();
  auto reveal = only_frame(sender->on_frame(ready));
  probe();
  receiver->on_frame(reveal);
  probe();
  if (receiver->sas() != sender->sas() || receiver->sas().empty()) fail("the codes differ");
  auto credential = only_frame(sender->on_user_confirmed());
  probe();
  if (!receiver->on_frame(credential).empty()) fail("delivered before the receiver confirmed");
  auto delivered = receiver->on_user_confirmed();
  probe();
  const auto* deliver = delivered.empty() ? nullptr : std::get_if<DeliverCredential>(&delivered.front());
  if (!deliver || as_chars(deliver->credential.bytes.view()) != "bench-grant-0123456789") fail("no credential");
  auto result = only_frame(receiver->on_credential_handled(true));
  probe();
  sender->on_frame(result);
  probe();
  if (receiver->state() != Receiver::State::done || sender->state() != Sender::State::done) fail("not done");
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The child: N pairings in the process's secret memory; one line of results.
int child(int pairings) {
  const char* mode = default_secret_memory() == SecretMemory::guarded ? "guarded" : "heap";
  // The process's first pairing (the CLI's only one): every region is new.
  auto cold = secret_memory_stats();
  auto first0 = Clock::now();
  pair_once([] {});
  auto first_us = std::chrono::duration<double, std::micro>(Clock::now() - first0).count();
  auto first_regions = secret_memory_stats().guarded_regions - cold.guarded_regions;
  for (int i = 0; i < std::max(1, pairings / 20); ++i) pair_once([] {});  // warm up

  auto before = secret_memory_stats();
  auto cpu0 = cpu_seconds();
  auto t0 = Clock::now();
  for (int i = 0; i < pairings; ++i) pair_once([] {});
  auto wall = std::chrono::duration<double>(Clock::now() - t0).count();
  auto cpu = cpu_seconds() - cpu0;
  auto after = secret_memory_stats();

  // One more, looking at the process's locked memory (VmLck: the guarded
  // regions live and kept) after every step.
  long peak = locked_kb();
  std::uint64_t regions = 0;
  auto look = [&] {
    peak = std::max(peak, locked_kb());
    auto now = secret_memory_stats();
    regions = std::max(regions, now.guarded_live + now.guarded_kept);
  };
  look();
  pair_once(look);

  // One 32-byte secret made and freed.
  constexpr int kSecrets = 20000;
  auto t1 = Clock::now();
  for (int i = 0; i < kSecrets; ++i) {
    Secret s(32);
    s.bytes()[0] = 1;
  }
  auto per_secret_ns = std::chrono::duration<double, std::nano>(Clock::now() - t1).count() / kSecrets;

  std::printf("result %s first_pairing_us=%.1f first_pairing_regions=%llu us_per_pairing=%.3f cpu_us_per_pairing=%.3f "
              "guarded_per_pairing=%.2f "
              "regions_per_pairing=%.3f guarded_peak=%llu regions=%llu locked_kb_peak=%ld not_locked=%llu "
              "heap_fallbacks=%llu secret_ns=%.1f\n",
              mode, first_us, static_cast<unsigned long long>(first_regions), wall * 1e6 / pairings, cpu * 1e6 / pairings,
              static_cast<double>(after.guarded_secrets - before.guarded_secrets) / pairings,
              static_cast<double>(after.guarded_regions - before.guarded_regions) / pairings,
              static_cast<unsigned long long>(after.guarded_peak), static_cast<unsigned long long>(regions),
              peak,
              static_cast<unsigned long long>(after.not_locked), static_cast<unsigned long long>(after.heap_fallbacks),
              per_secret_ns);
  return 0;
}

using Figures = std::map<std::string, double>;

Figures run_child(const std::string& mode, int pairings) {
  std::string self = "/proc/self/exe";
  std::string count = std::to_string(pairings);
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "QRLOGIN_SECRET_MEMORY=", 22) != 0) env_text.emplace_back(*e);
  env_text.push_back("QRLOGIN_SECRET_MEMORY=" + mode);
  std::vector<char*> env;
  for (auto& e : env_text) env.push_back(e.data());
  env.push_back(nullptr);
  std::vector<char*> args{self.data(), const_cast<char*>("--child"), count.data(), nullptr};

  int out[2];
  if (pipe(out) != 0) fail("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  pid_t pid = 0;
  if (posix_spawn(&pid, self.c_str(), &actions, nullptr, args.data(), env.data()) != 0) fail("spawn");
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  std::string text;
  char buffer[1024];
  for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("the " + mode + " run failed");

  std::istringstream in(text);
  std::string word, got_mode;
  in >> word >> got_mode;
  if (word != "result" || got_mode != mode) fail("unexpected output from the " + mode + " run: " + text);
  Figures result;
  while (in >> word) {
    auto eq = word.find('=');
    if (eq != std::string::npos) result[word.substr(0, eq)] = std::atof(word.c_str() + eq + 1);
  }
  return result;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int pairings = 2000;
  int rounds = 5;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--child" && i + 1 < argc) return child(std::atoi(argv[i + 1]));
    if (arg == "--quick") {
      pairings = 20;
      rounds = 1;
    } else if (arg == "--pairings" && i + 1 < argc) {
      pairings = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--pairings N] [--rounds R]\n", argv[0]);
      return 2;
    }
  }

  std::map<std::string, std::vector<Figures>> runs;
  for (int round = 0; round < rounds; ++round)
    for (const char* mode : {"heap", "guarded"}) runs[mode].push_back(run_child(mode, pairings));

  auto figure = [&](const std::string& mode, const std::string& key) {
    std::vector<double> values;
    for (const auto& r : runs[mode]) values.push_back(r.at(key));
    return median(values);
  };
  struct Timing {
    const char* key;
    const char* name;
  };
  for (auto [key, name] : {Timing{"first_pairing_us", "first_pairing.us"}, Timing{"us_per_pairing", "pairing.us"},
                           Timing{"cpu_us_per_pairing", "pairing.cpu_us"}}) {
    std::printf("metric %s heap %.1f us\n", name, figure("heap", key));
    std::printf("metric %s guarded %.1f us\n", name, figure("guarded", key));
    std::printf("ratio  %s guarded/heap %.3f\n", name, figure("guarded", key) / figure("heap", key));
  }
  std::printf("metric secret.make_and_free_ns heap %.0f ns\n", figure("heap", "secret_ns"));
  std::printf("metric secret.make_and_free_ns guarded %.0f ns\n", figure("guarded", "secret_ns"));
  std::printf("ratio  secret.make_and_free_ns guarded/heap %.3f\n", figure("guarded", "secret_ns") / figure("heap", "secret_ns"));
  auto regions = figure("guarded", "regions");
  std::printf("metric pairing.guarded_secrets guarded %.1f\n", figure("guarded", "guarded_per_pairing"));
  std::printf("metric pairing.guarded_regions_made guarded %.3f\n", figure("guarded", "regions_per_pairing"));
  std::printf("metric first_pairing.guarded_regions_made guarded %.0f\n", figure("guarded", "first_pairing_regions"));
  std::printf("metric pairing.guarded_secrets_at_once guarded %.0f\n", figure("guarded", "guarded_peak"));
  std::printf("metric process.guarded_regions_held guarded %.0f\n", regions);
  std::printf("metric process.locked_kb guarded %.0f KB\n", figure("guarded", "locked_kb_peak"));
  std::printf("metric process.mapped_kb guarded %.0f KB\n",
              regions * static_cast<double>(kGuardedPagesPerSmallSecret * kPageBytes) / 1024.0);
  std::printf("metric pairing.not_locked guarded %.0f\n", figure("guarded", "not_locked"));
  std::printf("metric pairing.heap_fallbacks guarded %.0f\n", figure("guarded", "heap_fallbacks"));
  if (figure("heap", "guarded_per_pairing") != 0) fail("the heap run made guarded regions");
  return 0;
}
