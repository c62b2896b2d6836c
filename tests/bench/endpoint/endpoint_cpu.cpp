// What a pairing costs each endpoint's CPU (docs/benchmarks.md, "Endpoint
// CPU: QR against typed code"): complete pairings in this process, the two
// machines handing each other their frames in memory (no network), a QR
// pairing (X25519 HPKE, the SAS) against a code pairing (CPace on
// ristretto255, then HPKE mode_psk), alternating in R rounds within one run.
// Each side's calls are timed on the thread's CPU clock, so the receiver's
// and the sender's costs are told apart.
//
//   qrlogin-bench-endpoint-cpu [--quick] [--pairings N] [--rounds R]
//
// Prints `metric` and `ratio` lines (../shared/design/benchmarks.md). --quick
// is the smoke test: a few pairings, every one checked; no speed is asserted.
// Exits non-zero if a pairing fails.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include "crypto/pairing/code_receiver.hpp"
#include "crypto/pairing/code_sender.hpp"
#include "crypto/pairing/credential.hpp"
#include "crypto/pairing/link.hpp"
#include "crypto/pairing/receiver.hpp"
#include "crypto/pairing/sender.hpp"
#include "crypto/secure_memory.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;

namespace {

constexpr std::string_view kPage = "https://bench.example/pair";
constexpr std::string_view kGrant = "bench-grant-0123456789";

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "endpoint_cpu bench: %s\n", what.c_str());
  std::exit(1);
}

double thread_cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

struct Cost {
  double us = 0;
  std::uint64_t guarded_secrets = 0;  // secrets given guarded memory (crypto/secure_memory.hpp)
  std::uint64_t guarded_regions = 0;  // of which in newly made regions (the expensive part)
};

// Runs f on the CPU clock, adding its time and its secrets to `total`.
template <class F>
auto timed(Cost& total, F&& f) {
  auto memory0 = secret_memory_stats();
  double t0 = thread_cpu_us();
  auto out = f();
  total.us += thread_cpu_us() - t0;
  auto memory1 = secret_memory_stats();
  total.guarded_secrets += memory1.guarded_secrets - memory0.guarded_secrets;
  total.guarded_regions += memory1.guarded_regions - memory0.guarded_regions;
  return out;
}

Bytes only_frame(const Actions& actions) {
  for (const auto& a : actions)
    if (const auto* f = std::get_if<SendFrame>(&a)) return f->frame;
  fail("a step sent no frame");
}

Secret grant() {
  auto j = credential_json_from_text(as_bytes(kGrant), "bench");
  if (!j) fail("credential: " + j.error().message);
  return std::move(j).value();
}

void check_delivered(const Actions& actions) {
  const auto* deliver = actions.empty() ? nullptr : std::get_if<DeliverCredential>(&actions.front());
  if (!deliver || as_chars(deliver->credential.bytes.view()) != kGrant) fail("no credential delivered");
}

struct Sides {
  Cost receiver;
  Cost sender;
};

void qr_pairing(Sides& cost) {
  auto receiver = timed(cost.receiver, [] { return Receiver::create(kPage, {}); });
  if (!receiver) fail("receiver: " + receiver.error().message);
  auto link = parse_link(receiver->link());
  if (!link) fail("link: " + link.error().message);
  auto sender = timed(cost.sender, [&] { return Sender::create(*link, grant()); });
  if (!sender) fail("sender: " + sender.error().message);
  auto hello = only_frame(timed(cost.sender, [&] { return sender->start(); }));
  auto ready = only_frame(timed(cost.receiver, [&] { return receiver->on_frame(hello); }));
  auto reveal = only_frame(timed(cost.sender, [&] { return sender->on_frame(ready); }));
  timed(cost.receiver, [&] { return receiver->on_frame(reveal); });
  if (receiver->sas() != sender->sas() || receiver->sas().empty()) fail("the codes differ");
  auto credential = only_frame(timed(cost.sender, [&] { return sender->on_user_confirmed(); }));
  timed(cost.receiver, [&] { return receiver->on_frame(credential); });
  check_delivered(timed(cost.receiver, [&] { return receiver->on_user_confirmed(); }));
  auto result = only_frame(timed(cost.receiver, [&] { return receiver->on_credential_handled(true); }));
  timed(cost.sender, [&] { return sender->on_frame(result); });
  if (receiver->state() != Receiver::State::done || sender->state() != Sender::State::done) fail("QR: not done");
}

