#pragma once
// The Lua scripts of relay/redis/lua/, embedded at build time
// (cmake/QrloginEmbedLua.cmake). channel_common is the prelude every
// channel_* script runs with.
#include <string_view>

namespace qrlogin::relay::redis::lua {

extern const std::string_view channel_common;
extern const std::string_view channel_join;
extern const std::string_view channel_resume;
extern const std::string_view channel_append;
extern const std::string_view channel_poll;
extern const std::string_view channel_leave;
extern const std::string_view channel_evict;
extern const std::string_view code_lookups;  // prepended to channel_join and channel_resume

}  // namespace qrlogin::relay::redis::lua
