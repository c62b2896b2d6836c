#pragma once
// Where Redis is and how to log in: `--redis redis://[user[:pass]@]host[:port][/db]`,
// or through Redis Sentinel: `sentinel://[user[:pass]@]HOST[:PORT][,HOST[:PORT]...]/MASTER[/db]`
// (the Sentinels' port defaults to 26379)
// and the password's other sources (a password belongs in a file or the
// environment, not on a command line: `redis://qrlogin@host`). Parsing is strict: anything the grammar
// does not allow (another scheme, a query, a bad port or database, a bad
// percent escape) is an error that says what is wrong, never a guess.
//
// The password never reaches a log line or an error message: it lives in a
// Secret (wiped on destruction) and Endpoint has no printer that shows it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret.hpp"
#include "relay/redis/result.hpp"

namespace qrlogin::relay::redis {

inline constexpr std::uint16_t kDefaultPort = 6379;
inline constexpr std::string_view kPasswordEnv = "QRLOGIN_RELAY_REDIS_PASSWORD";

inline constexpr std::uint16_t kDefaultSentinelPort = 26379;

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

struct Endpoint {
  std::string host;        // a name, an IPv4 address, or an IPv6 address without brackets
  std::uint16_t port = kDefaultPort;
  // sentinel://: ask these Sentinels where the master `master_name` is (host
  // and port above are then unused), after every lost connection.
  std::vector<HostPort> sentinels;
  std::string master_name;
  [[nodiscard]] bool sentinel() const noexcept { return !sentinels.empty(); }
  std::string user;        // empty: AUTH with the password only (the `default` user)
  Secret password;         // empty: no AUTH
  unsigned db = 0;         // SELECT when not 0 (Redis Cluster only has 0)

  // "host:port/db" (IPv6 in brackets), never the user or the password: for logs.
  [[nodiscard]] std::string describe() const;
};

// Errors: bad_url, with a message that quotes no part of the userinfo.
// An IPv6 host goes in brackets: redis://[::1]:6379.
Result<Endpoint> parse_url(std::string_view url);

// Sets endpoint.password by precedence: the file (`--redis-password-file`;
// one trailing newline is dropped), then the environment variable
// QRLOGIN_RELAY_REDIS_PASSWORD, then the URL's own. An empty file or
// variable counts as absent. Returns where the password came from (for a
// startup log line). Errors: bad_config when the file cannot be read, the
// password holds a NUL byte or a line break, or the URL names a user and no
// source has a password.
struct PasswordSources {
  std::optional<std::string> file;  // path
  std::optional<std::string> env;   // the variable's value, if set
};
enum class PasswordSource : std::uint8_t { none, url, environment, file };
std::string_view password_source_name(PasswordSource source) noexcept;
Result<PasswordSource> resolve_password(Endpoint& endpoint, const PasswordSources& sources);

// `--redis-key-file`: the secret every node shares for naming channels
// (derive_name_key). One trailing newline is dropped. Errors: bad_config
// when the file cannot be read or holds fewer than kMinSharedKeyChars.
inline constexpr std::size_t kMinSharedKeyChars = 16;
Result<Secret> read_shared_key(const std::string& path);

}  // namespace qrlogin::relay::redis
