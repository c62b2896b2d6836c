#pragma once
// Loading test vectors: JSON files under tests/vectors, hex fields as bytes.
#include <fstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "crypto/bytes.hpp"

namespace qrlogin::test {

inline nlohmann::json load_vectors(const std::string& relative_path) {
  std::string path = std::string(QRLOGIN_VECTORS_DIR) + "/" + relative_path;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open test vectors " + path);
  return nlohmann::json::parse(in);
}

inline Bytes hex(const nlohmann::json& field) {
  auto decoded = hex_decode(field.get<std::string>());
  if (!decoded) throw std::runtime_error("bad hex in test vectors");
  return std::move(decoded).value();
}

inline Bytes hex(std::string_view text) {
  auto decoded = hex_decode(text);
  if (!decoded) throw std::runtime_error("bad hex in test");
  return std::move(decoded).value();
}

inline Bytes to_bytes(ByteView v) { return Bytes(v.begin(), v.end()); }

}  // namespace qrlogin::test
