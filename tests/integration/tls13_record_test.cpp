// The relay's TLS 1.3 record layer (relay/net/tls13_record.hpp) against
// RFC 8448 section 3 ("Simple 1-RTT Handshake"): its application traffic
// secrets, keys, IVs and records, as a server sees them (the client's
// records opened, the server's sealed). Then what a hostile record gets.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "relay/net/tls13_record.hpp"

namespace tls13 = qrlogin::relay::tls13;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes hex(const std::string& text) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoi(text.substr(i, 2), nullptr, 16)));
  return out;
}

Bytes counting(std::size_t n) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i);
  return out;
}

// RFC 8448 section 3 (TLS_AES_128_GCM_SHA256).
const std::string kClientSecret = "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5";
const std::string kServerSecret = "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643";
// {client} application data: bytes 00..31 under sequence 0.
const std::string kClientRecord =
    "1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a20441e2b62974e1f5a6292"
    "a2977014bd1e3deae63aeebb21694915e4";
// {client} close_notify, sequence 1.
const std::string kClientAlert = "1703030013c9872760655666b74d7ff1153efd6db6d0b0e3";
// {server} the same 50 bytes, sequence 1 (sequence 0 was its ticket).
const std::string kServerRecord =
    "17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d90e6dffc602dcb501a59a8fcc49c4bf2e5f0"
    "a21c0047c2abf332540dd032e167c2955d";

void set(tls13::TrafficKeys& keys, const std::string& secret) {
  auto bytes = hex(secret);
  REQUIRE(keys.set(tls13::Suite::aes_128_gcm_sha256, bytes));
}

tls13::Opened open_hex(tls13::TrafficKeys& keys, Bytes& record) {
  auto framing = tls13::frame(record);
  REQUIRE_FALSE(framing.error);
  REQUIRE(framing.record_bytes == record.size());
  return tls13::open(keys, record);
}

Bytes seal(tls13::TrafficKeys& keys, std::uint8_t type, const Bytes& plaintext) {
  Bytes out(tls13::sealed_bytes(plaintext.size()));
  boost::asio::const_buffer piece(plaintext.data(), plaintext.size());
  REQUIRE_FALSE(tls13::seal(keys, type, std::span(&piece, 1), plaintext.size(), out.data()));
  return out;
}

}  // namespace

TEST_CASE("tls13 record: RFC 8448 keys, the client's records opened, the server's sealed byte for byte", "[unit]") {
  tls13::TrafficKeys client;
  set(client, kClientSecret);
  CHECK(Bytes(client.key().begin(), client.key().end()) == hex("17422dda596ed5d9acd890e3c63f5051"));
  tls13::TrafficKeys server;
  set(server, kServerSecret);
  CHECK(Bytes(server.key().begin(), server.key().end()) == hex("9f02283b6c9c07efc26bb9f2ac92e356"));

  auto record = hex(kClientRecord);
  auto opened = open_hex(client, record);
  REQUIRE_FALSE(opened.error);
  CHECK(opened.type == tls13::kApplicationData);
  CHECK(Bytes(opened.plaintext.begin(), opened.plaintext.end()) == counting(50));

  auto alert = hex(kClientAlert);
  opened = open_hex(client, alert);
  REQUIRE_FALSE(opened.error);
  CHECK(opened.type == tls13::kAlert);
  CHECK(Bytes(opened.plaintext.begin(), opened.plaintext.end()) == Bytes{1, 0});
  CHECK(client.sequence() == 2);

  // The server's sequence 0 went to its NewSessionTicket in the RFC's trace.
  Bytes skipped(tls13::sealed_bytes(0));
  REQUIRE_FALSE(tls13::seal(server, tls13::kHandshake, {}, 0, skipped.data()));
  CHECK(seal(server, tls13::kApplicationData, counting(50)) == hex(kServerRecord));
}

TEST_CASE("tls13 record: a flipped bit, a replay, a wrong key or a record out of order does not open", "[unit]") {
  auto record = hex(kClientRecord);
  for (std::size_t i = 0; i < record.size(); i += 7) {
    if (i == 3 || i == 4) continue;  // the length: frame() measures another record
    tls13::TrafficKeys client;
    set(client, kClientSecret);
    auto forged = record;
    forged[i] ^= 0x01;
    auto opened = tls13::open(client, forged);
    INFO("byte " << i);
    CHECK(opened.error);
    CHECK(opened.plaintext.empty());
  }
  SECTION("replayed: the second copy is under the next sequence number") {
    tls13::TrafficKeys client;
    set(client, kClientSecret);
    auto first = record;
    REQUIRE_FALSE(tls13::open(client, first).error);
    auto again = record;
    CHECK(tls13::open(client, again).error == tls13::Error::bad_record_mac);
  }
  SECTION("out of order: the alert (sequence 1) first") {
    tls13::TrafficKeys client;
    set(client, kClientSecret);
    auto alert = hex(kClientAlert);
    CHECK(tls13::open(client, alert).error == tls13::Error::bad_record_mac);
  }
  SECTION("the server's key on the client's record") {
    tls13::TrafficKeys server;
    set(server, kServerSecret);
    auto copy = record;
    CHECK(tls13::open(server, copy).error == tls13::Error::bad_record_mac);
  }
}

