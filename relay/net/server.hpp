#pragma once
// The relay process: loads its TLS certificate (if any), binds, prints
// {"event":"listening","port":N}, runs the I/O threads, sweeps expired
// channels, reloads the certificate on SIGHUP, and on SIGINT/SIGTERM stops
// accepting, sends going_away to every client, drains and returns.
#include <memory>

#include "relay/core/error.hpp"
#include "relay/config/config.hpp"

namespace qrlogin::relay {

class Server {
 public:
  explicit Server(Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // With --tls-cert/--tls-key: reads them (call before listen()). Errors:
  // bad_certificate naming the file and what is wrong with it.
  Status load_certificate();
  // Makes the channel backend: in memory, or with --redis on Redis (checks
  // the URL, reads the password and the shared key; the connection itself
  // is made by run(), and retried until Redis answers). Call before
  // listen(). Errors: bad_config saying what.
  Status prepare_channels();
  // Binds the listening socket. Errors: bad_config (the address), or
  // listen_failed (address in use, ...).
  Status listen();
  // Runs until a signal; returns the process exit status.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qrlogin::relay
