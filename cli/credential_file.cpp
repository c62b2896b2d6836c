#include "cli/credential_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "crypto/bytes.hpp"
#include "crypto/random.hpp"

namespace qrlogin::cli {

namespace {

Error io_error(const std::string& what, const std::string& path) {
  return make_error(Errc::io, what + " " + path + ": " + std::strerror(errno));
}

Status write_all(int fd, ByteView bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(Errc::io, std::string("write failed: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  return {};
}

// The directory part and the file name of a path ("a/b" -> "a", "b").
std::pair<std::string, std::string> split_path(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

// Closes a file descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

Error exists_error(const std::string& path) {
  return make_error(Errc::file_exists, path + " already exists; use --force to replace it");
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
    return make_error(Errc::credential_too_large,
                      "the credential is too large (at most " + std::to_string(max_bytes) + " bytes)");
  return Secret::copy_of(buffer.view().first(used));
}

Status write_credential_file(const std::string& path, ByteView bytes, bool overwrite) {
  if (path.empty()) return make_error(Errc::usage, "no output file given");
  auto [directory, name] = split_path(path);
  if (name.empty() || name == "." || name == "..")
    return make_error(Errc::usage, path + " is not a file name");

  // Every step below is relative to this one open directory, so swapping a
  // directory on the path while we write cannot redirect the credential.
  Fd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.fd < 0) return io_error("cannot open the directory of", path);
  struct stat st {};
  if (!overwrite && ::fstatat(dir.fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return exists_error(path);

  Bytes random(12);
  system_rng().fill(random);
  const std::string tmp_name = ".qrlogin-" + hex_encode(random);
  Fd file(::openat(dir.fd, tmp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (file.fd < 0) return io_error("cannot create a file next to", path);
  auto cleanup = [&] { ::unlinkat(dir.fd, tmp_name.c_str(), 0); };

  if (::fchmod(file.fd, 0600) != 0) {  // the umask can only narrow 0600; make sure
    cleanup();
    return io_error("cannot set mode 0600 on a file next to", path);
  }
  auto written = write_all(file.fd, bytes);
  if (!written || ::fsync(file.fd) != 0) {
    cleanup();
    return make_error(Errc::io, "cannot write " + path + (written ? ": fsync failed" : ": " + written.error().message));
  }

  if (overwrite) {
    if (::renameat(dir.fd, tmp_name.c_str(), dir.fd, name.c_str()) != 0) {
      auto err = io_error("cannot move the credential into", path);
      cleanup();
      return err;
    }
  } else {
    // linkat() fails if the name exists: no overwrite even in a race.
    if (::linkat(dir.fd, tmp_name.c_str(), dir.fd, name.c_str(), 0) != 0) {
      auto err = errno == EEXIST ? exists_error(path) : io_error("cannot create", path);
      cleanup();
      return err;
    }
    cleanup();
  }
  // The new name is durable only once the directory itself is synced.
  if (::fsync(dir.fd) != 0) return io_error("cannot sync the directory of", path);
  return {};
}

Status write_credential_stdout(ByteView bytes) {
  auto st = write_all(STDOUT_FILENO, bytes);
  if (!st) return make_error(Errc::io, "cannot write the credential to standard output: " + st.error().message);
  return {};
}

}  // namespace qrlogin::cli
