#include "relay/net/metrics.hpp"

namespace qrlogin::relay {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::uint64_t value, std::string_view label = {},
            std::string_view label_value = {}) {
  out.append(name);
  if (!label.empty()) out.append("{").append(label).append("=\"").append(label_value).append("\"}");
  out.append(" ").append(std::to_string(value)).append("\n");
}
}  // namespace

void Metrics::error(Code code) noexcept {
  auto i = static_cast<std::size_t>(code);
  if (i < errors_.size()) errors_[i].fetch_add(1, kRelaxed);
}
void Metrics::rejected(Limit limit) noexcept {
  auto i = static_cast<std::size_t>(limit);
  if (i < rejected_.size()) rejected_[i].fetch_add(1, kRelaxed);
}
void Metrics::intrusion() noexcept { intrusions_.fetch_add(1, kRelaxed); }
void Metrics::resume(bool ok) noexcept { (ok ? resumes_ok_ : resumes_refused_).fetch_add(1, kRelaxed); }
void Metrics::pairing_completed() noexcept { pairings_.fetch_add(1, kRelaxed); }
void Metrics::forwarded(std::size_t bytes) noexcept {
  frames_.fetch_add(1, kRelaxed);
  bytes_.fetch_add(bytes, kRelaxed);
}
void Metrics::websocket_opened() noexcept { websockets_.fetch_add(1, kRelaxed); }
void Metrics::written(std::size_t messages) noexcept {
  writes_.fetch_add(1, kRelaxed);
  messages_written_.fetch_add(messages, kRelaxed);
}
void Metrics::tls_handshake(bool own_records) noexcept {
  (own_records ? tls_own_records_ : tls_openssl_records_).fetch_add(1, kRelaxed);
}
void Metrics::fenced() noexcept { fenced_.fetch_add(1, kRelaxed); }
void Metrics::evicted() noexcept { evicted_.fetch_add(1, kRelaxed); }
void Metrics::lookup(LookupResult result) noexcept {
  auto i = static_cast<std::size_t>(result);
  if (i < lookups_.size()) lookups_[i].fetch_add(1, kRelaxed);
}

