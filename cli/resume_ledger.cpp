#include "cli/resume_ledger.hpp"

#include <algorithm>

namespace qrlogin::cli {

Status ResumeLedger::on_joined(std::string_view token, std::optional<std::uint64_t> relay_received) {
  // The old token is spent either way: the relay hands out one per `joined`.
  token_ = token.empty() ? Secret{} : Secret::copy_of(as_bytes(token));
  if (!relay_received) return {};
  if (*relay_received < confirmed_ || *relay_received > sent()) {
    token_.wipe();
    return make_error(Errc::bad_resume, "the relay's resume count does not match the frames this client sent");
  }
  auto newly_confirmed = static_cast<std::size_t>(*relay_received - confirmed_);
  unconfirmed_.erase(unconfirmed_.begin(), unconfirmed_.begin() + static_cast<std::ptrdiff_t>(newly_confirmed));
  confirmed_ = *relay_received;
  return {};
}

void ResumeLedger::on_sent(ByteView frame) { unconfirmed_.push_back(Secret::copy_of(frame)); }

std::vector<ByteView> ResumeLedger::unconfirmed() const {
  std::vector<ByteView> out;
  out.reserve(unconfirmed_.size());
  for (const auto& frame : unconfirmed_) out.push_back(frame.view());
  return out;
}

Backoff::Millis Backoff::next() noexcept {
  auto delay = next_;
  next_ = std::min(cap_, next_ * 2);
  return delay;
}

}  // namespace qrlogin::cli
