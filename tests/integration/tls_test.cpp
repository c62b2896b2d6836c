// The relay's own TLS (--tls-cert/--tls-key), through a real relay: a whole
// pairing over wss with ECDSA (scripts/make-cert) and RSA certificates,
// what the relay refuses (TLS 1.1, non-AEAD TLS 1.2 ciphers, renegotiation,
// bytes that are not TLS, silence), what a client that does not trust the
// certificate sees, and SIGHUP: a new certificate for new connections while
// old connections keep going, and a broken file that changes nothing.
//
// An independent TLS client (OpenSSL used directly, not the relay client)
// checks versions, ciphers and the certificate the relay presents; the
// certificates' fingerprints come from the openssl command.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <variant>

#include "crypto/pairing/link.hpp"
#include "crypto/pairing/receiver.hpp"
#include "crypto/pairing/sender.hpp"
#include "tests/support/relay_helpers.hpp"
#include "tests/support/certs.hpp"
#include "tests/support/scratch_dir.hpp"

namespace qrlogin::testing {

namespace {

Options wss_options(const RelayProcess& relay, const std::string& ca_file, const std::string& cid,
                    const std::string& role) {
  auto o = options_for(relay, cid, role);
  o.tls = true;
  o.ca_file = ca_file;
  return o;
}

std::unique_ptr<Client> wss_join(const RelayProcess& relay, const std::string& ca_file, const std::string& cid,
                                 const std::string& role, bool expect_peer = false) {
  return join_with(wss_options(relay, ca_file, cid, role), expect_peer);
}

nlohmann::json https_healthz(const RelayProcess& relay, const std::string& ca_file) {
  relay_client::HttpRequest req;
  req.port = relay.port();
  req.target = "/healthz";
  req.tls = true;
  req.ca_file = ca_file;
  auto res = relay_client::http_request(req);
  INFO((res.ok() ? std::string() : res.error().message));
  REQUIRE(res.ok());
  REQUIRE(res->status == 200);
  return nlohmann::json::parse(res->body);
}

// A raw loopback socket whose reads and writes give up after 5 s.
int tcp_connect(std::uint16_t port) {
  int fd = raw_connect("127.0.0.1", port);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}


// What an independent TLS client sees of the relay.
struct Probe {
  bool ok = false;
  std::string version;      // e.g. TLSv1.3
  std::string cipher;
  std::string cert_sha256;  // of the certificate the relay presented
  std::string error;        // OpenSSL's reason, when the handshake failed
  bool renegotiation_refused = false;
};

std::string last_ssl_error() {
  auto code = ERR_get_error();
  std::string out = code != 0 ? ERR_reason_error_string(code) != nullptr ? ERR_reason_error_string(code) : "?" : "";
  ERR_clear_error();
  return out;
}

// A TLS handshake with the relay offering only versions [min, max] and, for
// TLS <= 1.2, only `ciphers`; no certificate check (the probe only looks).
// With `renegotiate`, asks for a renegotiation after the handshake.
Probe probe(std::uint16_t port, int min_version, int max_version, const char* ciphers = "DEFAULT:@SECLEVEL=0",
            bool renegotiate = false) {
  Probe out;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  REQUIRE(ctx != nullptr);
  SSL_CTX_set_security_level(ctx, 0);  // so that the client really offers TLS 1.1
  SSL_CTX_set_min_proto_version(ctx, min_version);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  REQUIRE(SSL_CTX_set_cipher_list(ctx, ciphers) == 1);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  int fd = tcp_connect(port);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  char sni[] = "localhost";
  SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, sni);  // SSL_set_tlsext_host_name
  if (SSL_connect(ssl) == 1) {
    out.ok = true;
    out.version = SSL_get_version(ssl);
    out.cipher = SSL_get_cipher_name(ssl);
    if (X509* cert = SSL_get1_peer_certificate(ssl)) {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned n = 0;
      X509_digest(cert, EVP_sha256(), md, &n);
      static constexpr char kHex[] = "0123456789abcdef";
      for (unsigned i = 0; i < n; ++i) {
        out.cert_sha256.push_back(kHex[md[i] >> 4]);
        out.cert_sha256.push_back(kHex[md[i] & 0xf]);
      }
      X509_free(cert);
    }
    if (renegotiate) {
      // The request goes out with the next record; the relay answers it
      // with a no_renegotiation alert, which OpenSSL's client treats as fatal.
      REQUIRE(SSL_renegotiate(ssl) == 1);
      out.renegotiation_refused = SSL_do_handshake(ssl) != 1;
      out.error = last_ssl_error();
    }
  } else {
    out.error = last_ssl_error();
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  return out;
}

// What a client that wants to resume a TLS session gets from the relay.
struct Resumption {
  bool ticket = false;  // the first connection's session carries a ticket
  bool reused = false;  // a second connection offering it was resumed
};

// Connects, reads an HTTP answer (a TLS 1.3 server sends its tickets after
// the handshake, so they arrive before it), then connects again offering
// the session of the first connection.
Resumption resumption(std::uint16_t port, int version) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  REQUIRE(ctx != nullptr);
  SSL_CTX_set_min_proto_version(ctx, version);
  SSL_CTX_set_max_proto_version(ctx, version);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  auto handshake = [&](SSL_SESSION* offer) {
    int fd = tcp_connect(port);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (offer != nullptr) REQUIRE(SSL_set_session(ssl, offer) == 1);
    INFO(last_ssl_error());
    REQUIRE(SSL_connect(ssl) == 1);
    return std::pair{ssl, fd};
  };

