// tests/vectors/relay-errors.json against what the CLI's ResumableChannel
// does: a scripted relay (Beast, 127.0.0.1, one connection after the other)
// joins it, sends each error with its close code, and records whether the
// CLI comes back with its resume token.
#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/resumable_channel.hpp"
#include "tests/support/vectors.hpp"

using namespace qrlogin;
using namespace qrlogin::cli;
using namespace std::chrono_literals;

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Ws = websocket::stream<tcp::socket>;
using relay_client::Event;

const std::string kToken1(43, 'A');
const std::string kToken2(43, 'B');

// Accepts one connection per script, in order, on a thread of its own;
// records each one's Sec-WebSocket-Protocol header.
class ScriptedRelay {
 public:
  using Script = std::function<void(Ws&)>;

  explicit ScriptedRelay(std::vector<Script> scripts) : acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this, scripts = std::move(scripts)] {
      for (const auto& script : scripts) {
        try {
          tcp::socket socket(ioc_);
          acceptor_.accept(socket);
          if (stopping_) return;
          Ws ws(std::move(socket));
          beast::flat_buffer buffer;
          http::request<http::empty_body> request;
          http::read(ws.next_layer(), buffer, request);
          {
            std::lock_guard lock(mutex_);
            protocols_.emplace_back(request[http::field::sec_websocket_protocol]);
          }
          ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
            res.set(http::field::sec_websocket_protocol, "qrlogin.v1");
          }));
          ws.accept(request);
          script(ws);
        } catch (const beast::system_error&) {
          // The client went away.
        }
      }
    });
  }

  ~ScriptedRelay() {
    stopping_ = true;
    beast::error_code ignored;
    tcp::socket poke(ioc_);  // wakes an accept() that waits for a connection that never comes
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  [[nodiscard]] std::vector<std::string> protocols() const {
    std::lock_guard lock(mutex_);
    return protocols_;
  }

 private:
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> protocols_;
  std::thread thread_;
};

void send_text(Ws& ws, const std::string& text) {
  beast::error_code ignored;
  ws.text(true);
  ws.write(net::buffer(text), ignored);
}

void read_until_closed(Ws& ws) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  while (!ec) {
    ws.read(buffer, ec);
    buffer.consume(buffer.size());
  }
}

void join(Ws& ws, const std::string& token, bool resume) {
  send_text(ws, R"({"type":"joined","role":"sender","expires_in_ms":30000,"peer":true,"resume_token":")" + token +
                    (resume ? R"(","received":0})" : R"("})"));
}

void refuse(Ws& ws, const std::string& code, std::uint16_t close_code, std::string_view extra = "") {
  send_text(ws, R"({"type":"error","code":")" + code + R"(","message":"the relay says so")" + std::string(extra) + "}");
  beast::error_code ignored;
  ws.close(websocket::close_reason(close_code), ignored);
}

void cut(Ws& ws) {
  beast::error_code ignored;
  ws.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  ws.next_layer().close(ignored);
}

struct Run {
  std::vector<Event> events;  // what the pairing saw
  bool over = false;
};

// Drives `channel` as PairingSession does until `done(run)` or 8 s.
Run drive(ResumableChannel& channel, const std::function<bool(const Run&)>& done) {
  Run run;
  auto until = std::chrono::steady_clock::now() + 8s;
  while (std::chrono::steady_clock::now() < until && !done(run)) {
    while (auto event = channel.try_next()) run.events.push_back(std::move(*event));
    run.over = channel.over();
    if (!channel.reconnect_if_due()) std::this_thread::sleep_for(10ms);
  }
  return run;
}

RelayEndpoint endpoint_of(const ScriptedRelay& relay) { return {"127.0.0.1", relay.port(), "", false, "", ""}; }

const std::string kCid(22, 'C');

