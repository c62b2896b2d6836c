#include "relay/redis/url.hpp"

#include <charconv>
#include <fstream>
#include <iterator>
#include <optional>

namespace qrlogin::relay::redis {

namespace {

Error bad(std::string message) { return make_error(Errc::bad_url, "--redis: " + std::move(message)); }

// A file's text without the one line break that ends it.
std::string_view without_line_end(std::string_view text) {
  if (text.ends_with("\r\n")) return text.substr(0, text.size() - 2);
  if (text.ends_with('\n')) return text.substr(0, text.size() - 1);
  return text;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 userinfo: unreserved / pct-encoded / sub-delims / ":" (the
// caller splits on the first ':'). Decoded into `out`.
bool decode_userinfo_part(std::string_view text, std::string& out) {
  out.clear();
  out.reserve(text.size());  // never reallocated: no partial copy is left unwiped
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return false;
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
      continue;
    }
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    bool sub_delim = std::string_view{"!$&'()*+,;="}.find(c) != std::string_view::npos;
    if (!unreserved && !sub_delim) return false;
    out.push_back(c);
  }
  return true;
}

bool valid_hostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return host.front() != '.' && host.front() != '-';
}

bool valid_ipv6(std::string_view host) {
  if (host.size() < 2) return false;
  for (char c : host)
    if (!(hex_value(c) >= 0 || c == ':' || c == '.')) return false;
  return host.find(':') != std::string_view::npos;
}

template <class T>
bool parse_decimal(std::string_view text, T& out) {
  if (text.empty() || text.size() > 10) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  if (text.size() > 1 && text.front() == '0') return false;  // one spelling per number
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

// One HOST[:PORT] (IPv6 in brackets), or the reason it is not one.
std::optional<std::string> parse_host_port(std::string_view authority, std::uint16_t default_port, HostPort& out) {
  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return "unclosed '[' in the host";
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "expected ':PORT' after ']'";
      port_text = after.substr(1);
      has_port = true;
    }
    if (!valid_ipv6(host)) return "not an IPv6 address inside [ ]";
  } else {
    auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return "missing host";
    if (!valid_hostname(host)) return "the host must be a name or an address (IPv6 in [ ])";
  }
  out.host = std::string(host);
  out.port = default_port;
  if (has_port) {
    unsigned port = 0;
    if (!parse_decimal(port_text, port) || port == 0 || port > 65535) return "the port must be 1-65535";
    out.port = static_cast<std::uint16_t>(port);
  }
  return std::nullopt;
}

