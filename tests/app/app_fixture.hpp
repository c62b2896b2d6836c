#pragma once
// The application in this process on 127.0.0.1:0, with a ManualClock (time
// moves when a test says so) and its log lines kept; and the clients that
// drive it over real HTTP: a Browser (keeps the session cookie, sends
// Origin and a User-Agent) and a Cli (no Origin, no cookie, a Bearer token).
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/random.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/scratch_dir.hpp"
#include "web/app/clock.hpp"
#include "web/app/server.hpp"

namespace qrlogin::testing {

using Json = nlohmann::json;

inline constexpr const char* kChromeLinux =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
inline constexpr const char* kFirefoxAndroid = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0";
inline constexpr const char* kPassword = "correct horse battery";

class InProcessApp {
 public:
  explicit InProcessApp(const std::function<void(app::Config&)>& adjust = {}, const std::string& state_dir = {}) {
    app::Config config;
    config.listen_port = 0;
    config.state_dir = state_dir.empty() ? dir.path + "/state" : state_dir;
    config.threads = 2;
    if (adjust) adjust(config);
    server = std::make_unique<app::Server>(config, clock, system_rng());
    server->redirect_log([lines = lines_](std::string_view line) {
      std::lock_guard lock(lines->mutex);
      lines->text += line;
    });
    auto status = server->open();
    if (!status.ok()) throw std::runtime_error(status.error().message);
    server->start();
  }
  ~InProcessApp() { server->stop(); }

  [[nodiscard]] std::uint16_t port() const { return server->port(); }
  [[nodiscard]] std::string origin() const { return server->origin(); }
  [[nodiscard]] std::string log() const {
    std::lock_guard lock(lines_->mutex);
    return lines_->text;
  }

  ScratchDir dir{"app"};
  app::ManualClock clock;
  std::unique_ptr<app::Server> server;

 private:
  struct Lines {
    std::mutex mutex;
    std::string text;
  };
  std::shared_ptr<Lines> lines_ = std::make_shared<Lines>();
};

inline Json body_of(const HttpReply& reply) {
  auto json = Json::parse(reply.body, nullptr, false);
  return json.is_discarded() ? Json{} : json;
}
inline std::string error_of(const HttpReply& reply) {
  auto json = body_of(reply);
  return json.is_object() && json.contains("error") ? json["error"].get<std::string>() : std::string{};
}

// A fresh channel id as the protocol makes them: 16 random bytes, base64url.
inline std::string new_cid() {
  Bytes raw(16);
  system_rng().fill(raw);
  return base64url_encode(raw);
}

class Browser {
 public:
  Browser(std::uint16_t port, std::string origin_header, std::string agent = kChromeLinux,
          const std::string& source = "127.0.0.1")
      : origin(std::move(origin_header)), user_agent(std::move(agent)), connection_(port, source) {}

  HttpReply post(const std::string& path, const Json& body = Json::object()) {
    return send("POST", path, body.dump());
  }
  HttpReply get(const std::string& path) { return send("GET", path, {}); }

  HttpReply send(const std::string& method, const std::string& path, const std::string& body,
                 const std::string& content_type = "application/json") {
    HttpCall call{method, path, body, {{"User-Agent", user_agent}}};
    if (!body.empty()) call.headers.emplace_back("Content-Type", content_type);
    if (!origin.empty()) call.headers.emplace_back("Origin", origin);
    if (!cookie.empty()) call.headers.emplace_back("Cookie", cookie);
    auto reply = connection_.send(call);
    for (const auto& set : reply.all("Set-Cookie")) {
      auto pair = set.substr(0, set.find(';'));
      set_cookie_header = set;
      cookie = pair.ends_with("=") ? std::string{} : pair;
    }
    return reply;
  }

  std::string origin;  // sent as Origin; empty: none
  std::string user_agent;
  std::string cookie;  // "name=value" as the browser would send it
  std::string set_cookie_header;  // the last Set-Cookie seen

 private:
  HttpConnection connection_;
};

class Cli {
 public:
  explicit Cli(std::uint16_t port, const std::string& source = "127.0.0.1") : connection_(port, source) {}
  HttpReply post(const std::string& path, const Json& body = Json::object()) {
    return send(HttpCall{"POST", path, body.dump(), {{"Content-Type", "application/json"}}});
  }
  HttpReply get(const std::string& path) { return send(HttpCall{"GET", path, {}, {}}); }
  HttpReply send(HttpCall call) {
    call.headers.emplace_back("User-Agent", "qrlogin/0.1.0");
    if (!token.empty()) call.headers.emplace_back("Authorization", "Bearer " + token);
    return connection_.send(call);
  }
  std::string token;

 private:
  HttpConnection connection_;
};

// A phone with an account: signed up, holding its session cookie.
inline Browser signed_up_phone(const InProcessApp& app, const std::string& name = "alice") {
  Browser phone(app.port(), app.origin(), kFirefoxAndroid);
  auto reply = phone.post("/api/signup", {{"name", name}, {"password", kPassword}});
  if (reply.status != 201) throw std::runtime_error("signup failed: " + reply.body);
  return phone;
}

// The new device's registration: its cid and registration secret.
struct Registration {
  std::string cid;
  std::string secret;
};
template <class Client>
Registration register_pairing(Client& device) {
  Registration r{new_cid(), {}};
  auto reply = device.post("/api/pairings", {{"cid", r.cid}});
  if (reply.status != 201) throw std::runtime_error("registration failed: " + reply.body);
  r.secret = body_of(reply)["registration_secret"].template get<std::string>();
  return r;
}

inline std::string mint(Browser& phone, const std::string& cid) {
  auto reply = phone.post("/api/grants", {{"cid", cid}});
  if (reply.status != 201) throw std::runtime_error("mint failed: " + reply.body);
  return body_of(reply)["grant"].get<std::string>();
}

}  // namespace qrlogin::testing
