#pragma once
// A fresh directory under the temporary directory for one test (or one
// server a test starts), removed with everything in it at the end.
#include <string>

namespace qrlogin::testing {

class ScratchDir {
 public:
  // $TMPDIR (or /tmp)/qrlogin-<prefix>-XXXXXX; throws when it cannot be made.
  explicit ScratchDir(const std::string& prefix = "test");
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string path;

  [[nodiscard]] std::string file(const std::string& name) const { return path + "/" + name; }
  void write(const std::string& name, const std::string& content) const;
  [[nodiscard]] bool exists(const std::string& name) const;
  [[nodiscard]] std::string read(const std::string& name) const;
};

}  // namespace qrlogin::testing
