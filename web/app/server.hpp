#pragma once
// The qrlogin-app process: opens the database in the state directory,
// binds, prints {"event":"listening","port":N,"origin":...}, and serves the
// API over HTTP/1.1 (Beast) on its I/O threads until stopped. Beast stays
// in server.cpp.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "crypto/random.hpp"
#include "web/app/clock.hpp"
#include "web/app/config.hpp"
#include "web/app/http_types.hpp"
#include "web/app/store.hpp"

namespace qrlogin::app {

// Where the pages will plug in: asked first for every GET or HEAD outside
// /api/ and /healthz; nullopt lets the API answer (404). Its answer's
// headers must include Content-Type.
using PageHandler = std::function<std::optional<ApiResponse>(const ApiRequest&)>;

class Server {
 public:
  // `clock` and `rng` outlive the server (tests pass a ManualClock).
  Server(Config config, const Clock& clock, Rng& rng);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens (creating, migrating) the database and binds the listening
  // socket. Errors: state_dir (the directory or database cannot be used),
  // listen_failed, bad_flag (--origin derived from a listen address that
  // makes no origin).
  Status open();
  void set_pages(PageHandler pages);
  // Log lines go to `sink` instead of stdout (tests); call before open().
  void redirect_log(std::function<void(std::string_view line)> sink);

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] const std::string& origin() const;
  [[nodiscard]] Store& store();

  // Serves on background threads until stop().
  void start();
  void stop();
  // start(), then waits for SIGINT or SIGTERM, then stop(): the exit status.
  int run_until_signal();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qrlogin::app
