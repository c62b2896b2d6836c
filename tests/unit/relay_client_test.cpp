// relay_client against a hostile relay: an in-process WebSocket server on
// 127.0.0.1 (Beast, one connection) that joins the client and then sends
// what no relay should. The client must refuse a message over
// max_message_bytes (by default the largest frame) and stop reading, not
// queue without bound, when nobody takes its events.
#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "crypto/pairing/constants.hpp"
#include "cli/relay_client/client.hpp"

using namespace qrlogin;
using namespace std::chrono_literals;

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Ws = websocket::stream<tcp::socket>;
using relay_client::Event;

// Accepts one connection on 127.0.0.1:0, answers the upgrade with
// qrlogin.v1 and runs `script` on it, on a thread of its own.
class ScriptedRelay {
 public:
  explicit ScriptedRelay(std::function<void(Ws&)> script) : acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this, script = std::move(script)] {
      try {
        tcp::socket socket(ioc_);
        acceptor_.accept(socket);
        accepted_ = true;
        Ws ws(std::move(socket));
        ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
          res.set(beast::http::field::sec_websocket_protocol, "qrlogin.v1");
        }));
        ws.accept();
        script(ws);
      } catch (const beast::system_error&) {
        // The client went away.
      }
    });
  }

  ~ScriptedRelay() {
    if (!accepted_) {
      // Wakes a blocking accept() if the test never connected.
      beast::error_code ignored;
      tcp::socket poke(ioc_);
      poke.connect(acceptor_.local_endpoint(), ignored);
    }
    thread_.join();
  }

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // Reads until the client closes or goes away; returns its close code.
  static std::uint16_t read_until_closed(Ws& ws) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (!ec) {
      ws.read(buffer, ec);
      buffer.consume(buffer.size());
    }
    return ec == websocket::error::closed ? ws.reason().code : 0;
  }

 private:
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::atomic<bool> accepted_{false};
  std::thread thread_;
};

// Both ignore a client that went away: the test checks what it received.
void send_text(Ws& ws, const std::string& text) {
  beast::error_code ignored;
  ws.text(true);
  ws.write(net::buffer(text), ignored);
}

void send_binary(Ws& ws, std::size_t size, std::uint8_t fill) {
  std::string bytes(size, static_cast<char>(fill));
  beast::error_code ignored;
  ws.binary(true);
  ws.write(net::buffer(bytes), ignored);
}

const std::string kJoined =
    R"({"type":"joined","role":"receiver","expires_in_ms":30000,"peer":true,"resume_token":"TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT"})";

relay_client::Options options_for(const ScriptedRelay& relay) {
  relay_client::Options options;
  options.port = relay.port();
  options.cid = "AAAAAAAAAAAAAAAAAAAAAA";
  return options;
}

Event next_event(relay_client::Client& client) {
  auto event = client.next(5s);
  REQUIRE(event.ok());
  return std::move(event.value());
}

}  // namespace

TEST_CASE("relay_client: a message over max_message_bytes, by default the largest frame, is refused") {
  CHECK(relay_client::Options{}.max_message_bytes == pairing::kMaxFrameBytes);
  ScriptedRelay relay([](Ws& ws) {
    send_text(ws, kJoined);
    send_binary(ws, pairing::kMaxFrameBytes, 1);  // the largest CREDENTIAL: delivered
    send_binary(ws, pairing::kMaxFrameBytes + 1, 2);
    send_binary(ws, 10, 3);  // never delivered
    ScriptedRelay::read_until_closed(ws);
  });
  auto connected = relay_client::Client::connect(options_for(relay));
  REQUIRE(connected);
  auto& client = *connected.client;

  auto joined = next_event(client);
  CHECK(joined.kind == Event::Kind::control);
  CHECK(joined.control.type == "joined");
  auto frame = next_event(client);
  REQUIRE(frame.kind == Event::Kind::binary);
  CHECK(frame.bytes.size() == pairing::kMaxFrameBytes);
  auto closed = next_event(client);
  REQUIRE(closed.kind == Event::Kind::closed);
  CHECK(closed.close_reason == "the relay sent a message larger than 65809 bytes");
  CHECK(closed.close_code == 0);
  CHECK(client.closed());
  CHECK_FALSE(client.next(200ms).ok());  // nothing after the close
}

TEST_CASE("relay_client: a caller that expects larger messages raises max_message_bytes") {
  ScriptedRelay relay([](Ws& ws) {
    send_text(ws, kJoined);
    send_binary(ws, 1u << 20, 4);
    ScriptedRelay::read_until_closed(ws);
  });
  auto options = options_for(relay);
  options.max_message_bytes = 1u << 20;
  auto connected = relay_client::Client::connect(options);
  REQUIRE(connected);
  CHECK(next_event(*connected.client).control.type == "joined");
  auto frame = next_event(*connected.client);
  REQUIRE(frame.kind == Event::Kind::binary);
  CHECK(frame.bytes.size() == 1u << 20);
  CHECK(connected.client->close().ok());
}

TEST_CASE("relay_client: with kMaxQueuedEvents events not taken it stops reading, and reads on once they are") {
  constexpr int kFlood = 300;
  static_assert(kFlood + 1 > static_cast<int>(relay_client::kMaxQueuedEvents));
  std::atomic<bool> written{false};
  ScriptedRelay relay([&](Ws& ws) {
    send_text(ws, kJoined);
    for (int i = 0; i < kFlood; ++i) send_text(ws, R"({"type":"peer","event":"joined","n":)" + std::to_string(i) + "}");
    written = true;
    beast::error_code ignored;
    ws.close(websocket::close_code::normal, ignored);  // answered once the client reads it
  });
  auto connected = relay_client::Client::connect(options_for(relay));
  REQUIRE(connected);
  auto& client = *connected.client;

  // Nobody calls next(): the queue fills up to the bound and stays there.
  for (int i = 0; i < 500 && client.queued() < relay_client::kMaxQueuedEvents; ++i) std::this_thread::sleep_for(10ms);
  for (int i = 0; i < 500 && !written; ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(written);
  std::this_thread::sleep_for(300ms);
  CHECK(client.queued() == relay_client::kMaxQueuedEvents);
  CHECK_FALSE(client.closed());

  // Taking events reads on: every message arrives, in order, then the close.
  CHECK(next_event(client).control.type == "joined");
  std::size_t most_queued = 0;
  for (int i = 0; i < kFlood; ++i) {
    std::optional<Event> event;
    if (i % 2 == 0) {
      event = next_event(client);
    } else {
      for (int tries = 0; tries < 500 && !(event = client.try_next()); ++tries) std::this_thread::sleep_for(10ms);
      REQUIRE(event);
    }
    REQUIRE(event->kind == Event::Kind::control);
    CHECK(event->control.type == "peer");
    CHECK(event->text.ends_with("\"n\":" + std::to_string(i) + "}"));
    most_queued = std::max(most_queued, client.queued());
  }
  CHECK(most_queued <= relay_client::kMaxQueuedEvents + 1);  // the close may come on top
  auto closed = next_event(client);
  REQUIRE(closed.kind == Event::Kind::closed);
  CHECK(closed.close_code == 1000);
}
