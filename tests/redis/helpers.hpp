#pragma once
// Shared by the Redis tests: an io_context on its own thread (the relay's
// Asio loop stand-in), waiting for an asynchronous result with a deadline,
// and clients connected to a test's redis-server.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "relay/redis/client.hpp"
#include "tests/support/redis_server.hpp"

namespace qrlogin::testing {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class IoThread {
 public:
  IoThread() : guard_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~IoThread() { stop(); }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  asio::any_io_executor executor() { return io_.get_executor(); }
  // Runs `f` on the loop and waits for it.
  void run(const std::function<void()>& f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }
  void stop() {
    if (!thread_.joinable()) return;
    guard_.reset();
    // Let stopped clients unwind, then end the loop.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!io_.stopped() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    io_.stop();
    thread_.join();
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// Runs `f` when it goes out of scope (also when a REQUIRE throws): stops
// clients and the loop before what their handlers point to is destroyed.
template <class F>
class Finally {
 public:
  explicit Finally(F f) : f_(std::move(f)) {}
  ~Finally() { f_(); }
  Finally(const Finally&) = delete;
  Finally& operator=(const Finally&) = delete;

 private:
  F f_;
};

// Starts an asynchronous operation that reports one T, and waits for it.
template <class T>
T await(const std::function<void(std::function<void(T)>)>& start, std::chrono::milliseconds timeout = 10s) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  start([promise](T value) { promise->set_value(std::move(value)); });
  if (future.wait_for(timeout) != std::future_status::ready) throw std::runtime_error("no result in time");
  return future.get();
}

// Up/down reports of a client, for waiting on them.
class StateLog {
 public:
  relay::redis::Client::StateHandler handler() {
    return [this](bool up, std::string_view reason) {
      std::lock_guard lock(mutex_);
      events_.emplace_back(up, std::string(reason));
      cv_.notify_all();
    };
  }
  // Waits for the `n`-th report (1-based) and returns it.
  std::optional<std::pair<bool, std::string>> wait(std::size_t n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return events_.size() >= n; })) return std::nullopt;
    return events_[n - 1];
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return events_.size();
  }
  std::vector<std::pair<bool, std::string>> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::pair<bool, std::string>> events_;
};

inline relay::redis::ClientOptions local_options(std::uint16_t port) {
  relay::redis::ClientOptions options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = port;
  return options;
}

// A command's result, synchronously (the test thread waits; the client's
// loop does not).
inline Result<relay::redis::Reply> run_command(relay::redis::Client& client,
                                                             std::vector<std::string> args) {
  using R = Result<relay::redis::Reply>;
  return await<R>([&](std::function<void(R)> done) { client.command(std::move(args), done); });
}

}  // namespace qrlogin::testing
