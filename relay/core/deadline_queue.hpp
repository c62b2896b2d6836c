#pragma once
// Every session's next deadline (its ping, pong, fragment, write or closing
// deadline, whichever comes first) in one min-heap, served by one timer.
// A session with its own steady_timer held the timer and, while idle, a
// pending wait operation: about 500 bytes per waiting connection. Here it
// holds a slot and a vtable pointer (16 bytes) and the heap an entry of 16.
//
// Thread-safe: sessions on several threads schedule and cancel under one
// mutex. The queue only keeps time; whoever owns the timer (server.cpp)
// takes what is due (take_due) and hands each client its deadline, and is
// told (the waker) when a new deadline comes before the earliest one.
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "relay/core/types.hpp"

namespace qrlogin::relay {

class DeadlineQueue {
 public:
  class Client {
   public:
    // Its deadline has come. Called on the timer's thread: a client on
    // another executor moves itself there.
    virtual void deadline_reached() = 0;
    // A strong reference while the deadline is handed over; empty once the
    // client is being destroyed (it then cancels, under the queue's lock).
    virtual std::shared_ptr<void> keep_alive() = 0;

   protected:
    Client() = default;
    virtual ~Client() = default;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

   private:
    friend class DeadlineQueue;
    std::uint32_t slot_ = kNoSlot;
  };
  struct Due {
    Client* client;
    std::shared_ptr<void> alive;
  };
  // Told the new earliest deadline when a schedule() moves it earlier.
  using Waker = std::function<void(TimePoint)>;

  void set_waker(Waker waker);
  // `client`'s one deadline becomes `at` (replacing the one it had).
  void schedule(Client& client, TimePoint at);
  void cancel(Client& client);
  // Removes the deadlines due at `now` and returns their clients (those
  // still alive); `next` is the earliest deadline left (max() if none).
  std::vector<Due> take_due(TimePoint now, TimePoint& next);
  [[nodiscard]] std::size_t size() const;

 private:
  static constexpr std::uint32_t kNoSlot = std::numeric_limits<std::uint32_t>::max();
  struct Entry {
    TimePoint at;
    Client* client;
  };
  void place(std::size_t i, Entry entry);
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);
  void remove(std::size_t i);

  mutable std::mutex mutex_;
  std::vector<Entry> heap_;
  Waker waker_;
};

}  // namespace qrlogin::relay
