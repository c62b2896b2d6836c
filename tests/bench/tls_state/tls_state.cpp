// What OpenSSL itself holds per idle server connection, with the relay's
// settings (relay/net/tls.cpp, lean_tls_stream.cpp): heap bytes in use
// (mallinfo2) after SSL_new alone, and after a full TLS 1.3 handshake and a
// short exchange, the record buffers released, the connection waiting for
// its next record. Connections run in-process over socket pairs; the client
// side is freed before measuring. docs/benchmarks.md, "TLS: memory and CPU
// per pairing".
//
//   qrlogin-bench-tls-state CERT KEY [N]     (N connections, default 500)
#include <fcntl.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

struct Conn {
  SSL* server = nullptr;
  int fd = -1;
};

// A server connection after its handshake and one record each way, idle.
bool open_idle(SSL_CTX* server_ctx, SSL_CTX* client_ctx, Conn& out) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return false;
  for (int fd : sv) ::fcntl(fd, F_SETFL, O_NONBLOCK);
  SSL* a = SSL_new(server_ctx);
  SSL_set_fd(a, sv[0]);
  SSL_set_accept_state(a);
  SSL_set_mode(a, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  SSL* b = SSL_new(client_ctx);
  SSL_set_fd(b, sv[1]);
  SSL_set_connect_state(b);
  bool done = false;
  for (int i = 0; i < 100 && !done; ++i) done = (SSL_do_handshake(b) == 1) & (SSL_do_handshake(a) == 1);
  char buf[64];
  bool ok = done && SSL_write(b, "hello", 5) == 5 && SSL_read(a, buf, sizeof buf) == 5 && SSL_write(a, "hi", 2) == 2 &&
            SSL_read(b, buf, sizeof buf) == 2;
  (void)SSL_read(a, buf, sizeof buf);  // nothing there: waits, as an idle connection does
  SSL_free(b);
  ::close(sv[1]);
  out = {a, sv[0]};
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: qrlogin-bench-tls-state CERT KEY [N]\n");
    return 2;
  }
  int n = argc > 3 ? std::atoi(argv[3]) : 500;
  SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(server_ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(server_ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(server_ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(server_ctx, 0);
  if (SSL_CTX_use_certificate_chain_file(server_ctx, argv[1]) != 1 ||
      SSL_CTX_use_PrivateKey_file(server_ctx, argv[2], SSL_FILETYPE_PEM) != 1) {
    std::fprintf(stderr, "cannot load %s / %s\n", argv[1], argv[2]);
    return 2;
  }
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());

  std::vector<SSL*> fresh;
  SSL_free(SSL_new(server_ctx));  // first-use allocations out of the count
  auto before = mallinfo2().uordblks;
  for (int i = 0; i < n; ++i) fresh.push_back(SSL_new(server_ctx));
  auto after_new = mallinfo2().uordblks;
  for (SSL* s : fresh) SSL_free(s);

  std::vector<Conn> idle(static_cast<std::size_t>(n));
  Conn warm;
  if (!open_idle(server_ctx, client_ctx, warm)) return 1;
  auto before_idle = mallinfo2().uordblks;
  for (auto& c : idle)
    if (!open_idle(server_ctx, client_ctx, c)) return 1;
  auto after_idle = mallinfo2().uordblks;
  std::printf("metric tls_state.ssl_new_bytes %.0f\n", static_cast<double>(after_new - before) / n);
  std::printf("metric tls_state.idle_connection_bytes %.0f (%s)\n", static_cast<double>(after_idle - before_idle) / n,
              SSL_get_version(idle[0].server));
  idle.push_back(warm);
  for (auto& c : idle) {
    SSL_free(c.server);
    ::close(c.fd);
  }
  SSL_CTX_free(client_ctx);
  SSL_CTX_free(server_ctx);
  return 0;
}
