#include "relay/redis/reply.hpp"

#include <hiredis/hiredis.h>

#include <charconv>

namespace qrlogin::relay::redis {

std::optional<std::string_view> Reply::text() const noexcept {
  if (type == Type::string || type == Type::status) return std::string_view{str};
  return std::nullopt;
}

std::optional<long long> Reply::as_integer() const noexcept {
  if (type == Type::integer) return integer;
  if (type != Type::string || str.empty()) return std::nullopt;
  long long value = 0;
  auto [end, ec] = std::from_chars(str.data(), str.data() + str.size(), value);
  if (ec != std::errc{} || end != str.data() + str.size()) return std::nullopt;
  return value;
}

Reply Reply::from_hiredis(const redisReply& reply) {
  Reply out;
  switch (reply.type) {
    case REDIS_REPLY_STRING:
      out.type = Type::string;
      out.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Type::status;
      out.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Type::error;
      out.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Type::integer;
      out.integer = reply.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Type::array;
      out.elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i) out.elements.push_back(from_hiredis(*reply.element[i]));
      break;
    default:
      out.type = Type::nil;
      break;
  }
  return out;
}

}  // namespace qrlogin::relay::redis
