#include "cli/spent_nameplates.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cli/credential_file.hpp"
#include "crypto/hash.hpp"

namespace qrlogin::cli {

namespace {

constexpr std::string_view kLabel = "qrlogin/v1 spent nameplate";
constexpr std::size_t kMaxFileBytes = 256 * 1024;

struct Entry {
  std::string hash;
  std::int64_t until = 0;
};

std::string nameplate_hash(std::string_view nameplate) {
  return hex_encode(sha256({as_bytes(kLabel), as_bytes(nameplate)}));
}

Error io_error(const std::string& what) { return make_error(Errc::io, what); }

// The file's lines that are still in force at `now`; none when it is absent.
Result<std::vector<Entry>> read_entries(const std::string& path, std::int64_t now) {
  std::vector<Entry> entries;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return entries;
    return io_error("cannot read " + path + ": " + std::strerror(errno));
  }
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return io_error("cannot read " + path + ": " + std::strerror(e));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxFileBytes) break;  // a file this large is not ours: read what fits
  }
  ::close(fd);
  std::string_view rest = text;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    auto line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    auto space = line.find(' ');
    if (space != 64) continue;
    Entry entry{std::string(line.substr(0, 64)), 0};
    auto number = line.substr(65);
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), entry.until);
    if (ec != std::errc{} || end != number.data() + number.size()) continue;
    if (entry.until > now) entries.push_back(std::move(entry));
  }
  return entries;
}

// mkdir -p for the directory of path, new parts mode 0700.
Status make_parent_directories(const std::string& path) {
  for (auto slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    auto dir = path.substr(0, slash);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      return io_error("cannot create " + dir + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace

std::string SpentNameplates::default_path() {
  const char* state = std::getenv("XDG_STATE_HOME");
  if (state && state[0] == '/') return std::string(state) + "/qrlogin/spent-codes";
  const char* home = std::getenv("HOME");
  if (home && home[0] == '/') return std::string(home) + "/.local/state/qrlogin/spent-codes";
  return {};
}

Result<bool> SpentNameplates::is_spent(std::string_view nameplate, std::int64_t now) const {
  auto entries = read_entries(path_, now);
  if (!entries) return entries.error();
  auto hash = nameplate_hash(nameplate);
  for (const auto& entry : *entries)
    if (entry.hash == hash) return true;
  return false;
}

Status SpentNameplates::spend(std::string_view nameplate, std::int64_t until, std::int64_t now) const {
  auto entries = read_entries(path_, now);
  if (!entries) return entries.error();
  entries->push_back({nameplate_hash(nameplate), until});
  if (entries->size() > kMaxEntries)
    entries->erase(entries->begin(), entries->begin() + static_cast<std::ptrdiff_t>(entries->size() - kMaxEntries));
  std::string text;
  for (const auto& entry : *entries) text += entry.hash + " " + std::to_string(entry.until) + "\n";
  if (auto made = make_parent_directories(path_); !made) return made;
  return write_credential_file(path_, as_bytes(text), true);
}

}  // namespace qrlogin::cli
