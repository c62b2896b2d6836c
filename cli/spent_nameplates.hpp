#pragma once
// The nameplates `qrlogin send --code` has spent (docs/protocol.md,
// "Pairing by a typed code"): once PAKE_S went out for a code and the
// pairing did not succeed, that nameplate is refused until the relay can
// have forgotten it (the code lifetime plus grace), so a hostile relay gets
// one guess per code the person typed, not one per retype. Kept across
// runs in the user's state directory, one line per nameplate:
//
//   <hex SHA-256("qrlogin/v1 spent nameplate" || N)> <unix seconds it is refused until>
//
// The file is rewritten whole (atomically, mode 0600), without the lines
// that ran out; a line that cannot be read is dropped.
#include <cstdint>
#include <string>
#include <string_view>

#include "cli/error.hpp"

namespace qrlogin::cli {

class SpentNameplates {
 public:
  // How many lines the file keeps at most (the oldest go first).
  static constexpr std::size_t kMaxEntries = 1000;

  // $XDG_STATE_HOME/qrlogin/spent-codes, or ~/.local/state/qrlogin/spent-codes;
  // empty when neither variable is set to an absolute path.
  [[nodiscard]] static std::string default_path();

  explicit SpentNameplates(std::string path) : path_(std::move(path)) {}

  // Whether `nameplate` is refused at `now` (unix seconds). Errors (io): the
  // file exists but cannot be read.
  [[nodiscard]] Result<bool> is_spent(std::string_view nameplate, std::int64_t now) const;
  // Refuses `nameplate` until `until`. Creates the directory (mode 0700)
  // when needed. Errors (io): it cannot be written.
  Status spend(std::string_view nameplate, std::int64_t until, std::int64_t now) const;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

}  // namespace qrlogin::cli
