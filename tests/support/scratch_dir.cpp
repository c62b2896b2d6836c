#include "tests/support/scratch_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace qrlogin::testing {

ScratchDir::ScratchDir(const std::string& prefix) {
  auto pattern = (std::filesystem::temp_directory_path() / ("qrlogin-" + prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
  path = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

void ScratchDir::write(const std::string& name, const std::string& content) const {
  std::ofstream out(file(name), std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + file(name));
}

bool ScratchDir::exists(const std::string& name) const { return std::filesystem::exists(file(name)); }

std::string ScratchDir::read(const std::string& name) const {
  std::ifstream in(file(name), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace qrlogin::testing
