#include "relay/net/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdlib>
#include <thread>
#include <vector>

#include "relay/memory/memory_backend.hpp"
#include "relay/net/hub.hpp"
#include "relay/net/listener.hpp"
#include "relay/net/metrics_listener.hpp"
#include "relay/net/tls.hpp"
#include "relay/redis/redis_backend.hpp"

namespace qrlogin::relay {

namespace net = boost::asio;

namespace {
Millis sweep_interval(const Limits& limits) {
  auto shortest = std::min(limits.channel_lifetime, limits.grace);
  return std::clamp(shortest / 8, Millis{50}, Millis{1000});
}
constexpr Millis kDrainPoll{50};
}  // namespace

struct Server::Impl {
  explicit Impl(Config c)
      : config(std::move(c)),
        logger(config.log_level, config.log_queue_lines),
        ioc(static_cast<int>(config.threads)),
        signals(ioc, SIGINT, SIGTERM),
        reload_signals(ioc),
        sweeper(ioc),
        drain(ioc),
        deadline_timer(config.threads > 1 ? net::any_io_executor(net::make_strand(ioc))
                                          : net::any_io_executor(ioc.get_executor())) {}
  // The backend's Redis connections belong to the io_context: released
  // before it goes (a no-op after run()).
  ~Impl() {
    if (hub) hub->stop_backend();
  }
  void sweep() {
    sweeper.expires_after(sweep_interval(config.limits));
    sweeper.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      hub->sweep();
      sweep();
    });
  }

  // The sessions' deadlines (DeadlineQueue): the timer waits for the
  // earliest; a session whose new deadline comes first moves it earlier.
  void start_deadlines() {
    hub->deadlines().set_waker([this](TimePoint at) {
      if (config.threads > 1) net::post(deadline_timer.get_executor(), [this, at] { arm_deadlines(at); });
      else arm_deadlines(at);
    });
  }
  void arm_deadlines(TimePoint at) {
    if (at >= deadline_armed) return;
    deadline_armed = at;
    deadline_timer.expires_at(at);
    deadline_timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      deadline_armed = TimePoint::max();
      TimePoint next;
      for (auto& due : hub->deadlines().take_due(Clock::now(), next)) due.client->deadline_reached();
      if (next != TimePoint::max()) arm_deadlines(next);
    });
  }

  void log_certificate(std::string_view event, const CertificateInfo& info) {
    logger.write(LogLevel::info, event,
                 {{"cert_sha256", std::string_view(info.sha256)},
                  {"not_after", std::string_view(info.not_after)},
                  {"key_type", std::string_view(info.key_type)}});
    if (info.expired)
      logger.write(LogLevel::warn, "tls_certificate_expired",
                   {{"cert_sha256", std::string_view(info.sha256)}, {"not_after", std::string_view(info.not_after)}});
  }

  // SIGHUP: a new context from the files for new connections; existing
  // connections keep theirs. A file that does not load changes nothing.
  void wait_for_reload() {
    reload_signals.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      auto loaded = tls->load();
      if (loaded.ok()) log_certificate("tls_reloaded", *loaded);
      else
        logger.write(LogLevel::error, "tls_reload_failed",
                     {{"reason", std::string_view(loaded.error().message)}, {"kept", "previous certificate"}});
      wait_for_reload();
    });
  }

  void shut_down(int signal_number) {
    logger.write(LogLevel::info, "shutdown", {{"signal", std::int64_t{signal_number}}});
    boost::system::error_code ignored;
    reload_signals.cancel(ignored);
    listener->stop();
    if (metrics) metrics->stop();
    sweeper.cancel();
    hub->end_all();
    drain_deadline = Clock::now() + config.limits.close_timeout;
    wait_for_drain();
  }

  void wait_for_drain() {
    // Every client gone, and (in a cluster) their leaves in Redis, so they
    // resume on another node at once.
    if ((hub->stats().connections == 0 && hub->backend_settled()) || Clock::now() >= drain_deadline) {
      signals.cancel();
      ioc.stop();
      return;
    }
    drain.expires_after(kDrainPoll);
    drain.async_wait([this](boost::system::error_code) { wait_for_drain(); });
  }

  // Destroyed in reverse: the io_context (and every session in it) goes
  // before the hub and the logger they use.
  Config config;
  Logger logger;
  std::unique_ptr<Hub> hub;  // made by prepare_channels()
  HttpPolicy policy;
  std::string public_url;  // for the listening line
  std::unique_ptr<TlsContexts> tls;  // with --tls-cert
  net::io_context ioc;
  net::signal_set signals;
  net::signal_set reload_signals;  // SIGHUP, with TLS only
  net::steady_timer sweeper;
  net::steady_timer drain;
  net::steady_timer deadline_timer;  // on a strand of its own with several threads
  TimePoint deadline_armed = TimePoint::max();
  std::shared_ptr<Listener> listener;
  std::shared_ptr<MetricsListener> metrics;
  TimePoint drain_deadline{};
};

