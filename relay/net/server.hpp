#pragma once
// The relay process: binds, prints {"event":"listening","port":N}, runs the
// I/O threads, sweeps expired channels, and on SIGINT/SIGTERM stops
// accepting, sends going_away to every client, drains and returns.
#include <memory>

#include "crypto/error.hpp"
#include "relay/net/config.hpp"

namespace qrlogin::relay {

class Server {
 public:
  explicit Server(Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket. Errors: internal (address in use, ...).
  Status listen();
  // Runs until a signal; returns the process exit status.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qrlogin::relay
