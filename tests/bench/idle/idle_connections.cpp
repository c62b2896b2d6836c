// Holds N idle WebSocket connections to a relay (each a receiver waiting in
// its own channel) for a while, then exits. idle_rss.sh runs several of
// these (one process can hold only ~20,000 files) and reads the relay's RSS.
//
//   relay_idle_clients PORT COUNT SOURCE_ADDRESS HOLD_SECONDS [CA_FILE]
//
// With CA_FILE the connections are wss (TLS), trusting that CA.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/random.hpp"
#include "cli/relay_client/client.hpp"

int main(int argc, char** argv) {
  using namespace qrlogin;
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr, "usage: %s PORT COUNT SOURCE_ADDRESS HOLD_SECONDS [CA_FILE]\n", argv[0]);
    return 2;
  }
  auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  auto count = static_cast<std::size_t>(std::atol(argv[2]));
  std::string source = argv[3];
  auto hold = std::chrono::seconds{std::atoi(argv[4])};
  std::string ca_file = argc == 6 ? argv[5] : "";

  auto context = std::make_shared<relay_client::Context>(1);
  std::vector<std::unique_ptr<relay_client::Client>> clients;
  clients.reserve(count);
  std::size_t failed = 0;
  for (std::size_t i = 0; i < count; ++i) {
    Bytes cid(16);
    system_rng().fill(cid);
    relay_client::Options options;
    options.port = port;
    options.cid = base64url_encode(cid);
    options.role = "receiver";
    options.bind_address = source;
    options.tls = !ca_file.empty();
    options.ca_file = ca_file;
    options.context = context;
    options.timeout = std::chrono::milliseconds{10000};
    auto result = relay_client::Client::connect(options);
    if (!result) {
      if (++failed <= 3) std::fprintf(stderr, "connect failed: %s\n", result.error.c_str());
      continue;
    }
    auto joined = result.client->next_control("joined", std::chrono::milliseconds{10000});
    if (!joined.ok() || joined->kind != relay_client::Event::Kind::control) {
      ++failed;
      continue;
    }
    clients.push_back(std::move(result.client));
  }
  std::printf("{\"event\":\"holding\",\"connections\":%zu,\"failed\":%zu}\n", clients.size(), failed);
  std::fflush(stdout);
  std::this_thread::sleep_for(hold);
  clients.clear();
  return failed == 0 ? 0 : 1;
}