// A scripted relay joins the channel, then refuses with `code` (and the
// error's `extra` fields); a second connection, if one comes, is a resume.
// What the pairing saw, and the subprotocols each connection offered.
struct Refused {
  Run run;
  std::vector<std::string> protocols;
};
Refused refused_once_joined(const std::string& code, std::uint16_t close_code, std::string_view extra = "") {
  const Reporter reporter(false);
  ScriptedRelay relay({[&](Ws& ws) {
                         join(ws, kToken1, false);
                         std::this_thread::sleep_for(20ms);
                         refuse(ws, code, close_code, extra);
                       },
                       [&](Ws& ws) {
                         join(ws, kToken2, true);
                         read_until_closed(ws);
                       }});
  ResumableChannel channel(endpoint_of(relay), kCid, "sender", reporter);
  ConnectError error{};
  REQUIRE(channel.open(error));
  auto run = drive(channel, [&](const Run& r) { return r.over || relay.protocols().size() == 2; });
  return {std::move(run), relay.protocols()};
}

}  // namespace

TEST_CASE("CLI resume after each relay error: as the table says") {
  const auto table = test::load_vectors("relay-errors.json");
  for (const auto& entry : table["errors"]) {
    auto code = entry["code"].get<std::string>();
    auto close_code = entry["close_code"].get<std::uint16_t>();
    bool resumable = entry["resumable"].get<bool>();
    INFO(code << " " << close_code);
    auto [run, protocols] = refused_once_joined(code, close_code);
    if (resumable) {
      REQUIRE(protocols.size() == 2);
      CHECK(protocols[1] == "qrlogin.v1, qrlogin.resume." + kToken1);
      CHECK_FALSE(run.over);
      for (const auto& e : run.events) CHECK(e.kind != Event::Kind::closed);
    } else {
      CHECK(run.over);
      CHECK(protocols.size() == 1);
      bool told = false;
      for (const auto& e : run.events) told = told || (e.control.type == "error" && e.control.code == code);
      CHECK(told);  // the pairing hears the relay's error, and classifies it
    }
  }
}

// Contract rev. 3: the error's `resume` flag decides, not its code.
TEST_CASE("CLI resume: the error's resume flag decides, not its code") {
  struct Case {
    std::string code;
    std::uint16_t close_code;
    bool resume;
  };
  for (const auto& c : {Case{"unavailable", 1013, false}, Case{"going_away", 1001, false}, Case{"expired", 4404, true}}) {
    INFO(c.code << " resume " << c.resume);
    auto [run, protocols] = refused_once_joined(c.code, c.close_code, c.resume ? R"(,"resume":true)" : R"(,"resume":false)");
    if (c.resume) {
      REQUIRE(protocols.size() == 2);
      CHECK(protocols[1] == "qrlogin.v1, qrlogin.resume." + kToken1);
      CHECK_FALSE(run.over);
    } else {
      CHECK(run.over);
      CHECK(protocols.size() == 1);
    }
  }
}

TEST_CASE("CLI resume: a resume refused with going_away, then unavailable, keeps its token") {
  const Reporter reporter(false);
  ScriptedRelay relay({[](Ws& ws) {
                         join(ws, kToken1, false);
                         std::this_thread::sleep_for(20ms);
                         cut(ws);
                       },
                       [](Ws& ws) { refuse(ws, "going_away", 1001); },
                       [](Ws& ws) { refuse(ws, "unavailable", 1013); },
                       [](Ws& ws) {
                         join(ws, kToken2, true);
                         read_until_closed(ws);
                       }});
  ResumableChannel channel(endpoint_of(relay), kCid, "sender", reporter);
  ConnectError error{};
  REQUIRE(channel.open(error));
  auto run = drive(channel, [&](const Run& r) { return r.over || relay.protocols().size() == 4; });
  CHECK_FALSE(run.over);
  auto seen = relay.protocols();
  REQUIRE(seen.size() == 4);
  for (std::size_t i = 1; i < 4; ++i) CHECK(seen[i] == "qrlogin.v1, qrlogin.resume." + kToken1);
}

TEST_CASE("CLI resume: going_away before the first joined ends the pairing with the relay's error") {
  const Reporter reporter(false);
  ScriptedRelay relay({[](Ws& ws) { refuse(ws, "going_away", 1001); }});
  ResumableChannel channel(endpoint_of(relay), kCid, "sender", reporter);
  ConnectError error{};
  REQUIRE(channel.open(error));
  auto run = drive(channel, [](const Run& r) { return r.over; });
  CHECK(run.over);
  REQUIRE_FALSE(run.events.empty());
  CHECK(run.events.front().control.code == "going_away");
  CHECK(relay.protocols().size() == 1);
}
