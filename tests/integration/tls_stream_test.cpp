// The relay's TLS stream (relay/net/lean_tls_stream.hpp) at its edges,
// through a real relay: a WebSocket client on OpenSSL directly, so the test
// chooses how bytes fall into TLS records and how the connection ends. Each
// case must end in a defined way on time (the peer hears `peer left`, the
// socket is closed), and the relay stays healthy (under ASan in the asan
// build: no leak, no use after free; the relay's exit is checked).
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <poll.h>

#include "tests/support/certs.hpp"
#include "tests/support/raw_websocket.hpp"
#include "tests/support/relay_helpers.hpp"
#include "tests/support/scratch_dir.hpp"

namespace qrlogin::testing {

namespace {

// A WebSocket client over OpenSSL on a blocking loopback socket (reads and
// writes give up after 5 s). No certificate check: it only talks.
class RawWss {
 public:
  explicit RawWss(std::uint16_t port, int version = TLS1_3_VERSION) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    REQUIRE(ctx_ != nullptr);
    SSL_CTX_set_min_proto_version(ctx_, version);
    SSL_CTX_set_max_proto_version(ctx_, version);
    fd_ = raw_connect("127.0.0.1", port);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    REQUIRE(SSL_connect(ssl_) == 1);
  }
  ~RawWss() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  RawWss(const RawWss&) = delete;
  RawWss& operator=(const RawWss&) = delete;

  SSL* ssl() { return ssl_; }
  int fd() const { return fd_; }

  // The upgrade, then the relay's `joined` (a text frame).
  void upgrade(const std::string& cid, const std::string& role) {
    std::string req = "GET /v1/channels/" + cid + "?role=" + role +
                      " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    write_all(req.data(), req.size(), req.size());
    std::string head;
    char c = 0;
    while (head.find("\r\n\r\n") == std::string::npos) {
      REQUIRE(SSL_read(ssl_, &c, 1) == 1);
      head += c;
    }
    REQUIRE(head.starts_with("HTTP/1.1 101"));
    auto [opcode, payload] = read_frame();
    CHECK(opcode == 1);
    CHECK(std::string(payload.begin(), payload.end()).find("\"joined\"") != std::string::npos);
  }

  // A masked binary frame, handed to TLS `record_bytes` at a time: one TLS
  // record per SSL_write.
  void send_binary(const Bytes& payload, std::size_t record_bytes) { send_burst({payload}, record_bytes); }

  // Masked binary frames back to back, handed to TLS `record_bytes` at a
  // time: a burst the relay reads at once.
  void send_burst(const std::vector<Bytes>& payloads, std::size_t record_bytes) {
    std::string frames;
    for (const auto& payload : payloads)
      raw_append_frame(frames, 0x2, std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()));
    write_all(frames.data(), frames.size(), record_bytes);
  }