bool valid_master_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string Endpoint::describe() const {
  auto one = [](const std::string& h, std::uint16_t p) {
    return (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + std::to_string(p);
  };
  std::string out;
  if (sentinel()) {
    out = "sentinel:";
    for (std::size_t i = 0; i < sentinels.size(); ++i) out += (i ? "," : "") + one(sentinels[i].host, sentinels[i].port);
    out += "/" + master_name;
  } else {
    out = one(host, port);
  }
  if (db != 0) out += "/" + std::to_string(db);
  return out;
}

Result<Endpoint> parse_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  constexpr std::string_view sentinel_scheme = "sentinel://";
  if (url.starts_with("rediss://")) return bad("TLS (rediss://) is not supported by this build's hiredis; use a TLS "
                                               "tunnel or a private network");
  if (url.starts_with("unix://")) return bad("unix sockets are not supported; use redis://HOST:PORT");
  bool sentinel = url.starts_with(sentinel_scheme);
  if (!sentinel && !url.starts_with(scheme)) return bad("must start with redis:// or sentinel://");
  auto rest = url.substr(sentinel ? sentinel_scheme.size() : scheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) return bad("no query or fragment is allowed");
  for (char c : rest)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return bad("spaces and control or non-ASCII characters are not allowed");

  Endpoint endpoint;
  // The authority ends at the first '/' after the userinfo.
  auto at = rest.rfind('@');
  std::string_view userinfo;
  bool has_userinfo = false;
  if (at != std::string_view::npos) {
    auto slash_before = rest.find('/');
    if (slash_before != std::string_view::npos && slash_before < at) return bad("'@' after the path");
    userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    has_userinfo = true;
  }
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  std::optional<std::string_view> path;
  if (slash != std::string_view::npos) path = rest.substr(slash + 1);

  if (has_userinfo) {
    // user:password, :password (the default user), or user alone (the
    // password then comes from --redis-password-file or the environment).
    auto colon = userinfo.find(':');
    std::string user;
    if (!decode_userinfo_part(userinfo.substr(0, colon), user))
      return bad("the user name has a character that must be percent-encoded, or a bad % escape");
    if (colon != std::string_view::npos) {
      std::string text;
      bool decoded = decode_userinfo_part(userinfo.substr(colon + 1), text);
      SecretString password(std::move(text));
      if (decoded && !password.empty()) endpoint.password = Secret::copy_of(password.bytes());
      if (!decoded) return bad("the password has a character that must be percent-encoded, or a bad % escape");
      if (endpoint.password.empty()) return bad("empty password after ':'");
    } else if (user.empty()) {
      return bad("empty user before '@'");
    }
    endpoint.user = std::move(user);
  }

  if (sentinel) {
    // HOST[:PORT],HOST[:PORT].../MASTER[/DB]
    for (std::size_t start = 0; start <= authority.size();) {
      auto comma = authority.find(',', start);
      auto one = authority.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      HostPort s;
      if (auto error = parse_host_port(one, kDefaultSentinelPort, s)) return bad("a Sentinel: " + *error);
      endpoint.sentinels.push_back(std::move(s));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (endpoint.sentinels.size() > 16) return bad("at most 16 Sentinels");
    if (!path) return bad("sentinel:// needs the master's name: sentinel://HOST:PORT,.../MASTER");
    auto name_end = path->find('/');
    auto name = path->substr(0, name_end);
    if (!valid_master_name(name)) return bad("the master's name must be 1-64 letters, digits, '-', '.' or '_'");
    endpoint.master_name = std::string(name);
    if (name_end == std::string_view::npos) return endpoint;
    path = path->substr(name_end + 1);
  } else {
    HostPort hp;
    if (auto error = parse_host_port(authority, kDefaultPort, hp)) return bad(*error);
    endpoint.host = std::move(hp.host);
    endpoint.port = hp.port;
  }
  if (path) {
    unsigned db = 0;
    if (!parse_decimal(*path, db) || db > 0x7fffffffu) return bad("the path must be a database number (/0, /1, ...)");
    endpoint.db = db;
  }
  return endpoint;
}

std::string_view password_source_name(PasswordSource source) noexcept {
  switch (source) {
    case PasswordSource::none: return "none";
    case PasswordSource::url: return "url";
    case PasswordSource::environment: return "environment";
    case PasswordSource::file: return "file";
  }
  return "none";
}

Result<PasswordSource> resolve_password(Endpoint& endpoint, const PasswordSources& sources) {
  // Makes `text` the password, or says why not.
  auto adopt = [&endpoint](std::string_view text, std::string_view what) -> std::optional<Error> {
    if (text.find('\0') != std::string_view::npos || text.find_first_of("\r\n") != std::string_view::npos)
      return make_error(Errc::bad_config, std::string(what) + ": the password must be one line without NUL bytes");
    endpoint.password = Secret::copy_of(as_bytes(text));
    return std::nullopt;
  };
  if (sources.file) {
    std::ifstream in(*sources.file, std::ios::binary);
    if (!in) return make_error(Errc::bad_config, "--redis-password-file: cannot read " + *sources.file);
    SecretString file(std::string{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()});
    if (in.bad()) return make_error(Errc::bad_config, "--redis-password-file: cannot read " + *sources.file);
    auto text = without_line_end(file.view());
    if (!text.empty()) {
      if (auto error = adopt(text, "--redis-password-file")) return *error;
      return PasswordSource::file;
    }
  }
  if (sources.env && !sources.env->empty()) {
    if (auto error = adopt(*sources.env, kPasswordEnv)) return *error;
    return PasswordSource::environment;
  }
  if (endpoint.password.empty() && !endpoint.user.empty())
    return make_error(Errc::bad_config, "--redis: the user " + endpoint.user +
                                            " needs a password (--redis-password-file or " + std::string(kPasswordEnv) + ")");
  return endpoint.password.empty() ? PasswordSource::none : PasswordSource::url;
}

Result<Secret> read_shared_key(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::bad_config, "--redis-key-file: cannot read " + path);
  SecretString file(std::string{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()});
  if (in.bad()) return make_error(Errc::bad_config, "--redis-key-file: cannot read " + path);
  auto text = without_line_end(file.view());
  if (text.size() < kMinSharedKeyChars)
    return make_error(Errc::bad_config, "--redis-key-file: " + path + " holds fewer than " +
                                            std::to_string(kMinSharedKeyChars) +
                                            " characters (make one: head -c 32 /dev/urandom | base64)");
  return Secret::copy_of(as_bytes(text));
}

}  // namespace qrlogin::relay::redis
