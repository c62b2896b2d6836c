#pragma once
// Live notices to an account's signed-in devices (GET /api/events): "a new
// device logged in", "a device was revoked". The API publishes after its
// transaction committed; each open event stream is a subscriber. No Beast
// here: a subscriber is a callback that must not block (the server's posts
// the text to the stream's own strand).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace qrlogin::app {

struct Notice {
  std::string event;  // "login" | "revoked" | "logout"
  std::string json;   // the event's data, one line of JSON
  std::int64_t device_id = 0;  // the device the notice is about
};

class Notices {
 public:
  using Callback = std::function<void(const Notice&)>;

  // At most this many open streams per account and in all: beyond them a
  // new stream is refused (the pages fall back to reloading the list).
  explicit Notices(std::size_t max_per_account = 16, std::size_t max_total = 10'000);

  // Unsubscribes when the handle is destroyed.
  class Subscription {
   public:
    Subscription(Notices& owner, std::uint64_t id) : owner_(owner), id_(id) {}
    ~Subscription() { owner_.unsubscribe(id_); }
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    Notices& owner_;
    std::uint64_t id_;
  };

  // Null when a bound is reached.
  [[nodiscard]] std::unique_ptr<Subscription> subscribe(std::int64_t account_id, Callback callback);
  void publish(std::int64_t account_id, const Notice& notice);
  [[nodiscard]] std::size_t open_streams() const;

 private:
  void unsubscribe(std::uint64_t id);

  struct Entry {
    std::int64_t account_id;
    Callback callback;
  };
  const std::size_t max_per_account_;
  const std::size_t max_total_;
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Entry> entries_;
  std::map<std::int64_t, std::size_t> per_account_;
};

}  // namespace qrlogin::app