  // The TLS record our next SSL_write of a masked binary frame would send,
  // captured instead of sent (the socket BIO swapped for a memory BIO), so
  // the test can forge, replay or send it itself.
  std::string record_of_frame(const Bytes& payload) {
    std::string frame;
    raw_append_frame(frame, 0x2, std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()));
    BIO* socket_bio = SSL_get_wbio(ssl_);
    REQUIRE(BIO_up_ref(socket_bio) == 1);
    BIO* memory = BIO_new(BIO_s_mem());
    SSL_set0_wbio(ssl_, memory);
    REQUIRE(SSL_write(ssl_, frame.data(), static_cast<int>(frame.size())) == static_cast<int>(frame.size()));
    char* data = nullptr;
    long size = BIO_get_mem_data(memory, &data);
    std::string record(data, static_cast<std::size_t>(size));
    SSL_set0_wbio(ssl_, socket_bio);  // frees the memory BIO
    return record;
  }

  void send_raw(const std::string& bytes) {
    REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
  }

  // The next frame from the relay (unmasked): its opcode and payload.
  std::pair<int, Bytes> read_frame() {
    std::uint8_t h[2];
    read_exact(h, 2);
    std::uint64_t len = h[1] & 0x7f;
    if (len == 126 || len == 127) {
      std::uint8_t ext[8];
      std::size_t n = len == 126 ? 2 : 8;
      read_exact(ext, n);
      len = 0;
      for (std::size_t i = 0; i < n; ++i) len = (len << 8) | ext[i];
    }
    Bytes payload(static_cast<std::size_t>(len));
    if (len) read_exact(payload.data(), payload.size());
    return {h[0] & 0x0f, std::move(payload)};
  }

 private:
  void write_all(const void* data, std::size_t size, std::size_t record_bytes) {
    auto* p = static_cast<const std::uint8_t*>(data);
    for (std::size_t at = 0; at < size;) {
      auto n = std::min(record_bytes, size - at);
      REQUIRE(SSL_write(ssl_, p + at, static_cast<int>(n)) == static_cast<int>(n));
      at += n;
    }
  }
  void read_exact(std::uint8_t* out, std::size_t n) {
    for (std::size_t at = 0; at < n;) {
      int got = SSL_read(ssl_, out + at, static_cast<int>(n - at));
      REQUIRE(got > 0);
      at += static_cast<std::size_t>(got);
    }
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
};


std::unique_ptr<Client> wss_receiver(const RelayProcess& relay, const std::string& ca, const std::string& cid) {
  auto o = options_for(relay, cid, "receiver");
  o.tls = true;
  o.ca_file = ca;
  return join_with(o);
}

// A receiver over wss in a fresh channel, and `sender` joined to it.
std::unique_ptr<Client> paired_receiver(const RelayProcess& relay, const std::string& ca, RawWss& sender) {
  auto cid = random_cid();
  auto receiver = wss_receiver(relay, ca, cid);
  sender.upgrade(cid, "sender");
  REQUIRE(receiver->next_control("peer", 5s).ok());
  return receiver;
}

// `frame`, sent by the receiver, reaches the raw sender as one binary message.
void expect_relayed_to(RawWss& sender, Client& receiver, const Bytes& frame) {
  REQUIRE(receiver.send(frame).ok());
  auto [opcode, payload] = sender.read_frame();
  CHECK(opcode == 2);
  CHECK(payload == frame);
}

void expect_peer_left(Client& receiver) {
  auto left = receiver.next_control("peer", 5s);
  REQUIRE(left.ok());
  INFO(left->text);
  CHECK(left->text.find("\"left\"") != std::string::npos);
}

}  // namespace

TEST_CASE("tls stream: a large frame split across hundreds of small TLS records arrives whole", "[integration]") {
  ScratchDir dir;
  auto certs = make_lan_cert(dir.path);
  RelayProcess relay(tls_args(certs.cert, certs.key));
  RawWss sender(relay.port());
  auto receiver = paired_receiver(relay, certs.ca, sender);
  auto big = frame_of(1, 60000);
  sender.send_binary(big, 97);  // ~620 records, the frame header split too
  expect_binary(*receiver, big);
  // And back, as one write: the relay's records are whole frames to us.
  expect_relayed_to(sender, *receiver, frame_of(2, 20000));
}

TEST_CASE("tls stream: a burst of frames reaches a wss client whole and in order, in fewer writes than frames",
          "[integration]") {
  ScratchDir dir;
  auto certs = make_lan_cert(dir.path);
  auto args = tls_args(certs.cert, certs.key);
  args.insert(args.end(), {"--max-frames-per-channel", "100"});
  RelayProcess relay(args);
  RawWss sender(relay.port());
  auto receiver = paired_receiver(relay, certs.ca, sender);
  auto writes_before = metrics_of(relay)["qrlogin_relay_socket_writes_total"];
  std::vector<Bytes> burst;
  for (int i = 0; i < 24; ++i) burst.push_back(frame_of(static_cast<std::uint8_t>(i), 100 + 37 * static_cast<std::size_t>(i)));
  sender.send_burst(burst, 16384);  // one TLS record
  for (const auto& frame : burst) expect_binary(*receiver, frame);
  auto writes = metrics_of(relay)["qrlogin_relay_socket_writes_total"] - writes_before;
  INFO("writes for 24 frames: " << writes);
  CHECK(writes >= 1);
  CHECK(writes <= 6);
  // And the other way, still whole after the batch.
  expect_relayed_to(sender, *receiver, frame_of(2, 20000));
}

