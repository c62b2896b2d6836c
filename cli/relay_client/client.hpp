#pragma once
// relay_client: a small WebSocket client for the qrlogin relay protocol,
// shared by the CLI, the tests and the benchmark. Beast stays inside the
// .cpp files.
//
// Blocking with timeouts: connect(), then next(timeout) for each control
// message, binary frame or the close, and send()/close(). Every client runs
// on a Context (an io_context with its own thread); many clients may share
// one. For an event loop, on_event() tells when next() has something.
//
// wss:// (Options::tls) always verifies the relay's certificate and that
// it names the host (or server_name); ca_file replaces the system's trusted
// roots, e.g. with a self-signed relay's own certificate. Host names are
// resolved (each address tried in turn); IP literals are used as they are.
//
// The relay is not trusted, so what it can make a client hold is bounded: a
// message over Options::max_message_bytes breaks the connection (a `closed`
// event that says so), and once kMaxQueuedEvents events wait for next(), the
// client stops reading until the caller takes some (the relay then sees a
// slow reader).
//
// For tests it can also misbehave on purpose: text frames, oversize or
// fragmented messages, pings, custom headers (Origin, X-Forwarded-For), a
// chosen source address, and not reading at all.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/relay_client/error.hpp"
#include "crypto/bytes.hpp"
#include "crypto/pairing/constants.hpp"
#include "crypto/secret.hpp"
#include "relay/core/control.hpp"