Server::Server(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Server::~Server() = default;

Status Server::load_certificate() {
  auto& im = *impl_;
  if (!im.config.tls()) return {};
  auto tls = std::make_unique<TlsContexts>(TlsFiles{im.config.tls_cert_file, im.config.tls_key_file});
  auto loaded = tls->load();
  if (!loaded.ok()) return loaded.error();
  im.log_certificate("tls_certificate", *loaded);
  im.tls = std::move(tls);
  // From now on SIGHUP no longer ends the process; a signal that arrives
  // before run() waits for it.
  boost::system::error_code ec;
  im.reload_signals.add(SIGHUP, ec);
  if (ec) return make_error(Errc::internal, "cannot handle SIGHUP: " + ec.message());
  return {};
}

Status Server::prepare_channels() {
  auto& im = *impl_;
  if (!im.config.cluster()) {
    bool single_thread = im.config.threads == 1;
    im.hub = std::make_unique<Hub>(im.config, im.logger, [&im, single_thread](ChannelBackend::Sink sink) {
      return std::make_unique<MemoryBackend>(im.config.limits, std::move(sink), single_thread);
    });
    return {};
  }
  auto endpoint = redis::parse_url(im.config.redis_url);
  if (!endpoint.ok()) return make_error(Errc::bad_config, "--redis: " + endpoint.error().message);
  redis::PasswordSources sources;
  if (!im.config.redis_password_file.empty()) sources.file = im.config.redis_password_file;
  if (const char* env = std::getenv(std::string(redis::kPasswordEnv).c_str())) sources.env = env;
  auto password_source = redis::resolve_password(*endpoint, sources);
  if (!password_source.ok()) return make_error(Errc::bad_config, password_source.error().message);
  Secret material;
  if (!im.config.redis_key_file.empty()) {
    auto key = redis::read_shared_key(im.config.redis_key_file);
    if (!key.ok()) return make_error(Errc::bad_config, key.error().message);
    material = std::move(*key);
  } else if (!endpoint->password.empty()) {
    material = Secret::copy_of(endpoint->password.view());
  } else {
    return make_error(Errc::bad_config,
                      "--redis: cluster mode needs a secret all nodes share to name channels in Redis: "
                      "--redis-key-file FILE (or a Redis password)");
  }
  RedisBackendOptions options;
  auto described = endpoint->describe();
  options.redis.endpoint = std::move(*endpoint);
  options.redis.client_name = "qrlogin-relay";
  options.redis.link_timeout = im.config.redis_link_timeout;
  options.redis.max_pending = im.config.redis_max_pending;
  options.redis_grace = im.config.redis_grace;
  options.node_ttl = im.config.redis_node_ttl;
  options.name_key = redis::derive_name_key(material.view());
  // The Redis connections and their replies run on one strand (or the one
  // I/O thread).
  boost::asio::any_io_executor executor = im.ioc.get_executor();
  if (im.config.threads > 1) executor = net::make_strand(im.ioc);
  RedisBackend* redis = nullptr;
  im.hub = std::make_unique<Hub>(im.config, im.logger, [&](ChannelBackend::Sink sink) {
    auto backend = std::make_unique<RedisBackend>(executor, im.config.limits, std::move(options), std::move(sink));
    redis = backend.get();
    return backend;
  });
  im.logger.write(LogLevel::info, "cluster",
                  {{"node", std::string_view(redis->node_id())},
                   {"redis", std::string_view(described)},
                   {"password", redis::password_source_name(*password_source)},
                   {"name_key", im.config.redis_key_file.empty() ? "from the Redis password" : "from --redis-key-file"}});
  return {};
}

Status Server::listen() {
  auto& im = *impl_;
  if (im.config.tls() && !im.tls) return make_error(Errc::bad_config, "the TLS certificate is not loaded");
  boost::system::error_code ec;
  auto address = net::ip::make_address(im.config.listen_host, ec);
  if (ec) return make_error(Errc::bad_config, "bad listen address");
  im.listener = std::make_shared<Listener>(im.ioc, *im.hub, im.policy, im.tls.get());
  if (auto status = im.listener->open({address, im.config.listen_port}); !status.ok()) return status;
  auto port = im.listener->port();
  if (im.config.metrics_enabled) {
    auto metrics_address = net::ip::make_address(im.config.metrics_host, ec);
    if (ec) return make_error(Errc::bad_config, "bad metrics listen address");
    im.metrics = std::make_shared<MetricsListener>(im.ioc, [&hub = *im.hub] { return hub.render_metrics(); },
                                                   im.config.limits.handshake_timeout);
    if (auto status = im.metrics->open({metrics_address, im.config.metrics_port}); !status.ok()) return status;
  }
  im.policy.allowed_origins = allowed_origins_for(im.config, port);
  im.public_url = public_url_for(im.config, port);
  return {};
}

int Server::run() {
  auto& im = *impl_;
  auto port = im.listener->port();
  bool tls = im.tls != nullptr;
  if (im.metrics)
    im.logger.write_always("listening", {{"port", std::uint64_t{port}},
                                         {"metrics_port", std::uint64_t{im.metrics->port()}},
                                         {"url", std::string_view(im.public_url)},
                                         {"tls", tls},
                                         {"threads", std::uint64_t{im.config.threads}},
                                         {"profile", std::string_view(im.config.profile)}});
  else
    im.logger.write_always("listening", {{"port", std::uint64_t{port}},
                                         {"url", std::string_view(im.public_url)},
                                         {"tls", tls},
                                         {"threads", std::uint64_t{im.config.threads}},
                                         {"profile", std::string_view(im.config.profile)}});
  if (tls) im.wait_for_reload();
  im.signals.async_wait([&im](boost::system::error_code ec, int signal_number) {
    if (ec) return;
    im.shut_down(signal_number);
    // A second signal does not wait for the drain.
    im.signals.async_wait([&im](boost::system::error_code ec2, int second) {
      if (ec2) return;
      im.logger.write(LogLevel::info, "shutdown_now", {{"signal", std::int64_t{second}}});
      im.ioc.stop();
    });
  });
  im.hub->start_backend();
  im.start_deadlines();
  im.listener->start();
  if (im.metrics) im.metrics->start();
  im.sweep();
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < im.config.threads; ++i) threads.emplace_back([&im] { im.ioc.run(); });
  im.ioc.run();
  for (auto& t : threads) t.join();
  im.hub->stop_backend();
  im.logger.write(LogLevel::info, "stopped", {});
  return 0;
}

}  // namespace qrlogin::relay
