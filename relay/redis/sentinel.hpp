#pragma once
// Where the Redis master is, by asking Redis Sentinel (`--redis
// sentinel://HOST:PORT[,HOST:PORT...]/MASTER`): SENTINEL
// get-master-addr-by-name to each Sentinel in turn, each with its own
// timeout, until one answers. Asynchronous on Asio (a plain TCP socket;
// hiredis only formats the command and parses the reply), so nothing blocks
// an I/O thread while a failover is under way.
//
// Sentinels are asked without AUTH: keep them on a private network (they
// only tell where the master is; the master itself needs the password).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "relay/redis/result.hpp"
#include "relay/redis/url.hpp"

namespace qrlogin::relay::redis {

struct MasterAddress {
  std::string host;
  std::uint16_t port = 0;
};

// `done` runs on `executor` with the master's address, or an `unavailable`
// error naming why no Sentinel answered.
void find_master(boost::asio::any_io_executor executor, std::vector<HostPort> sentinels, std::string master,
                 std::chrono::milliseconds timeout_each, std::function<void(Result<MasterAddress>)> done);

}  // namespace qrlogin::relay::redis