namespace qrlogin::relay_client {

using Millis = std::chrono::milliseconds;
inline constexpr Millis kDefaultTimeout{5000};
// Events received and not yet taken by next()/try_next() before the client
// stops reading. A pairing has a handful: the relay forwards at most 16
// frames per channel, and its control messages are few.
inline constexpr std::size_t kMaxQueuedEvents = 256;

// An io_context and the threads that run it.
class Context {
 public:
  explicit Context(unsigned threads = 1);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  struct Impl;
  Impl& impl() noexcept { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Where a TLS connection failed, for callers that explain it to a user.
enum class TlsFailure {
  none,
  setup,      // the CA file cannot be loaded (a local problem)
  handshake,  // no TLS answer, no protocol version or cipher in common, cut
  untrusted,  // the certificate did not verify: unknown issuer, expired, names another host
};

struct Options {
  std::string host = "127.0.0.1";  // a name (resolved) or an IP literal
  std::uint16_t port = 0;
  bool tls = false;         // wss: TLS with certificate verification (never optional)
  std::string ca_file;      // PEM file of trusted certificates; empty: the system's
  std::string server_name;  // SNI and the name the certificate must carry; empty: host
  // The channel: /v1/channels/{cid}?role={role}[&received=N], unless
  // `target` is set (then it is sent as is, for malformed requests).
  std::string cid;
  std::string role = "receiver";
  std::optional<std::uint64_t> received;
  std::string target;
  std::vector<std::string> subprotocols = {"qrlogin.v1"};
  // Resume: the `resume_token` of the last `joined` on this channel, sent as
  // `qrlogin.resume.<token>` beside the subprotocols (never in the URL);
  // set `received` to the binary frames received on this channel so far.
  // The relay's `joined` then carries `received`: the frames it had from
  // us; re-send ours from that index.
  std::string resume_token;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Origin", "https://evil.example"}
  std::string bind_address;  // local source address, e.g. "127.0.0.2"; empty: any
  Millis timeout = kDefaultTimeout;  // TCP connect + upgrade
  bool read = true;                  // false: never read (a slow reader) until start_reading()
  int receive_buffer_bytes = 0;      // SO_RCVBUF; 0 leaves the system default
  // The largest message read: the largest frame of the protocol (a
  // CREDENTIAL); the relay's control messages are far smaller.
  std::size_t max_message_bytes = pairing::kMaxFrameBytes;
  std::shared_ptr<Context> context;  // null: a Context of its own
};

struct Event {
  enum class Kind { control, binary, closed };
  Kind kind = Kind::closed;
  relay::ControlMessage control;     // control (type "unparsable" if the JSON was bad)
  std::string text;                  // control: the raw text
  Bytes bytes;                       // binary
  std::uint16_t close_code = 0;      // closed: the close code received, 0 if the connection just broke
  std::string close_reason;          // closed: the close reason, or why it broke
};

class Client;

struct ConnectResult {
  std::unique_ptr<Client> client;  // set on success
  int http_status = 0;             // 101, or the refusal's status (400, 403, 426, 429); 0 without an answer
  std::string subprotocol;         // what the relay selected
  std::string body;                // the refusal's body
  std::string error;               // why it failed
  TlsFailure tls_failure = TlsFailure::none;  // set when it failed in TLS
  explicit operator bool() const noexcept { return client != nullptr; }
};

class Client {
 public:
  [[nodiscard]] static ConnectResult connect(const Options& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The next event in arrival order; Errc::timeout when none comes in time.
  [[nodiscard]] Result<Event> next(Millis timeout = kDefaultTimeout);
  [[nodiscard]] std::optional<Event> try_next();
  // Skips binary frames and other control messages until a control
  // message of `type` (or the close) arrives.
  [[nodiscard]] Result<Event> next_control(std::string_view type, Millis timeout = kDefaultTimeout);
  // Reads until the close and returns it (skipping everything else).
  [[nodiscard]] Result<Event> wait_closed(Millis timeout = kDefaultTimeout);

  // Each blocks until the bytes are handed to the socket (or times out, and
  // then the connection is cut).
  [[nodiscard]] Status send(ByteView frame, Millis timeout = kDefaultTimeout);
  [[nodiscard]] Status send_text(std::string_view text, Millis timeout = kDefaultTimeout);
  [[nodiscard]] Status send_fragmented(ByteView message, std::size_t fragment_bytes, Millis timeout = kDefaultTimeout);
  // One WebSocket frame of a message; fin=false leaves the message open.
  [[nodiscard]] Status send_fragment(ByteView bytes, bool fin, Millis timeout = kDefaultTimeout);
  [[nodiscard]] Status ping(Millis timeout = kDefaultTimeout);
  // Sends a close frame with `code`; the relay's answer arrives as an event.
  [[nodiscard]] Status close(std::uint16_t code = 1000, Millis timeout = kDefaultTimeout);
  // Cuts the TCP connection without a close frame, with an RST (SO_LINGER
  // 0): what a phone losing its network looks like to the relay.
  void abort();

  void start_reading();
  // Called from the client's I/O thread whenever an event is queued.
  void on_event(std::function<void()> wake);
  [[nodiscard]] bool closed() const;
  // Events waiting for next(), at most kMaxQueuedEvents and the close.
  [[nodiscard]] std::size_t queued() const;

  struct Impl;

 private:
  explicit Client(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
  std::shared_ptr<Context> context_;  // outlives impl_
};

// One HTTP/1.1 request, over TLS when `tls` is set (for /healthz, pages,
// refusals before the upgrade, and the CLI's calls to an application).
struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;          // empty when the request asked for secret_body
  SecretString secret_body;  // with HttpRequest::secret: the body, never in a plain string
  [[nodiscard]] std::string header(std::string_view name) const;
};
struct HttpRequest {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  bool tls = false;  // https, verified as for Options
  std::string ca_file;
  std::string server_name;
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string bind_address;
  Millis timeout = kDefaultTimeout;  // the whole exchange: connect, TLS, write, read
  // A body (e.g. JSON, with its Content-Type in headers) and an
  // Authorization header: read where they are, never copied into a buffer
  // that is not wiped.
  std::string_view body;
  std::string_view authorization;
  // Answers longer than this are an error (0: Beast's default, 8 MB).
  std::size_t max_body_bytes = 0;
  // The answer may hold secrets: its body goes to secret_body. Every buffer
  // of the exchange is wiped when freed either way.
  bool secret = false;
};
[[nodiscard]] Result<HttpResponse> http_request(const HttpRequest& request);

// /v1/channels/{cid}?role=...[&received=N]
// code_channel adds `kind=code` (a typed code's channel, docs/protocol.md).
std::string channel_target(std::string_view cid, std::string_view role, std::optional<std::uint64_t> received = {},
                           bool code_channel = false);

}  // namespace qrlogin::relay_client