TEST_CASE("tls stream: TLS 1.3 key updates both ways while frames flow", "[integration]") {
  ScratchDir dir;
  auto certs = make_lan_cert(dir.path);
  RelayProcess relay(tls_args(certs.cert, certs.key));
  RawWss sender(relay.port());
  auto receiver = paired_receiver(relay, certs.ca, sender);
  for (int round = 0; round < 4; ++round) {
    // We move to new keys and, in even rounds, ask the relay to move too:
    // its next record must come under its new key, or our read fails. In
    // odd rounds only our key moves, and the relay must follow us alone.
    REQUIRE(SSL_key_update(sender.ssl(), round % 2 == 0 ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED) == 1);
    auto up = frame_of(1, 300);
    sender.send_binary(up, 16384);
    expect_binary(*receiver, up);
    expect_relayed_to(sender, *receiver, frame_of(2, 200));
  }
}

TEST_CASE("tls stream: after a TLS 1.3 handshake the relay protects the records itself - TLS 1.2 stays with OpenSSL",
          "[integration]") {
  ScratchDir dir;
  auto certs = make_lan_cert(dir.path);
  RelayProcess relay(tls_args(certs.cert, certs.key));
  const std::string relay_records = "qrlogin_relay_tls_handshakes_total{records=\"relay\"}";
  const std::string openssl_records = "qrlogin_relay_tls_handshakes_total{records=\"openssl\"}";
  auto before = metrics_of(relay);
  {
    RawWss sender(relay.port(), TLS1_3_VERSION);
    auto receiver = paired_receiver(relay, certs.ca, sender);  // the receiver's client speaks TLS 1.3 too
    auto up = frame_of(3, 5000);
    sender.send_binary(up, 16384);
    expect_binary(*receiver, up);
    expect_relayed_to(sender, *receiver, frame_of(4, 40000));
  }
  auto after = metrics_of(relay);
  CHECK(after[relay_records] - before[relay_records] == 2);
  CHECK(after[openssl_records] - before[openssl_records] == 0);
  {
    RawWss sender(relay.port(), TLS1_2_VERSION);
    auto receiver = paired_receiver(relay, certs.ca, sender);
    auto up = frame_of(5, 5000);
    sender.send_binary(up, 1000);
    expect_binary(*receiver, up);
    expect_relayed_to(sender, *receiver, frame_of(6, 40000));
  }
  auto last = metrics_of(relay);
  CHECK(last[relay_records] - after[relay_records] == 1);  // the receiver
  CHECK(last[openssl_records] - after[openssl_records] == 1);
}

