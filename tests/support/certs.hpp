#pragma once
// Certificates made by a test for itself: an ECDSA P-256 one from
// scripts/make-cert (signed by its local CA), or a self-signed RSA one from
// the openssl command, and a certificate's SHA-256 fingerprint as the
// openssl command prints it (the relay's own code is not used to check
// itself).
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace qrlogin::testing {

struct CertFiles {
  std::string cert;  // --tls-cert
  std::string key;   // --tls-key
  std::string ca;    // what a client trusts (--ca-file)
};

inline std::string run_command(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("cannot run " + command);
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = ::pclose(p);
  if (status != 0) throw std::runtime_error(command + " failed (" + std::to_string(status) + "): " + out);
  return out;
}

// scripts/make-cert --out DIR: a new local CA (unless DIR has one) and an
// ECDSA relay certificate for localhost, 127.0.0.1, ::1 and this host.
inline CertFiles make_lan_cert(const std::string& dir) {
  run_command(std::string(QRLOGIN_SOURCE_DIR) + "/scripts/make-cert --out '" + dir + "' 2>&1");
  return {dir + "/relay-cert.pem", dir + "/relay-key.pem", dir + "/ca.pem"};
}

// A self-signed RSA-2048 certificate for localhost and 127.0.0.1; a client
// trusts the certificate itself.
inline CertFiles make_rsa_cert(const std::string& dir) {
  CertFiles f{dir + "/rsa-cert.pem", dir + "/rsa-key.pem", dir + "/rsa-cert.pem"};
  run_command("openssl req -x509 -newkey rsa:2048 -noenc -sha256 -days 2 -subj '/CN=qrlogin test' "
              "-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' -keyout '" + f.key + "' -out '" + f.cert +
              "' 2>&1");
  return f;
}

// Lowercase hex SHA-256 of the certificate (DER), by the openssl command.
inline std::string cert_sha256(const std::string& pem_file) {
  auto out = run_command("openssl x509 -in '" + pem_file + "' -noout -fingerprint -sha256");
  std::string hex;
  for (auto c : out.substr(out.find('=') + 1))
    if (std::isxdigit(static_cast<unsigned char>(c)) != 0) hex.push_back(static_cast<char>(std::tolower(c)));
  return hex;
}

}  // namespace qrlogin::testing
