// The relay writes several queued messages to a client in one write
// (issue 22): what the peer sent in one burst arrives whole and in order in
// fewer writes than messages, and a pong or a close frame that Beast writes
// while a batch is stuck on a client that does not read still arrives
// whole, after the batch, in order.
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/raw_websocket.hpp"
#include "tests/support/relay_helpers.hpp"

namespace qrlogin::testing {

namespace {
// A relayed frame that says where it belongs: its type byte, its index,
// then bytes that depend on both, so a frame cut short, spliced or out of
// order is seen.
std::string indexed_frame(std::uint32_t index, std::size_t size) {
  std::string out(size, '\0');
  out[0] = 0x03;
  for (int i = 0; i < 4; ++i) out[1 + static_cast<std::size_t>(i)] = static_cast<char>((index >> (8 * i)) & 0xff);
  for (std::size_t i = 5; i < size; ++i) out[i] = static_cast<char>((index * 31 + i * 7) & 0xff);
  return out;
}

RawWebSocket raw_client(const RelayProcess& relay, const std::string& cid, const std::string& role,
                        int receive_buffer_bytes = 0) {
  RawWebSocketOptions o;
  o.port = relay.port();
  o.target = relay_client::channel_target(cid, role);
  o.receive_buffer_bytes = receive_buffer_bytes;
  auto ws = raw_websocket(o);
  INFO(ws.status_line);
  REQUIRE(ws);
  return ws;
}

// Reads text messages until one holds `needle`.
void read_text_until(int fd, const std::string& needle) {
  for (int i = 0; i < 8; ++i) {
    auto frame = raw_read_frame(fd);
    REQUIRE(frame);
    REQUIRE(frame->opcode == 0x1);
    if (frame->payload.find(needle) != std::string::npos) return;
  }
  FAIL("no text message with " << needle);
}

double metric(const RelayProcess& relay, const std::string& series) { return metrics_of(relay)[series]; }

// A receiver and a sender on one channel, both by hand, each past its
// `joined` (and the receiver past `peer joined`).
struct RawPair {
  RawWebSocket receiver;
  RawWebSocket sender;
};
RawPair raw_pair(const RelayProcess& relay, int receiver_buffer_bytes = 0) {
  auto cid = random_cid();
  RawPair pair{raw_client(relay, cid, "receiver", receiver_buffer_bytes), {}};
  read_text_until(pair.receiver.fd, "\"joined\"");
  pair.sender = raw_client(relay, cid, "sender");
  read_text_until(pair.sender.fd, "\"joined\"");
  read_text_until(pair.receiver.fd, "\"peer\"");
  return pair;
}
}  // namespace

TEST_CASE("batched writes: a burst of 32 frames of mixed sizes reaches the receiver whole and in order, in at "
          "most a quarter as many writes with one relay thread, and no more writes than frames with two",
          "[integration]") {
  auto threads = GENERATE("1", "2");
  RelayProcess relay({"--max-frames-per-channel", "100", "--threads", threads});
  auto pair = raw_pair(relay);
  auto writes_before = metric(relay, "qrlogin_relay_socket_writes_total");
  auto messages_before = metric(relay, "qrlogin_relay_messages_written_total");

  // Small frames (many to one read of the relay) and frames larger than
  // its first read (each read in several turns).
  constexpr std::uint32_t kFrames = 32;
  auto size_of = [](std::uint32_t i) -> std::size_t { return i % 2 == 0 ? 40 : 300 + 50 * i; };
  std::string burst;
  for (std::uint32_t i = 0; i < kFrames; ++i) raw_append_frame(burst, 0x2, indexed_frame(i, size_of(i)));
  REQUIRE(raw_send_all(pair.sender.fd, burst));  // one send

  for (std::uint32_t i = 0; i < kFrames; ++i) {
    auto frame = raw_read_frame(pair.receiver.fd);
    REQUIRE(frame);
    CHECK(frame->opcode == 0x2);
    REQUIRE(frame->payload == indexed_frame(i, size_of(i)));
  }
  auto messages = metric(relay, "qrlogin_relay_messages_written_total") - messages_before;
  auto writes = metric(relay, "qrlogin_relay_socket_writes_total") - writes_before;
  CHECK(messages == kFrames);
  INFO("writes for " << kFrames << " frames: " << writes << ", relay threads: " << threads);
  CHECK(writes >= 1);
  if (std::string(threads) == "1") {
    CHECK(writes <= kFrames / 4);
  } else {
    // Across threads the writing session cannot see the peer's reads
    // (ws_session.cpp, on_flush): fewer batches, never more writes.
    CHECK(writes <= kFrames);
  }

  ::close(pair.sender.fd);
  ::close(pair.receiver.fd);
  CHECK(relay.stop() == 0);
}

TEST_CASE("batched writes: one frame at a time still goes out at once, one write each", "[integration]") {
  RelayProcess relay;
  auto pair = raw_pair(relay);
  auto writes_before = metric(relay, "qrlogin_relay_socket_writes_total");
  for (std::uint32_t i = 0; i < 5; ++i) {
    REQUIRE(raw_send_frame(pair.sender.fd, 0x2, indexed_frame(i, 100)));
    auto frame = raw_read_frame(pair.receiver.fd);  // within the socket's 5 s receive timeout
    REQUIRE(frame);
    REQUIRE(frame->payload == indexed_frame(i, 100));
  }
  CHECK(metric(relay, "qrlogin_relay_socket_writes_total") - writes_before == 5);
  ::close(pair.sender.fd);
  ::close(pair.receiver.fd);
  CHECK(relay.stop() == 0);
}

TEST_CASE("batched writes: a pong and a close frame written while a batch is stuck on a receiver that does not "
          "read arrive whole, after it, in order, with one relay thread and with two",
          "[integration]") {
  auto threads = GENERATE("1", "2");
  // Room for a stall: on loopback the kernel's buffers take megabytes.
  RelayProcess relay({"--max-frames-per-channel", "1000", "--max-channel-bytes", "16000000", "--write-timeout", "30s",
                      "--threads", threads});
  auto pair = raw_pair(relay, 2048);

  constexpr std::uint32_t kFrames = 100;
  constexpr std::size_t kSize = 64000;  // 6.4 MB in all
  for (std::uint32_t i = 0; i < kFrames; ++i) {
    std::string frame;
    raw_append_frame(frame, 0x2, indexed_frame(i, kSize));
    REQUIRE(raw_send_all(pair.sender.fd, frame));
  }
  // The relay's write to the receiver is stuck by now: the receiver reads
  // nothing. Its ping's pong, and then the close that answers its close,
  // are written by Beast behind that write.
  REQUIRE(wait_until([&] { return metric(relay, "qrlogin_relay_bytes_forwarded_total") >= kFrames * kSize; }, 10s));
  REQUIRE(raw_send_frame(pair.receiver.fd, 0x9, "p1"));
  std::string close_payload("\x03\xe8", 2);  // 1000
  REQUIRE(raw_send_frame(pair.receiver.fd, 0x8, close_payload));

  std::uint32_t next_index = 0;
  int pongs = 0;
  std::optional<RawFrame> close;
  while (!close) {
    auto frame = raw_read_frame(pair.receiver.fd);
    INFO("after " << next_index << " frames and " << pongs << " pongs");
    INFO(relay.output());
    REQUIRE(frame);
    if (frame->opcode == 0x2) {
      INFO("binary frame " << next_index);
      REQUIRE(frame->payload == indexed_frame(next_index, kSize));
      ++next_index;
    } else if (frame->opcode == 0xA) {
      CHECK(frame->payload == "p1");
      CHECK(next_index > 0);  // the stuck batch went first
      ++pongs;
    } else if (frame->opcode == 0x8) {
      close = frame;
    } else {
      FAIL("unexpected opcode " << int(frame->opcode));
    }
  }
  CHECK(pongs == 1);
  CHECK(next_index > 0);
  CHECK(next_index <= kFrames);
  REQUIRE(close->payload.size() >= 2);
  CHECK(close->payload.substr(0, 2) == close_payload);
  // Nothing after the close frame: the relay ends the connection.
  char byte = 0;
  CHECK(::recv(pair.receiver.fd, &byte, 1, 0) == 0);

  ::close(pair.sender.fd);
  ::close(pair.receiver.fd);
  CHECK(relay.stop() == 0);
}

}  // namespace qrlogin::testing
