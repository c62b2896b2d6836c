#pragma once
// Pairings in flight through a fault: the cluster chaos tests' driver.
//
// Each pairing is a receiver and a sender on the CLI's own channel
// (cli::ResumableChannel: it resumes after a cut or a resumable relay error,
// re-sending what the relay had not received). Both sides send `frames`
// numbered frames, one every `interval`, whatever the other does, so frames
// are in flight both ways when the fault hits. Each side checks what it gets:
// its own pairing's frames, in order, every one exactly once (a number
// skipped is a lost frame, a number seen again a duplicate). When the sender
// has all of the receiver's frames it sends a last `fin` frame; when the
// receiver has everything and the fin, it closes (1000) and the sender
// hears the peer's close: the pairing completed.
//
// run() drives every channel from one thread, calls `fault` once after
// `fault_after` (in that thread: the channels wait meanwhile, as a user
// would), and stops when every pairing has completed or failed, or after
// `timeout`. The Report says what a user would have seen.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace qrlogin::testing {

struct ChaosPlan {
  std::uint16_t receiver_port = 0;  // where receivers connect (a node, or nginx)
  std::uint16_t sender_port = 0;
  int pairings = 6;
  int frames = 12;  // each way
  std::chrono::milliseconds interval{150};
  std::chrono::milliseconds fault_after{700};
  std::function<void()> fault;
  std::chrono::milliseconds timeout{40000};
};

struct ChaosReport {
  int started = 0;
  int completed = 0;
  int failed = 0;
  std::map<std::string, int> failures;  // why (the relay's code, or the client's reason) -> how many
  std::uint64_t frames_delivered = 0;
  std::uint64_t frames_lost = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t foreign = 0;     // a frame of another pairing (must never happen)
  int intrusions = 0;            // `intrusion`, `replaced` or `channel_full` seen by a client
  int resumes = 0;               // reconnects the clients made
  std::chrono::milliseconds took{0};

  [[nodiscard]] std::string table_row(const std::string& scenario) const;
};

ChaosReport run_chaos(const ChaosPlan& plan);

}  // namespace qrlogin::testing
