#include "cli/token_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace qrlogin::cli {

namespace {

constexpr std::size_t kMaxTokenFileBytes = 4096;

Error token_error(std::string message) { return make_error(Errc::token_file, std::move(message)); }

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

Result<SecretString> read_token_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return token_error("cannot read the token file " + path + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return token_error("cannot read the token file " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return token_error("the token file " + path + " is not a regular file");
  if (st.st_uid != ::geteuid())
    return token_error("the token file " + path + " belongs to another user; a device token must be yours alone");
  if ((st.st_mode & 077) != 0)
    return token_error("the token file " + path + " is accessible by others (mode " + octal_mode(st.st_mode) +
                       "): a device token must be private. Run: chmod 600 " + path);
  Secret buffer(kMaxTokenFileBytes + 1);
  std::size_t used = 0;
  while (used < buffer.size()) {
    ssize_t n = ::read(fd, buffer.bytes().data() + used, buffer.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return token_error("cannot read the token file " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  if (used > kMaxTokenFileBytes) return token_error("the token file " + path + " is larger than a device token");
  auto text = buffer.view().first(used);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text = text.first(text.size() - 1);
  if (text.empty()) return token_error("the token file " + path + " is empty");
  for (auto b : text)
    if (b <= 0x20 || b == 0x7f)
      return token_error("the token file " + path + " does not hold a device token (one line, no spaces)");
  return SecretString::copy_of(as_chars(text));
}

SecretString token_file_text(const SecretString& token) {
  std::string text(token.view());
  text += '\n';
  return SecretString(std::move(text));
}

}  // namespace qrlogin::cli
