#pragma once
// Certificates made by a test for itself: an ECDSA P-256 one from
// scripts/make-cert (signed by its local CA), or a self-signed RSA one from
// the openssl command, and a certificate's SHA-256 fingerprint as the
// openssl command prints it (the relay's own code is not used to check
// itself).
#include <cctype>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace qrlogin::testing {

struct CertFiles {
  std::string cert;  // --tls-cert
  std::string key;   // --tls-key
  std::string ca;    // what a client trusts (--ca-file)
};

// The tool's output; throws when it fails.
inline std::string run_checked(const std::string& program, const std::vector<std::string>& args) {
  auto run = run_program(program, args);
  if (run.exit_status != 0)
    throw std::runtime_error(program + " failed (" + std::to_string(run.exit_status) + "): " + run.output);
  return run.output;
}

// scripts/make-cert --out DIR: a new local CA (unless DIR has one) and an
// ECDSA relay certificate for localhost, 127.0.0.1, ::1 and this host.
inline CertFiles make_lan_cert(const std::string& dir) {
  run_checked(std::string(QRLOGIN_SOURCE_DIR) + "/scripts/make-cert", {"--out", dir});
  return {dir + "/relay-cert.pem", dir + "/relay-key.pem", dir + "/ca.pem"};
}

// A self-signed RSA-2048 certificate for localhost and 127.0.0.1; a client
// trusts the certificate itself.
inline CertFiles make_rsa_cert(const std::string& dir) {
  CertFiles f{dir + "/rsa-cert.pem", dir + "/rsa-key.pem", dir + "/rsa-cert.pem"};
  run_checked("openssl", {"req", "-x509", "-newkey", "rsa:2048", "-noenc", "-sha256", "-days", "2", "-subj",
                         "/CN=qrlogin test", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", f.key,
                         "-out", f.cert});
  return f;
}

// Lowercase hex SHA-256 of the certificate (DER), by the openssl command.
inline std::string cert_sha256(const std::string& pem_file) {
  auto out = run_checked("openssl", {"x509", "-in", pem_file, "-noout", "-fingerprint", "-sha256"});
  std::string hex;
  for (auto c : out.substr(out.find('=') + 1))
    if (std::isxdigit(static_cast<unsigned char>(c)) != 0) hex.push_back(static_cast<char>(std::tolower(c)));
  return hex;
}

}  // namespace qrlogin::testing
