#pragma once
// What one relay node needs from Redis, in one object: a connection for
// commands, a subscriber connection for this node's wake-ups
// (ChannelStore::wake_channel()), and the channel store on top.
//
// - `on_state(true)` when both connections are ready, `on_state(false, why)`
//   when either is lost; once per change. After every `true` but the first,
//   wake-ups may have been lost while down: poll every channel the node
//   holds (the store's state is what counts; wake-ups only say when).
// - `on_wake(name)`: a script elsewhere changed channel `name` for a client
//   of this node: poll it.
// Both run on `executor`, which must be a strand (or a single-threaded
// io_context): the two connections and this object run there.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "relay/redis/channel_store.hpp"
#include "relay/redis/client.hpp"

namespace qrlogin::relay::redis {

class Connections {
 public:
  using StateHandler = std::function<void(bool up, std::string_view reason)>;
  using WakeHandler = std::function<void(std::string channel_name)>;

  // `options.subscriptions` is ignored (the subscriber's one channel is the
  // store's wake channel); `options.client_name` gets ":cmd" / ":sub".
  Connections(asio::any_io_executor executor, const ClientOptions& options, Secret name_key, const Limits& limits,
              StoreOptions store_options, StateHandler on_state, WakeHandler on_wake);
  ~Connections();
  Connections(const Connections&) = delete;
  Connections& operator=(const Connections&) = delete;

  void start();
  // Both connections, for good; call before destroying (and let the
  // executor run the cancellations).
  void stop();

  [[nodiscard]] ChannelStore& store() noexcept { return *store_; }
  [[nodiscard]] bool is_up() const noexcept { return commands_->is_up() && subscriber_->is_up(); }
  // Commands sent and not yet answered.
  [[nodiscard]] std::size_t pending() const noexcept { return commands_->pending(); }

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::shared_ptr<Client> commands_;
  std::shared_ptr<Client> subscriber_;
  std::unique_ptr<ChannelStore> store_;
};

}  // namespace qrlogin::relay::redis
