#include "web/app/error.hpp"

#include <string_view>

#include "crypto/error_category.hpp"

namespace qrlogin::app {
namespace {

std::string_view code_name(int code) noexcept {
  switch (static_cast<AppErrc>(code)) {
    case AppErrc::bad_request: return "bad_request";
    case AppErrc::bad_name: return "bad_name";
    case AppErrc::bad_password: return "bad_password";
    case AppErrc::bad_cid: return "bad_cid";
    case AppErrc::body_too_large: return "body_too_large";
    case AppErrc::unsupported_media_type: return "unsupported_media_type";
    case AppErrc::origin_refused: return "origin_refused";
    case AppErrc::not_authenticated: return "not_authenticated";
    case AppErrc::session_ended: return "session_ended";
    case AppErrc::login_failed: return "login_failed";
    case AppErrc::name_taken: return "name_taken";
    case AppErrc::rate_limited: return "rate_limited";
    case AppErrc::cid_registered: return "cid_registered";
    case AppErrc::unknown_cid: return "unknown_cid";
    case AppErrc::pairing_expired: return "pairing_expired";
    case AppErrc::pairing_used: return "pairing_used";
    case AppErrc::unknown_grant: return "unknown_grant";
    case AppErrc::grant_expired: return "grant_expired";
    case AppErrc::grant_used: return "grant_used";
    case AppErrc::grant_mismatch: return "grant_mismatch";
    case AppErrc::grant_revoked: return "grant_revoked";
    case AppErrc::registration_refused: return "registration_refused";
    case AppErrc::unknown_device: return "unknown_device";
    case AppErrc::not_found: return "not_found";
    case AppErrc::method_not_allowed: return "method_not_allowed";
    case AppErrc::storage_unavailable: return "storage_unavailable";
    case AppErrc::internal: return "internal";
    case AppErrc::bad_flag: return "bad_flag";
    case AppErrc::state_dir: return "state_dir";
    case AppErrc::listen_failed: return "listen_failed";
    case AppErrc::other_network_unconfirmed: return "other_network_unconfirmed";
    case AppErrc::other_network_refused: return "other_network_refused";
    case AppErrc::too_many_streams: return "too_many_streams";
    case AppErrc::tls: return "tls";
  }
  return "unknown";
}

}  // namespace

const std::error_category& app_error_category() noexcept {
  static const NamedErrorCategory category("app", &code_name);
  return category;
}

unsigned http_status(AppErrc code) noexcept {
  switch (code) {
    case AppErrc::bad_request:
    case AppErrc::bad_name:
    case AppErrc::bad_password:
    case AppErrc::bad_cid: return 400;
    case AppErrc::not_authenticated:
    case AppErrc::session_ended:
    case AppErrc::login_failed: return 401;
    case AppErrc::origin_refused:
    case AppErrc::grant_mismatch:
    case AppErrc::registration_refused: return 403;
    case AppErrc::unknown_cid:
    case AppErrc::unknown_grant:
    case AppErrc::unknown_device:
    case AppErrc::not_found: return 404;
    case AppErrc::method_not_allowed: return 405;
    case AppErrc::name_taken:
    case AppErrc::cid_registered:
    case AppErrc::pairing_used:
    case AppErrc::grant_used: return 409;
    case AppErrc::pairing_expired:
    case AppErrc::grant_expired:
    case AppErrc::grant_revoked: return 410;
    case AppErrc::body_too_large: return 413;
    case AppErrc::unsupported_media_type: return 415;
    case AppErrc::rate_limited:
    case AppErrc::too_many_streams: return 429;
    case AppErrc::other_network_unconfirmed: return 428;
    case AppErrc::other_network_refused: return 403;
    case AppErrc::storage_unavailable: return 503;
    case AppErrc::internal:
    case AppErrc::bad_flag:
    case AppErrc::state_dir:
    case AppErrc::listen_failed:
    case AppErrc::tls: return 500;
  }
  return 500;
}

}  // namespace qrlogin::app