TEST_CASE("tls stream: a replayed, altered or oversized TLS record ends that connection and nothing else",
          "[integration]") {
  ScratchDir dir;
  auto certs = make_lan_cert(dir.path);
  RelayProcess relay(tls_args(certs.cert, certs.key));

  SECTION("a genuine record sent twice: the frame arrives once") {
    RawWss sender(relay.port());
    auto receiver = paired_receiver(relay, certs.ca, sender);
    auto frame = frame_of(7, 100);
    auto record = sender.record_of_frame(frame);
    sender.send_raw(record);
    expect_binary(*receiver, frame);
    sender.send_raw(record);
    expect_peer_left(*receiver);
    CHECK(closed_within(sender.fd(), 5s));
  }

  SECTION("a genuine record with one bit of its ciphertext flipped: nothing of it arrives") {
    RawWss sender(relay.port());
    auto receiver = paired_receiver(relay, certs.ca, sender);
    auto record = sender.record_of_frame(frame_of(8, 100));
    record[20] = static_cast<char>(record[20] ^ 0x10);
    sender.send_raw(record);
    expect_peer_left(*receiver);  // not the frame: the next thing it hears is the peer leaving
    CHECK(closed_within(sender.fd(), 5s));
  }

  SECTION("a header announcing more than TLS 1.3 allows, refused before its bytes arrive") {
    RawWss sender(relay.port());
    auto receiver = paired_receiver(relay, certs.ca, sender);
    sender.send_raw(std::string("\x17\x03\x03\x41\x01", 5));  // 16641 bytes
    expect_peer_left(*receiver);
    CHECK(closed_within(sender.fd(), 5s));
  }

  SECTION("a plaintext change_cipher_spec after the handshake") {
    RawWss sender(relay.port());
    auto receiver = paired_receiver(relay, certs.ca, sender);
    sender.send_raw(std::string("\x14\x03\x03\x00\x01\x01", 6));
    expect_peer_left(*receiver);
    CHECK(closed_within(sender.fd(), 5s));
  }

  // Another pairing on the same relay is untouched, and the relay exits
  // cleanly (under ASan: no leak, no error report).
  RawWss other(relay.port());
  auto receiver = paired_receiver(relay, certs.ca, other);
  expect_relayed_to(other, *receiver, frame_of(9, 3000));
  auto last = frame_of(10, 3000);
  other.send_binary(last, 16384);
  expect_binary(*receiver, last);
  receiver.reset();
  CHECK(eventually(relay, [](const nlohmann::json& g) { return g["connections"] <= 1; }));
}

TEST_CASE("tls stream: a client cut mid-record, and one that sends close_notify, end as the peer leaving",
          "[integration]") {
  ScratchDir dir;
  auto certs = make_lan_cert(dir.path);
  RelayProcess relay(tls_args(certs.cert, certs.key));

  SECTION("TCP closed in the middle of a TLS record") {
    std::unique_ptr<Client> receiver;
    {
      RawWss sender(relay.port());
      receiver = paired_receiver(relay, certs.ca, sender);
      // An application-data record header announcing 256 bytes, and 20 of them.
      const char partial[] = "\x17\x03\x03\x01\x00twenty bytes of it..";
      REQUIRE(::send(sender.fd(), partial, sizeof partial - 1, 0) == static_cast<ssize_t>(sizeof partial - 1));
    }  // closed here
    expect_peer_left(*receiver);
  }

  SECTION("close_notify after the upgrade") {
    RawWss sender(relay.port());
    auto receiver = paired_receiver(relay, certs.ca, sender);
    REQUIRE(SSL_shutdown(sender.ssl()) >= 0);  // ours sent; the socket stays open
    expect_peer_left(*receiver);
    CHECK(closed_within(sender.fd(), 5s));
  }

  SECTION("a record that does not decrypt") {
    RawWss sender(relay.port());
    auto receiver = paired_receiver(relay, certs.ca, sender);
    std::string forged("\x17\x03\x03\x00\x20", 5);
    forged.append(32, 'x');
    REQUIRE(::send(sender.fd(), forged.data(), forged.size(), 0) == static_cast<ssize_t>(forged.size()));
    expect_peer_left(*receiver);
    CHECK(closed_within(sender.fd(), 5s));
  }

  // Every connection of the section is gone, none left behind; the relay
  // exits cleanly (under ASan: no leak report, which would make it exit 1).
  CHECK(eventually(relay, [](const nlohmann::json& g) { return g["connections"] == 0; }));
  CHECK(relay.stop() == 0);
  CHECK(relay.output().find("Sanitizer") == std::string::npos);
}

}  // namespace qrlogin::testing
