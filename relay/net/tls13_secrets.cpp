#include "relay/net/tls13_secrets.hpp"

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <cstring>
#include <string_view>

namespace qrlogin::relay::tls13 {

namespace {

int ex_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes `hex` into `out` (at most 48 bytes); 0 when it is not hex of a
// length that fits.
std::size_t decode(std::string_view hex, std::uint8_t (&out)[48]) {
  if (hex.size() % 2 != 0 || hex.size() / 2 > sizeof out) return 0;
  for (std::size_t i = 0; i < hex.size() / 2; ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      OPENSSL_cleanse(out, sizeof out);
      return 0;
    }
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return hex.size() / 2;
}

// A key-log line is "LABEL <client random> <secret>", all in hex (the NSS
// key log format). Only the two application traffic secrets are kept.
void keep(const SSL* ssl, const char* line) {
  auto* secrets = static_cast<TrafficSecrets*>(SSL_get_ex_data(ssl, ex_index()));
  if (secrets == nullptr) return;
  std::string_view text(line);
  auto first = text.find(' ');
  auto last = text.rfind(' ');
  if (first == std::string_view::npos || last == first) return;
  auto label = text.substr(0, first);
  auto secret = text.substr(last + 1);
  if (label == "CLIENT_TRAFFIC_SECRET_0") {
    secrets->client_bytes = decode(secret, secrets->client);
  } else if (label == "SERVER_TRAFFIC_SECRET_0") {
    secrets->server_bytes = decode(secret, secrets->server);
  }
}

}  // namespace

TrafficSecrets::~TrafficSecrets() {
  OPENSSL_cleanse(client, sizeof client);
  OPENSSL_cleanse(server, sizeof server);
}

void capture_traffic_secrets(ssl_ctx_st* ctx) { SSL_CTX_set_keylog_callback(ctx, keep); }

bool attach(ssl_st* ssl, TrafficSecrets* secrets) { return SSL_set_ex_data(ssl, ex_index(), secrets) == 1; }

}  // namespace qrlogin::relay::tls13
