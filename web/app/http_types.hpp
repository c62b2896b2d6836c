#pragma once
// A request as the API sees it, and its answer: plain structs between the
// HTTP server (Beast, server.cpp) and the API (api.cpp), so the API holds no
// socket and a port to another HTTP stack rewrites only the server.
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace qrlogin::app {

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target without its query
  std::optional<std::string> origin;
  std::string cookie;         // the Cookie header ("" when absent)
  std::string authorization;  // the Authorization header
  std::string user_agent;
  std::string content_type;
  std::string body;
  std::string peer;  // the client's address as the application sees it
};

struct ApiResponse {
  unsigned status = 200;
  std::string body;  // JSON (empty for 204)
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

}  // namespace qrlogin::app