  auto [first, first_fd] = handshake(nullptr);
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
  REQUIRE(SSL_write(first, request.data(), static_cast<int>(request.size())) == static_cast<int>(request.size()));
  std::string answer;
  char buf[1024];
  while (answer.find("\"status\":\"ok\"") == std::string::npos) {
    int n = SSL_read(first, buf, sizeof buf);
    REQUIRE(n > 0);
    answer.append(buf, static_cast<std::size_t>(n));
  }
  SSL_SESSION* saved = SSL_get1_session(first);
  REQUIRE(saved != nullptr);
  Resumption out;
  out.ticket = SSL_SESSION_has_ticket(saved) == 1;
  SSL_shutdown(first);
  SSL_free(first);
  ::close(first_fd);

  auto [second, second_fd] = handshake(saved);
  out.reused = SSL_session_reused(second) == 1;
  SSL_free(second);
  ::close(second_fd);
  SSL_SESSION_free(saved);
  SSL_CTX_free(ctx);
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void copy_file(const std::string& from, const std::string& to) {
  std::ofstream(to, std::ios::binary | std::ios::trunc) << read_file(from);
}

Bytes next_frame(Client& client) {
  for (;;) {
    auto e = client.next(5s);
    REQUIRE(e.ok());
    INFO(e->text << " " << e->close_reason);
    REQUIRE(e->kind != Event::Kind::closed);
    if (e->kind == Event::Kind::binary) return e->bytes;
  }
}

// Sends every frame among the actions.
void carry_out(const pairing::Actions& actions, Client& client) {
  for (const auto& a : actions)
    if (const auto* f = std::get_if<pairing::SendFrame>(&a)) REQUIRE(client.send(f->frame).ok());
}

// Both state machines through the relay over wss, as machines_test does over ws.
void pair_over_wss(const RelayProcess& relay, const std::string& ca_file) {
  using namespace pairing;
  REQUIRE(relay.tls());
  REQUIRE(relay.url().starts_with("https://"));
  auto page = relay.url() + "/pair";
  auto receiver = Receiver::create(page, {}).value();
  auto link = parse_link(receiver.link()).value();
  CHECK(link.relay_url.starts_with("wss://"));
  auto sender =
      Sender::create(link, credential_json_from_text(as_bytes("grant-tls"), "Phone").value()).value();
  auto r = wss_join(relay, ca_file, receiver.cid().text, "receiver");
  auto s = wss_join(relay, ca_file, link.cid.text, "sender", /*expect_peer=*/true);
  carry_out(sender.start(), *s);                       // HELLO
  carry_out(receiver.on_frame(next_frame(*r)), *r);    // READY
  carry_out(sender.on_frame(next_frame(*s)), *s);      // REVEAL
  carry_out(receiver.on_frame(next_frame(*r)), *r);    // the code
  CHECK(receiver.sas() == sender.sas());
  carry_out(sender.on_user_confirmed(), *s);           // CREDENTIAL
  CHECK(receiver.on_frame(next_frame(*r)).empty());
  auto delivered = receiver.on_user_confirmed();
  REQUIRE(std::holds_alternative<DeliverCredential>(delivered.at(0)));
  CHECK(as_chars(std::get<DeliverCredential>(delivered[0]).credential.bytes.view()) == "grant-tls");
  carry_out(receiver.on_credential_handled(true), *r);  // RESULT
  auto result = sender.on_frame(next_frame(*s));
  REQUIRE(std::holds_alternative<ShowResult>(result.at(0)));
  CHECK(std::get<ShowResult>(result[0]).accepted);
  // The normal close goes through TLS's close_notify on both sides.
  REQUIRE(s->close(1000).ok());
  auto closed = r->wait_closed(5s);
  REQUIRE(closed.ok());
  CHECK(closed->close_code == 1000);
}

}  // namespace

TEST_CASE("tls: a whole pairing over wss with the ECDSA certificate of scripts/make-cert", "[integration]") {
  ScratchDir dir;
  auto certs = make_lan_cert(dir.path);
  RelayProcess relay(tls_args(certs.cert, certs.key));
  pair_over_wss(relay, certs.ca);
  CHECK(https_healthz(relay, certs.ca)["status"] == "ok");
  // The name: by DNS (localhost resolves, maybe to ::1 first, which the
  // relay does not listen on: the next address is tried) and SNI.
  auto o = wss_options(relay, certs.ca, random_cid(), "receiver");
  o.host = "localhost";
  auto c = Client::connect(o);
  INFO(c.error);
  REQUIRE(c);
  CHECK(c.client->next_control("joined", 5s).ok());
  auto p = probe(relay.port(), TLS1_2_VERSION, TLS1_3_VERSION);
  REQUIRE(p.ok);
  CHECK(p.version == "TLSv1.3");
  CHECK(p.cert_sha256 == cert_sha256(certs.cert));
  auto logs = relay.output();
  CHECK(logs.find("\"event\":\"tls_certificate\"") != std::string::npos);
  CHECK(logs.find("\"key_type\":\"ec\"") != std::string::npos);
  // No key material in the logs.
  CHECK(logs.find("PRIVATE KEY") == std::string::npos);
  auto key = read_file(certs.key);
  auto body = key.substr(key.find('\n') + 1, 40);
  CHECK(logs.find(body) == std::string::npos);
}

TEST_CASE("tls: an RSA certificate works too, and /healthz is served over https", "[integration]") {
  ScratchDir dir;
  auto certs = make_rsa_cert(dir.path);
  RelayProcess relay(tls_args(certs.cert, certs.key));
  pair_over_wss(relay, certs.ca);
  relay_client::HttpRequest page;
  page.port = relay.port();
  page.target = "/healthz";
  page.tls = true;
  page.ca_file = certs.ca;
  auto res = relay_client::http_request(page);
  REQUIRE(res.ok());
  CHECK(res->status == 200);
  CHECK(res->body == R"({"status":"ok"})");
  auto p = probe(relay.port(), TLS1_2_VERSION, TLS1_2_VERSION);
  REQUIRE(p.ok);
  CHECK(p.cipher.starts_with("ECDHE-RSA-"));
  CHECK(p.cert_sha256 == cert_sha256(certs.cert));
  CHECK(relay.output().find("\"key_type\":\"rsa\"") != std::string::npos);
}

TEST_CASE("tls: TLS 1.1, TLS 1.2 without ECDHE+AEAD and renegotiation are refused", "[integration]") {
  ScratchDir dir;
  auto certs = make_lan_cert(dir.path);
  RelayProcess relay(tls_args(certs.cert, certs.key));

  auto tls11 = probe(relay.port(), TLS1_VERSION, TLS1_1_VERSION);
  CHECK_FALSE(tls11.ok);
  INFO(tls11.error);
  CHECK(tls11.error.find("protocol version") != std::string::npos);  // the relay's alert

  auto tls12 = probe(relay.port(), TLS1_2_VERSION, TLS1_2_VERSION);
  REQUIRE(tls12.ok);
  CHECK(tls12.version == "TLSv1.2");
  CHECK(tls12.cipher.starts_with("ECDHE-ECDSA-"));

  for (const char* weak : {"AES128-SHA", "AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA", "DHE-RSA-AES128-GCM-SHA256"}) {
    INFO(weak);
    auto p = probe(relay.port(), TLS1_2_VERSION, TLS1_2_VERSION, weak);
    CHECK_FALSE(p.ok);
  }

  auto renegotiation = probe(relay.port(), TLS1_2_VERSION, TLS1_2_VERSION, "DEFAULT", /*renegotiate=*/true);
  REQUIRE(renegotiation.ok);
  INFO(renegotiation.error);
  CHECK(renegotiation.renegotiation_refused);
  CHECK(renegotiation.error == "no renegotiation");
  CHECK(https_healthz(relay, certs.ca)["status"] == "ok");
}

// The relay has no session resumption by design (a pairing is one short
// connection per device): no tickets, whose keys would be one more secret
// to rotate, and no state kept for them.
TEST_CASE("tls: no session tickets and no resumption, TLS 1.2 or 1.3", "[integration]") {
  ScratchDir dir;
  auto certs = make_lan_cert(dir.path);
  RelayProcess relay(tls_args(certs.cert, certs.key));
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    INFO((version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2"));
    auto r = resumption(relay.port(), version);
    CHECK_FALSE(r.ticket);
    CHECK_FALSE(r.reused);
  }
  CHECK(https_healthz(relay, certs.ca)["status"] == "ok");
}

TEST_CASE("tls: garbage, plain HTTP and silence instead of a ClientHello are closed on time", "[integration]") {
  ScratchDir dir;
  auto certs = make_lan_cert(dir.path);
  RelayProcess relay(tls_args(certs.cert, certs.key, {"--handshake-timeout", "1s"}));

  int garbage = tcp_connect(relay.port());
  const char junk[] = "\x16\x03\x01\x00\x05garbage that is no ClientHello\r\n\r\n";
  REQUIRE(::send(garbage, junk, sizeof junk - 1, 0) > 0);
  CHECK(closed_within(garbage, 2s));
  ::close(garbage);

  int http = tcp_connect(relay.port());
  const char request[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::send(http, request, sizeof request - 1, 0) > 0);
  CHECK(closed_within(http, 2s));
  ::close(http);

  // Half a TLS record header, then nothing; and nothing at all.
  int half = tcp_connect(relay.port());
  REQUIRE(::send(half, "\x16\x03", 2, 0) == 2);
  int silent = tcp_connect(relay.port());
  CHECK(closed_within(half, 4s));
  CHECK(closed_within(silent, 4s));
  ::close(half);
  ::close(silent);

  // A ws:// client at a wss relay gets no HTTP answer; the relay is fine.
  auto plain = connect(relay, random_cid(), "receiver");
  CHECK_FALSE(plain);
  CHECK(plain.http_status == 0);
  CHECK(plain.tls_failure == relay_client::TlsFailure::none);
  CHECK(https_healthz(relay, certs.ca)["status"] == "ok");
  CHECK(eventually(relay, [](const nlohmann::json& g) { return g["connections"] == 0; }));
}

TEST_CASE("tls: a client that does not trust the certificate fails with a clear error", "[integration]") {
  ScratchDir dir;
  auto certs = make_lan_cert(dir.path);
  RelayProcess relay(tls_args(certs.cert, certs.key));

  // The system's roots do not include our local CA.
  auto untrusted = Client::connect(wss_options(relay, "", random_cid(), "receiver"));
  CHECK_FALSE(untrusted);
  CHECK(untrusted.tls_failure == relay_client::TlsFailure::untrusted);
  CHECK(untrusted.error.find("TLS: certificate verify failed for 127.0.0.1") != std::string::npos);

  // Another CA.
  ScratchDir other_dir;
  auto other = make_lan_cert(other_dir.path);
  auto wrong_ca = Client::connect(wss_options(relay, other.ca, random_cid(), "receiver"));
  CHECK_FALSE(wrong_ca);
  CHECK(wrong_ca.tls_failure == relay_client::TlsFailure::untrusted);

  // The right CA but a name the certificate does not carry.
  auto o = wss_options(relay, certs.ca, random_cid(), "receiver");
  o.server_name = "relay.example.com";
  auto wrong_name = Client::connect(o);
  CHECK_FALSE(wrong_name);
  CHECK(wrong_name.tls_failure == relay_client::TlsFailure::untrusted);
  CHECK(wrong_name.error.find("relay.example.com") != std::string::npos);
  CHECK(wrong_name.error.find("mismatch") != std::string::npos);

  // A CA file that does not exist is a local problem, said as such.
  auto missing = Client::connect(wss_options(relay, dir.file("nope.pem"), random_cid(), "receiver"));
  CHECK_FALSE(missing);
  CHECK(missing.tls_failure == relay_client::TlsFailure::setup);
  CHECK(missing.error.find("nope.pem") != std::string::npos);

  // wss at a plain relay: a TLS handshake failure.
  RelayProcess plain_relay;
  auto at_plain = Client::connect(wss_options(plain_relay, certs.ca, random_cid(), "receiver"));
  CHECK_FALSE(at_plain);
  CHECK(at_plain.tls_failure == relay_client::TlsFailure::handshake);

  // The relay is unharmed and the trusting client gets in.
  auto ok = Client::connect(wss_options(relay, certs.ca, random_cid(), "receiver"));
  INFO(ok.error);
  CHECK(ok);
}

TEST_CASE("tls: SIGHUP gives new connections a new certificate - old ones keep going - a broken file changes nothing",
          "[integration]") {
  ScratchDir dir;
  ScratchDir old_dir;
  ScratchDir new_dir;
  auto first = make_lan_cert(old_dir.path);
  auto second = make_lan_cert(new_dir.path);  // another CA, another key
  REQUIRE(cert_sha256(first.cert) != cert_sha256(second.cert));
  auto cert = dir.file("cert.pem");
  auto key = dir.file("key.pem");
  copy_file(first.cert, cert);
  copy_file(first.key, key);
  RelayProcess relay(tls_args(cert, key));
  CHECK(probe(relay.port(), TLS1_2_VERSION, TLS1_3_VERSION).cert_sha256 == cert_sha256(first.cert));

  auto cid = random_cid();
  auto receiver = wss_join(relay, first.ca, cid, "receiver");
  auto sender = wss_join(relay, first.ca, cid, "sender", true);
  REQUIRE(receiver->next_control("peer", 5s).ok());
  auto hello = frame_of(1, 65);
  REQUIRE(sender->send(hello).ok());
  expect_binary(*receiver, hello);

  copy_file(second.key, key);
  copy_file(second.cert, cert);
  relay.signal(SIGHUP);
  REQUIRE(relay.wait_for_output("\"event\":\"tls_reloaded\"", 5s));

  // Connections from before the reload stay up and keep forwarding, both ways.
  auto ready = frame_of(2, 49);
  REQUIRE(receiver->send(ready).ok());
  expect_binary(*sender, ready);
  auto reveal = frame_of(3, 49);
  REQUIRE(sender->send(reveal).ok());
  expect_binary(*receiver, reveal);

  // New connections get the new certificate: trusted through the new CA
  // only.
  CHECK(probe(relay.port(), TLS1_2_VERSION, TLS1_3_VERSION).cert_sha256 == cert_sha256(second.cert));
  auto stale = Client::connect(wss_options(relay, first.ca, random_cid(), "receiver"));
  CHECK_FALSE(stale);
  CHECK(stale.tls_failure == relay_client::TlsFailure::untrusted);
  wss_join(relay, second.ca, random_cid(), "receiver");

  // A broken certificate file: logged, the last good certificate stays.
  std::ofstream(cert, std::ios::trunc) << "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  relay.signal(SIGHUP);
  REQUIRE(relay.wait_for_output("\"event\":\"tls_reload_failed\"", 5s));
  // And a key that belongs to another certificate.
  copy_file(second.cert, cert);
  copy_file(first.key, key);
  relay.signal(SIGHUP);
  auto failures = [&] {
    auto logs = relay.output();
    std::size_t n = 0;
    for (auto at = logs.find("tls_reload_failed"); at != std::string::npos; at = logs.find("tls_reload_failed", at + 1))
      ++n;
    return n;
  };
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (failures() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  CHECK(failures() == 2);
  CHECK(relay.output().find("does not belong to the certificate") != std::string::npos);

  CHECK(probe(relay.port(), TLS1_2_VERSION, TLS1_3_VERSION).cert_sha256 == cert_sha256(second.cert));
  CHECK(https_healthz(relay, second.ca)["status"] == "ok");
  auto credential = frame_of(4, 273);
  REQUIRE(sender->send(credential).ok());
  expect_binary(*receiver, credential);

  // Shutdown reaches wss clients as it does ws clients.
  relay.signal(SIGTERM);
  expect_error_then_close(*receiver, "going_away", 1001);
  expect_error_then_close(*sender, "going_away", 1001);
  CHECK(relay.wait_exit(5s) == 0);
  CHECK(relay.output().find("PRIVATE KEY") == std::string::npos);
}

TEST_CASE("tls: a certificate or key that does not load stops the relay at start with exit 2", "[integration]") {
  ScratchDir dir;
  auto good = make_lan_cert(dir.path);
  ScratchDir other_dir;
  auto other = make_rsa_cert(other_dir.path);
  auto starts = [](std::vector<std::string> args) -> std::string {
    try {
      RelayProcess relay(std::move(args));
      return "started";
    } catch (const std::runtime_error& e) {
      return e.what();  // holds what the relay printed
    }
  };
  auto missing = starts(tls_args(dir.file("missing.pem"), good.key));
  CHECK(missing.find("--tls-cert " + dir.file("missing.pem") + ": cannot read it") != std::string::npos);
  auto mismatch = starts(tls_args(good.cert, other.key));
  CHECK(mismatch.find("does not belong to the certificate") != std::string::npos);
  auto swapped = starts(tls_args(good.key, good.cert));
  CHECK(swapped.find("not a PEM certificate") != std::string::npos);
  auto half = starts({"--tls-cert", good.cert});
  CHECK(half.find("TLS needs both --tls-cert and --tls-key") != std::string::npos);
  // The exit status itself.
  CHECK(run_relay({"--listen", "127.0.0.1:0", "--tls-cert", good.cert, "--tls-key", other.key}).exit_status == 2);
}

}  // namespace qrlogin::testing
