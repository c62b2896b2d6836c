#include "cli/credential_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace qrlogin::cli {

namespace {

Error io_error(const std::string& what, const std::string& path) {
  return make_error(Errc::invalid_argument, what + " " + path + ": " + std::strerror(errno));
}

Status write_all(int fd, ByteView bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(Errc::internal, std::string("write failed: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  return {};
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Result<Secret> read_credential(const std::string& path, std::size_t max_bytes) {
  int fd = path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot read the credential file", path);
  Secret buffer(max_bytes + 1);
  std::size_t used = 0;
  while (used < buffer.size()) {
    ssize_t n = ::read(fd, buffer.bytes().data() + used, buffer.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (fd != STDIN_FILENO) ::close(fd);
      return io_error("cannot read the credential from", path == "-" ? "standard input" : path);
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  if (fd != STDIN_FILENO) ::close(fd);
  if (used > max_bytes)
    return make_error(Errc::limit_exceeded, "the credential is too large (at most " + std::to_string(max_bytes) + " bytes)");
  return Secret::copy_of(buffer.view().first(used));
}

Status write_credential_file(const std::string& path, ByteView bytes, bool overwrite) {
  if (path.empty()) return make_error(Errc::invalid_argument, "no output file given");
  struct stat st {};
  if (!overwrite && ::lstat(path.c_str(), &st) == 0)
    return make_error(Errc::invalid_argument, path + " already exists; use --force to replace it");

  std::string tmp_template = directory_of(path) + "/.qrlogin-XXXXXX";
  std::vector<char> tmp(tmp_template.begin(), tmp_template.end());
  tmp.push_back('\0');
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);  // created 0600
  if (fd < 0) return io_error("cannot create a file next to", path);
  std::string tmp_path(tmp.data());
  auto cleanup = [&] { ::unlink(tmp_path.c_str()); };

  if (::fchmod(fd, 0600) != 0) {
    ::close(fd);
    cleanup();
    return io_error("cannot set mode 0600 on a file next to", path);
  }
  auto written = write_all(fd, bytes);
  bool synced = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) {
    cleanup();
    return make_error(Errc::internal, "cannot write " + path + (written ? ": fsync failed" : ": " + written.error().message));
  }
  if (overwrite) {
    if (::rename(tmp_path.c_str(), path.c_str()) != 0) {
      auto err = io_error("cannot move the credential into", path);
      cleanup();
      return err;
    }
    return {};
  }
  // link() fails if the name exists: no overwrite even in a race.
  if (::link(tmp_path.c_str(), path.c_str()) != 0) {
    auto err = errno == EEXIST ? make_error(Errc::invalid_argument, path + " already exists; use --force to replace it")
                               : io_error("cannot create", path);
    cleanup();
    return err;
  }
  cleanup();
  return {};
}

Status write_credential_stdout(ByteView bytes) {
  auto st = write_all(STDOUT_FILENO, bytes);
  if (!st) return make_error(Errc::internal, "cannot write the credential to standard output: " + st.error().message);
  return {};
}

}  // namespace qrlogin::cli