void code_pairing(Sides& cost) {
  auto receiver = timed(cost.receiver, [] { return CodeReceiver::create(kPage); });
  if (!receiver) fail("code receiver: " + receiver.error().message);
  // The person reads the code and types it: parsing it is the sender's work.
  std::string typed(receiver->code()->display().view());
  auto sender = timed(cost.sender, [&] {
    auto code = parse_typed_code(typed);
    if (!code) fail("typed code: " + code.error().message);
    return CodeSender::create(kPage, std::move(code).value(), grant());
  });
  if (!sender) fail("code sender: " + sender.error().message);
  auto pake_r = only_frame(timed(cost.receiver, [&] { return receiver->start(); }));
  auto pake_s = only_frame(timed(cost.sender, [&] { return sender->on_frame(pake_r); }));
  auto confirm = only_frame(timed(cost.receiver, [&] { return receiver->on_frame(pake_s); }));
  timed(cost.sender, [&] { return sender->on_frame(confirm); });
  auto credential = only_frame(timed(cost.sender, [&] { return sender->on_user_confirmed(); }));
  timed(cost.receiver, [&] { return receiver->on_frame(credential); });
  check_delivered(timed(cost.receiver, [&] { return receiver->on_user_confirmed(); }));
  auto result = only_frame(timed(cost.receiver, [&] { return receiver->on_credential_handled(true); }));
  timed(cost.sender, [&] { return sender->on_frame(result); });
  if (receiver->state() != CodeReceiver::State::done || sender->state() != CodeSender::State::done)
    fail("code: not done");
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int pairings = 400, rounds = 5;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quick") {
      pairings = 20;
      rounds = 1;
    } else if (arg == "--pairings" && i + 1 < argc) {
      pairings = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: qrlogin-bench-endpoint-cpu [--quick] [--pairings N] [--rounds R]\n");
      return 2;
    }
  }
  Sides warm;
  for (int i = 0; i < std::max(1, pairings / 10); ++i) {
    qr_pairing(warm);
    code_pairing(warm);
  }
  std::vector<double> qr_r, qr_s, code_r, code_s;
  Sides qr, code;
  for (int round = 0; round < rounds; ++round) {
    Sides qr_round, code_round;
    for (int i = 0; i < pairings; ++i) qr_pairing(qr_round);
    for (int i = 0; i < pairings; ++i) code_pairing(code_round);
    qr_r.push_back(qr_round.receiver.us / pairings);
    qr_s.push_back(qr_round.sender.us / pairings);
    code_r.push_back(code_round.receiver.us / pairings);
    code_s.push_back(code_round.sender.us / pairings);
    qr = qr_round;
    code = code_round;
  }
  double qr_receiver = median(qr_r), qr_sender = median(qr_s);
  double code_receiver = median(code_r), code_sender = median(code_s);
  std::printf("metric endpoint.cpu_us_per_pairing_receiver qr %.1f us\n", qr_receiver);
  std::printf("metric endpoint.cpu_us_per_pairing_receiver code %.1f us\n", code_receiver);
  std::printf("metric endpoint.cpu_us_per_pairing_sender qr %.1f us\n", qr_sender);
  std::printf("metric endpoint.cpu_us_per_pairing_sender code %.1f us\n", code_sender);
  std::printf("ratio endpoint.cpu_us_per_pairing_receiver code/qr %.3f\n", code_receiver / qr_receiver);
  std::printf("ratio endpoint.cpu_us_per_pairing_sender code/qr %.3f\n", code_sender / qr_sender);
  auto per = [&](std::uint64_t n) { return static_cast<double>(n) / pairings; };
  std::printf("metric endpoint.guarded_secrets_receiver qr %.1f\n", per(qr.receiver.guarded_secrets));
  std::printf("metric endpoint.guarded_secrets_receiver code %.1f\n", per(code.receiver.guarded_secrets));
  std::printf("metric endpoint.guarded_secrets_sender qr %.1f\n", per(qr.sender.guarded_secrets));
  std::printf("metric endpoint.guarded_secrets_sender code %.1f\n", per(code.sender.guarded_secrets));
  std::printf("metric endpoint.guarded_regions_made_sender code %.1f\n", per(code.sender.guarded_regions));
  std::printf("metric endpoint.guarded_regions_made_receiver code %.1f\n", per(code.receiver.guarded_regions));
  std::printf("note %d pairings of each kind per round, %d rounds, medians; C++ machines in one process\n", pairings,
              rounds);
  return 0;
}