TEST_CASE("tls13 record: lengths and types TLS 1.3 forbids are refused by name", "[unit]") {
  SECTION("a header announcing more than 2^14 + 256 bytes, before any of them arrive") {
    Bytes header{0x17, 0x03, 0x03, 0x41, 0x01};  // 16641
    CHECK(tls13::frame(header).error == tls13::Error::record_overflow);
    Bytes largest{0x17, 0x03, 0x03, 0x41, 0x00};  // 16640: allowed
    CHECK(tls13::frame(largest).record_bytes == 5 + 16640);
    CHECK(tls13::frame(Bytes{0x17, 0x03, 0x03, 0x41}).record_bytes == 0);  // not yet a header
  }
  SECTION("a plaintext alert or change_cipher_spec after the handshake") {
    tls13::TrafficKeys client;
    set(client, kClientSecret);
    Bytes ccs{0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
    CHECK(tls13::open(client, ccs).error == tls13::Error::unexpected_message);
    Bytes alert{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
    CHECK(tls13::open(client, alert).error == tls13::Error::unexpected_message);
  }
  SECTION("a record too short to hold a type and a tag") {
    tls13::TrafficKeys client;
    set(client, kClientSecret);
    Bytes shorty{0x17, 0x03, 0x03, 0x00, 0x10};
    shorty.resize(5 + 16, 0xaa);
    CHECK(tls13::open(client, shorty).error == tls13::Error::bad_record_mac);
  }
  SECTION("an authentic record of padding only: no content type") {
    tls13::TrafficKeys server;
    set(server, kServerSecret);
    tls13::TrafficKeys reader;
    set(reader, kServerSecret);
    auto record = seal(server, 0, Bytes(40, 0));  // inner type 0 after 40 zero bytes: all padding
    CHECK(tls13::open(reader, record).error == tls13::Error::unexpected_message);
  }
  SECTION("an authentic record with more than 2^14 bytes of plaintext") {
    tls13::TrafficKeys server;
    set(server, kServerSecret);
    Bytes too_big(tls13::kMaxPlaintext + 1, 0x41);
    Bytes out(tls13::sealed_bytes(too_big.size()));
    boost::asio::const_buffer piece(too_big.data(), too_big.size());
    CHECK(tls13::seal(server, tls13::kApplicationData, std::span(&piece, 1), too_big.size(), out.data()) ==
          tls13::Error::record_overflow);
  }
  CHECK(tls13::make_error_code(tls13::Error::bad_record_mac).message().find("bad_record_mac") != std::string::npos);
}

TEST_CASE("tls13 record: every suite round-trips, padding is stripped, and a KeyUpdate moves both sides together",
          "[unit]") {
  for (std::uint16_t id : {std::uint16_t{0x1301}, std::uint16_t{0x1302}, std::uint16_t{0x1303}}) {
    auto suite = tls13::suite_of(id);
    REQUIRE(suite);
    INFO("suite 0x" << std::hex << id);
    Bytes secret(tls13::secret_bytes(*suite), 0x5a);
    tls13::TrafficKeys writer;
    tls13::TrafficKeys reader;
    REQUIRE(writer.set(*suite, secret));
    REQUIRE(reader.set(*suite, secret));
    // Several pieces into one record, as a WebSocket frame's header and payload.
    Bytes head{0x82, 0x05};
    Bytes body{'h', 'e', 'l', 'l', 'o'};
    boost::asio::const_buffer pieces[] = {{head.data(), head.size()}, {body.data(), body.size()}};
    Bytes record(tls13::sealed_bytes(7));
    REQUIRE_FALSE(tls13::seal(writer, tls13::kApplicationData, pieces, 7, record.data()));
    auto opened = tls13::open(reader, record);
    REQUIRE_FALSE(opened.error);
    CHECK(Bytes(opened.plaintext.begin(), opened.plaintext.end()) == Bytes{0x82, 0x05, 'h', 'e', 'l', 'l', 'o'});

    // Padding a peer may add: zeros after the inner type.
    Bytes padded{'x', tls13::kApplicationData, 0, 0, 0, 0};
    record = seal(writer, 0, Bytes(padded.begin(), padded.end() - 1));  // inner "type" 0 ends the zeros
    opened = tls13::open(reader, record);
    REQUIRE_FALSE(opened.error);
    CHECK(opened.type == tls13::kApplicationData);
    CHECK(Bytes(opened.plaintext.begin(), opened.plaintext.end()) == Bytes{'x'});

    REQUIRE(writer.update());
    CHECK(writer.sequence() == 0);
    record = seal(writer, tls13::kApplicationData, Bytes{'n', 'e', 'w'});
    auto stale = record;
    CHECK(tls13::open(reader, stale).error == tls13::Error::bad_record_mac);  // the old key
    tls13::TrafficKeys updated;
    REQUIRE(updated.set(*suite, secret));
    REQUIRE(updated.update());
    opened = tls13::open(updated, record);
    REQUIRE_FALSE(opened.error);
    CHECK(Bytes(opened.plaintext.begin(), opened.plaintext.end()) == Bytes{'n', 'e', 'w'});
  }
  CHECK_FALSE(tls13::suite_of(0x1304));  // CCM: OpenSSL keeps such a connection
  CHECK_FALSE(tls13::suite_of(0xc02f));  // a TLS 1.2 suite
}