std::string Metrics::render(const MetricsGauges& gauges) const {
  std::string out;
  out.reserve(4096);
  header(out, "qrlogin_relay_connections", "gauge", "Open TCP connections (HTTP and WebSocket).");
  sample(out, "qrlogin_relay_connections", gauges.connections);
  header(out, "qrlogin_relay_channels", "gauge", "Open channels.");
  sample(out, "qrlogin_relay_channels", gauges.channels);
  header(out, "qrlogin_relay_buffered_bytes", "gauge", "Frame bytes held for peers over all channels.");
  sample(out, "qrlogin_relay_buffered_bytes", gauges.buffered_bytes);
  if (gauges.redis_up) {
    header(out, "qrlogin_relay_redis_up", "gauge", "Cluster mode: 1 while this node's Redis connections are up.");
    sample(out, "qrlogin_relay_redis_up", *gauges.redis_up ? 1 : 0);
    header(out, "qrlogin_relay_redis_pending_commands", "gauge",
           "Cluster mode: commands sent to Redis and not yet answered (bounded by --redis-max-pending).");
    sample(out, "qrlogin_relay_redis_pending_commands", gauges.redis_pending.value_or(0));
  }
  header(out, "qrlogin_relay_websockets_opened_total", "counter", "WebSocket upgrades completed.");
  sample(out, "qrlogin_relay_websockets_opened_total", websockets_.load(kRelaxed));
  header(out, "qrlogin_relay_pairings_completed_total", "counter",
         "Channels that both roles joined and that ended with a normal close (1000).");
  sample(out, "qrlogin_relay_pairings_completed_total", pairings_.load(kRelaxed));
  header(out, "qrlogin_relay_frames_forwarded_total", "counter", "Binary frames accepted for a peer.");
  sample(out, "qrlogin_relay_frames_forwarded_total", frames_.load(kRelaxed));
  header(out, "qrlogin_relay_bytes_forwarded_total", "counter", "Bytes of the binary frames accepted for a peer.");
  sample(out, "qrlogin_relay_bytes_forwarded_total", bytes_.load(kRelaxed));
  header(out, "qrlogin_relay_messages_written_total", "counter",
         "WebSocket messages written to clients (relayed frames and the relay's own text messages).");
  sample(out, "qrlogin_relay_messages_written_total", messages_written_.load(kRelaxed));
  header(out, "qrlogin_relay_socket_writes_total", "counter",
         "Writes of queued messages to client sockets; several queued messages go out in one write.");
  sample(out, "qrlogin_relay_socket_writes_total", writes_.load(kRelaxed));
  header(out, "qrlogin_relay_tls_handshakes_total", "counter",
         "TLS handshakes completed, by who protects the records after it: the relay (TLS 1.3) or OpenSSL "
         "(TLS 1.2).");
  sample(out, "qrlogin_relay_tls_handshakes_total", tls_own_records_.load(kRelaxed), "records", "relay");
  sample(out, "qrlogin_relay_tls_handshakes_total", tls_openssl_records_.load(kRelaxed), "records", "openssl");
  header(out, "qrlogin_relay_errors_total", "counter", "Connections ended with an error, by code (sent as an error message unless the client stopped reading).");
  for (std::size_t i = 0; i < kCodeCount; ++i) {
    auto code = static_cast<Code>(i);
    if (code == Code::peer_closed) continue;  // a normal ending, not an error
    sample(out, "qrlogin_relay_errors_total", errors_[i].load(kRelaxed), "code", code_name(code));
  }
  header(out, "qrlogin_relay_intrusions_total", "counter",
         "Intrusion attempts: a second client of a role, a third client, a wrong or used resume token.");
  sample(out, "qrlogin_relay_intrusions_total", intrusions_.load(kRelaxed));
  header(out, "qrlogin_relay_resumes_total", "counter", "Resume attempts, by result.");
  sample(out, "qrlogin_relay_resumes_total", resumes_ok_.load(kRelaxed), "result", "ok");
  sample(out, "qrlogin_relay_resumes_total", resumes_refused_.load(kRelaxed), "result", "refused");
  header(out, "qrlogin_relay_fenced_total", "counter",
         "Cluster mode: frames refused because their slot was resumed on another node (fencing).");
  sample(out, "qrlogin_relay_fenced_total", fenced_.load(kRelaxed));
  header(out, "qrlogin_relay_evicted_total", "counter",
         "Cluster mode: clients told to resume because their slot was dropped while this node stalled.");
  sample(out, "qrlogin_relay_evicted_total", evicted_.load(kRelaxed));
  header(out, "qrlogin_relay_code_lookups_total", "counter",
         "Code channel lookups by result: hit, miss, full (a sender), taken (a receiver), refused_token (a resume); "
         "rate_limited: refused before the lookup.");
  for (std::size_t i = 0; i < kLookupResultCount; ++i)
    sample(out, "qrlogin_relay_code_lookups_total", lookups_[i].load(kRelaxed), "result",
           lookup_result_name(static_cast<LookupResult>(i)));
  header(out, "qrlogin_relay_rejected_total", "counter", "Connections, channels or frames refused by a limit.");
  for (std::size_t i = 0; i < kLimitCount; ++i)
    sample(out, "qrlogin_relay_rejected_total", rejected_[i].load(kRelaxed), "limit", limit_name(static_cast<Limit>(i)));
  header(out, "qrlogin_relay_log_lines_dropped_total", "counter",
         "Log lines dropped because the log queue was full (stdout not taking them).");
  sample(out, "qrlogin_relay_log_lines_dropped_total", gauges.log_lines_dropped);
  header(out, "qrlogin_relay_log_lines_suppressed_total", "counter",
         "Lines about refused connections and requests held back by their rate limit.");
  sample(out, "qrlogin_relay_log_lines_suppressed_total", gauges.log_lines_suppressed);
  return out;
}

}  // namespace qrlogin::relay
