#include "relay/redis/connections.hpp"

namespace qrlogin::relay::redis {

// The two connections' reports, combined (on the executor only).
struct Connections::State {
  StateHandler on_state;
  bool commands_up = false;
  bool subscriber_up = false;
  bool reported_up = false;
  bool reported_any = false;

  void update(bool commands, bool up, std::string_view reason) {
    (commands ? commands_up : subscriber_up) = up;
    bool now_up = commands_up && subscriber_up;
    if (reported_any && now_up == reported_up) return;
    if (!now_up && up) return;  // one came up, the other is still down: nothing changed
    reported_any = true;
    reported_up = now_up;
    if (on_state) on_state(now_up, now_up ? std::string_view{"connected"} : reason);
  }
};

namespace {

ClientOptions copy_options(const ClientOptions& options, std::string_view role) {
  ClientOptions out;
  out.endpoint.host = options.endpoint.host;
  out.endpoint.port = options.endpoint.port;
  out.endpoint.user = options.endpoint.user;
  out.endpoint.password = Secret::copy_of(options.endpoint.password.view());
  out.endpoint.db = options.endpoint.db;
  out.endpoint.sentinels = options.endpoint.sentinels;
  out.endpoint.master_name = options.endpoint.master_name;
  out.connect_timeout = options.connect_timeout;
  out.link_timeout = options.link_timeout;
  out.health_interval = options.health_interval;
  out.reconnect_min = options.reconnect_min;
  out.reconnect_max = options.reconnect_max;
  out.max_pending = options.max_pending;
  if (!options.client_name.empty()) out.client_name = options.client_name + ":" + std::string(role);
  return out;
}

}  // namespace

Connections::Connections(asio::any_io_executor executor, const ClientOptions& options, Secret name_key,
                         const Limits& limits, StoreOptions store_options, StateHandler on_state, WakeHandler on_wake)
    : state_(std::make_shared<State>()) {
  state_->on_state = std::move(on_state);
  auto state = state_;
  auto command_options = copy_options(options, "cmd");
  command_options.setup = ChannelStore::setup_commands();  // FCALL finds every function after each connect
  commands_ = Client::create(executor, std::move(command_options),
                             [state](bool up, std::string_view reason) { state->update(true, up, reason); });
  store_ = std::make_unique<ChannelStore>(commands_, std::move(name_key), limits, std::move(store_options));
  auto subscriber_options = copy_options(options, "sub");
  subscriber_options.subscriptions = {store_->wake_channel()};
  subscriber_ = Client::create(
      executor, std::move(subscriber_options),
      [state](bool up, std::string_view reason) { state->update(false, up, reason); },
      [on_wake = std::move(on_wake)](std::string /*channel*/, std::string payload) {
        if (on_wake) on_wake(std::move(payload));
      });
}

Connections::~Connections() { stop(); }

void Connections::start() {
  commands_->start();
  subscriber_->start();
}

void Connections::stop() {
  commands_->stop();
  subscriber_->stop();
}

}  // namespace qrlogin::relay::redis
