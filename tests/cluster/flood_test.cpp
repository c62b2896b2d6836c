// Backpressure from Redis to the sockets: a few clients that send 64 KiB
// frames as fast as they can cannot push a node's buffered bytes past
// --max-buffered-bytes, its Redis command queue past one command per
// client, or Redis past the channels' budgets; while they flood, other
// people pair. (The relay's RSS is not checked: under AddressSanitizer its
// quarantine keeps freed memory.)
#include <atomic>
#include <thread>

#include "tests/cluster/cluster_helpers.hpp"

using namespace qrlogin::testing;
using namespace std::chrono_literals;

TEST_CASE("a flood of 64 KiB frames stays within the node's bounds, and others keep pairing") {
  constexpr int kFlooders = 3;
  constexpr std::size_t kBufferCap = 4u << 20;  // 4 MiB
  // The channels' own budgets are wide here: this is about the node's.
  Cluster cluster(2, {"--max-frames-per-channel", "1000000", "--max-channel-bytes", "8388608", "--max-buffered-bytes",
                      std::to_string(kBufferCap)});
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);

  // Flooders send on B to readers on A; each reader takes everything.
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> received{0};
  std::vector<std::thread> threads;
  std::vector<std::pair<std::unique_ptr<Client>, std::unique_ptr<Client>>> pairs;
  for (int i = 0; i < kFlooders; ++i) pairs.push_back(join_pair(a, b, random_cid()));
  for (auto& [reader, flooder] : pairs) {
    threads.emplace_back([&, f = flooder.get()] {
      auto frame = frame_of(0x04, 65536);
      while (!stop.load() && f->send(frame, 2000ms).ok()) ++sent;
    });
    threads.emplace_back([&, r = reader.get()] {
      while (!stop.load()) {
        auto e = r->next(200ms);
        if (e.ok() && e->kind == Event::Kind::binary) ++received;
        if (e.ok() && e->kind == Event::Kind::closed) break;
      }
    });
  }

  // While they flood, the node's gauges are watched (from a thread that
  // only records: Catch2's assertions stay on this one)...
  std::atomic<bool> watching{true};
  double most_buffered = 0;
  double most_pending = 0;
  std::size_t most_redis_memory = 0;
  std::thread watcher([&] {
    while (watching.load()) {
      auto m = node_metrics(b);
      if (!m.empty()) {
        most_buffered = std::max(most_buffered, m["qrlogin_relay_buffered_bytes"]);
        most_pending = std::max(most_pending, m["qrlogin_relay_redis_pending_commands"]);
      }
      auto info = cluster.redis().command({"INFO", "memory"}).str;
      auto at = info.find("used_memory:");
      if (at != std::string::npos)
        most_redis_memory = std::max<std::size_t>(most_redis_memory, std::stoull(info.substr(at + 12)));
      std::this_thread::sleep_for(50ms);
    }
  });
  // ...and someone else pairs, across the same nodes, with the real CLI.
  std::this_thread::sleep_for(500ms);
  pair_with_cli(a.port(), b.port(), "paired during a flood");
  std::this_thread::sleep_for(1s);
  watching = false;
  watcher.join();
  stop = true;
  for (auto& t : threads) t.join();

  INFO("frames sent " << sent << ", received " << received << ", most buffered " << most_buffered
                      << " B, most pending " << most_pending << ", Redis used_memory at most " << most_redis_memory);
  CHECK(sent > 30);  // it did flood (about 2 MiB and more)
  CHECK(received > 0);
  // One frame per client on its way to Redis, and what is still arriving:
  // never past the cap.
  CHECK(most_buffered <= static_cast<double>(kBufferCap));
  // One append per flooding client (plus polls and a heartbeat), not one per frame read.
  CHECK(most_pending <= kFlooders + 8);
  // Redis holds at most each channel's budget (8 MiB here), not what the
  // flooders sent (sent * 64 KiB is far more).
  CHECK(most_redis_memory < kFlooders * (8u << 20) + (16u << 20));
}
