#include "relay/redis/sentinel.hpp"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <array>
#include <charconv>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <memory>

namespace qrlogin::relay::redis {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// One lookup: the Sentinels in turn until one names the master.
class Lookup : public std::enable_shared_from_this<Lookup> {
 public:
  Lookup(asio::any_io_executor executor, std::vector<HostPort> sentinels, std::string master,
         std::chrono::milliseconds timeout, std::function<void(Result<MasterAddress>)> done)
      : sentinels_(std::move(sentinels)),
        master_(std::move(master)),
        timeout_(timeout),
        done_(std::move(done)),
        resolver_(executor),
        socket_(executor),
        timer_(executor),
        reader_(redisReaderCreate(), &redisReaderFree) {}

  void next() {
    if (at_ >= sentinels_.size()) {
      finish(make_error(Errc::unavailable, "no Sentinel named the master " + master_ + (why_.empty() ? "" : ": " + why_)));
      return;
    }
    const auto& s = sentinels_[at_++];
    boost::system::error_code ignored;
    socket_.close(ignored);
    reader_.reset(redisReaderCreate());
    ++attempt_;
    auto self = shared_from_this();
    auto attempt = attempt_;
    timer_.expires_after(timeout_);
    timer_.async_wait([self, attempt](boost::system::error_code ec) {
      if (ec || attempt != self->attempt_ || self->finished_) return;
      self->why_ = "a Sentinel did not answer in time";
      self->resolver_.cancel();
      boost::system::error_code ignored2;
      self->socket_.close(ignored2);  // fails the pending operation, which moves on
    });
    resolver_.async_resolve(s.host, std::to_string(s.port),
                            [self, attempt](boost::system::error_code ec, tcp::resolver::results_type results) {
                              if (attempt != self->attempt_ || self->finished_) return;
                              if (ec) return self->failed("cannot resolve a Sentinel: " + ec.message());
                              asio::async_connect(self->socket_, results,
                                                  [self, attempt](boost::system::error_code ec2, const tcp::endpoint&) {
                                                    if (attempt != self->attempt_ || self->finished_) return;
                                                    if (ec2) return self->failed("cannot connect to a Sentinel");
                                                    self->ask(attempt);
                                                  });
                            });
  }

 private:
  void ask(std::uint64_t attempt) {
    const char* argv[] = {"SENTINEL", "get-master-addr-by-name", master_.c_str()};
    std::size_t lengths[] = {8, 23, master_.size()};
    char* formatted = nullptr;
    auto size = redisFormatCommandArgv(&formatted, 3, argv, lengths);
    if (size < 0 || formatted == nullptr) return failed("out of memory");
    command_.assign(formatted, static_cast<std::size_t>(size));
    redisFreeCommand(formatted);
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(command_), [self, attempt](boost::system::error_code ec, std::size_t) {
      if (attempt != self->attempt_ || self->finished_) return;
      if (ec) return self->failed("a Sentinel closed the connection");
      self->read(attempt);
    });
  }

  void read(std::uint64_t attempt) {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buffer_), [self, attempt](boost::system::error_code ec, std::size_t n) {
      if (attempt != self->attempt_ || self->finished_) return;
      if (ec) return self->failed("a Sentinel closed the connection");
      if (redisReaderFeed(self->reader_.get(), self->buffer_.data(), n) != REDIS_OK)
        return self->failed("a Sentinel sent a malformed reply");
      void* raw = nullptr;
      if (redisReaderGetReply(self->reader_.get(), &raw) != REDIS_OK) return self->failed("a Sentinel sent a malformed reply");
      if (raw == nullptr) return self->read(attempt);  // not all of it yet
      std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(static_cast<redisReply*>(raw), &freeReplyObject);
      self->answered(*reply);
    });
  }

  void answered(const redisReply& reply) {
    // [host, port], or nil for a master this Sentinel does not monitor.
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 2 || reply.element[0]->type != REDIS_REPLY_STRING ||
        reply.element[1]->type != REDIS_REPLY_STRING)
      return failed("a Sentinel does not know the master " + master_);
    std::string host(reply.element[0]->str, reply.element[0]->len);
    std::string port_text(reply.element[1]->str, reply.element[1]->len);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    bool whole = ec == std::errc{} && end == port_text.data() + port_text.size();
    if (host.empty() || !whole || port == 0 || port > 65535) return failed("a Sentinel named a bad address");
    finish(MasterAddress{std::move(host), static_cast<std::uint16_t>(port)});
  }

  void failed(std::string why) {
    if (why_.empty() || why_.find("in time") == std::string::npos) why_ = std::move(why);
    timer_.cancel();
    next();
  }

  void finish(Result<MasterAddress> result) {
    finished_ = true;
    timer_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
    done_(std::move(result));
  }

  std::vector<HostPort> sentinels_;
  std::string master_;
  std::chrono::milliseconds timeout_;
  std::function<void(Result<MasterAddress>)> done_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::unique_ptr<redisReader, decltype(&redisReaderFree)> reader_;
  std::string command_;
  std::array<char, 512> buffer_{};
  std::size_t at_ = 0;
  std::uint64_t attempt_ = 0;
  bool finished_ = false;
  std::string why_;
};

}  // namespace

void find_master(boost::asio::any_io_executor executor, std::vector<HostPort> sentinels, std::string master,
                 std::chrono::milliseconds timeout_each, std::function<void(Result<MasterAddress>)> done) {
  auto lookup = std::make_shared<Lookup>(std::move(executor), std::move(sentinels), std::move(master), timeout_each,
                                         std::move(done));
  lookup->next();
}

}  // namespace qrlogin::relay::redis
