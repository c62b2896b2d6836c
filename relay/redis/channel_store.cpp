#include "relay/redis/channel_store.hpp"

#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <string_view>
#include <utility>

#include "crypto/bytes.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "relay/redis/lua_scripts.hpp"

namespace qrlogin::relay::redis {

namespace {

constexpr std::string_view kNameKeySalt = "qrlogin relay redis names v1";
constexpr std::string_view kChannelLabel = "qrlogin.redis.channel.v1";
constexpr std::string_view kAddressLabel = "qrlogin.redis.address.v1";
// The deadline of the scripts that are safe to run late or twice (polls
// only read, and end what is over anyway): a caller hears `timeout` and
// tries again later, while the connection lives on.
constexpr Millis kIdempotentDeadline{2000};

std::string sha1_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha1(), nullptr) != 1) return {};
  return hex_encode(ByteView{digest.data(), size});
}

std::string_view role_code(Role role) { return role == Role::receiver ? "r" : "s"; }

std::string token_arg(const TokenHash& hash) {
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

// ---- reading a script's reply: a status, then name/value pairs ----------------

class Fields {
 public:
  static Result<Fields> parse(const Reply& reply) {
    if (!reply.is_array() || reply.elements.empty() || !reply.elements[0].text())
      return make_error(Errc::protocol, "unexpected reply from a qrlogin script");
    Fields fields;
    fields.status_ = std::string(*reply.elements[0].text());
    for (std::size_t i = 1; i + 1 < reply.elements.size(); i += 2) {
      auto name = reply.elements[i].text();
      if (!name) return make_error(Errc::protocol, "unexpected field in a qrlogin script's reply");
      fields.pairs_.emplace_back(std::string(*name), &reply.elements[i + 1]);
    }
    return fields;
  }

  [[nodiscard]] const std::string& status() const noexcept { return status_; }

  [[nodiscard]] const Reply* find(std::string_view name) const noexcept {
    for (const auto& [n, value] : pairs_)
      if (n == name) return value;
    return nullptr;
  }
  [[nodiscard]] long long integer(std::string_view name) const noexcept {
    const auto* value = find(name);
    if (value == nullptr) return 0;
    return value->as_integer().value_or(0);
  }
  [[nodiscard]] std::uint64_t count(std::string_view name) const noexcept {
    auto value = integer(name);
    return value > 0 ? static_cast<std::uint64_t>(value) : 0;
  }
  [[nodiscard]] Millis millis(std::string_view name) const noexcept { return Millis{std::max(0LL, integer(name))}; }
  [[nodiscard]] bool flag(std::string_view name) const noexcept { return integer(name) != 0; }
  [[nodiscard]] std::string text(std::string_view name) const {
    const auto* value = find(name);
    if (value == nullptr || !value->text()) return {};
    return std::string(*value->text());
  }

 private:
  std::string status_;
  std::vector<std::pair<std::string, const Reply*>> pairs_;
};

// The relay Code a script status stands for; nullopt for "ok".
Result<std::optional<Code>> status_code(const std::string& status) {
  if (status == "ok") return std::optional<Code>{};
  if (status == "expired") return std::optional<Code>{Code::expired};
  if (status == "channel_full") return std::optional<Code>{Code::channel_full};
  if (status == "too_large") return std::optional<Code>{Code::too_large};
  if (status == "bad_request") return std::optional<Code>{Code::bad_request};
  if (status == "stale") return std::optional<Code>{Code::replaced};
  // Dropped while this node stalled, not taken over: the client resumes.
  if (status == "evicted") return std::optional<Code>{Code::unavailable};
  if (status == "closed") return std::optional<Code>{Code::peer_closed};
  if (status == "slow") return std::optional<Code>{Code::slow_consumer};
  if (status == "unavailable") return std::optional<Code>{Code::unavailable};
  if (status == "rate_limited") return std::optional<Code>{Code::rate_limited};
  if (status == "taken") return std::optional<Code>{Code::taken};
  return make_error(Errc::protocol, "unknown status from a qrlogin script");
}

std::optional<SlotHolder> holder(const std::string& node, const std::string& conn) {
  if (node.empty()) return std::nullopt;
  SlotHolder out{node, 0};
  (void)std::from_chars(conn.data(), conn.data() + conn.size(), out.conn);
  return out;
}

std::optional<SlotHolder> holder_field(const Fields& fields, std::string_view prefix) {
  return holder(fields.text(std::string(prefix) + "_node"), fields.text(std::string(prefix) + "_conn"));
}

Result<std::vector<StoredFrame>> frames_field(const Fields& fields) {
  std::vector<StoredFrame> out;
  const auto* list = fields.find("frames");
  if (list == nullptr) return out;
  if (!list->is_array() || list->elements.size() % 2 != 0)
    return make_error(Errc::protocol, "unexpected frame list from a qrlogin script");
  for (std::size_t i = 0; i < list->elements.size(); i += 2) {
    auto index = list->elements[i].as_integer();
    const auto& data = list->elements[i + 1];
    if (!index || *index < 0 || !data.is_string())
      return make_error(Errc::protocol, "unexpected frame from a qrlogin script");
    out.push_back({static_cast<std::uint64_t>(*index),
                   std::make_shared<const std::vector<std::uint8_t>>(data.str.begin(), data.str.end())});
  }
  return out;
}

Result<std::vector<std::pair<Role, SlotHolder>>> intrusion_field(const Fields& fields) {
  std::vector<std::pair<Role, SlotHolder>> out;
  const auto* list = fields.find("intrusion");
  if (list == nullptr || !list->is_array()) return out;
  if (list->elements.size() % 3 != 0) return make_error(Errc::protocol, "unexpected intrusion list");
  for (std::size_t i = 0; i < list->elements.size(); i += 3) {
    auto role = list->elements[i].text();
    auto node = list->elements[i + 1].text();
    auto conn = list->elements[i + 2].text();
    if (!role || !node || !conn) return make_error(Errc::protocol, "unexpected intrusion entry");
    auto h = holder(std::string(*node), std::string(*conn));
    if (h) out.emplace_back(*role == "r" ? Role::receiver : Role::sender, std::move(*h));
  }
  return out;
}

template <class T>
using Parser = Result<T> (*)(const Fields&, std::optional<Code>);

// Adapts a raw script reply to a typed result for `handler`.
template <class T>
Client::Completion typed(Parser<T> parse, std::function<void(Result<T>)> handler) {
  return [parse, handler = std::move(handler)](Result<Reply> reply) {
    if (!reply.ok()) return handler(reply.error());
    auto fields = Fields::parse(*reply);
    if (!fields.ok()) return handler(fields.error());
    auto code = status_code(fields->status());
    if (!code.ok()) return handler(code.error());
    handler(parse(*fields, *code));
  };
}

std::optional<LookupResult> lookup_field(const Fields& fields) {
  auto text = fields.text("lookup");
  for (std::size_t i = 0; i < kLookupResultCount; ++i) {
    auto result = static_cast<LookupResult>(i);
    if (text == lookup_result_name(result)) return result;
  }
  return std::nullopt;
}

std::optional<Limit> limit_field(const Fields& fields) {
  auto text = fields.text("limit");
  for (auto limit : {Limit::code_lookup_budget, Limit::code_channels})
    if (text == limit_name(limit)) return limit;
  return std::nullopt;
}

Result<Attached> parse_attached(const Fields& fields, std::optional<Code> error) {
  Attached out;
  out.error = error;
  out.intrusion_attempt = fields.flag("intrusion_attempt");
  auto intrusion = intrusion_field(fields);
  if (!intrusion.ok()) return intrusion.error();
  out.intrusion = std::move(*intrusion);
  out.lookup = lookup_field(fields);
  out.limit = limit_field(fields);
  // A second sender of a code channel is a lookup, not an intrusion.
  if (error == Code::channel_full && !out.lookup) out.intrusion_attempt = true;
  if (error) return out;
  out.created = fields.flag("created");
  out.epoch = fields.count("epoch");
  out.expires_in = fields.millis("expires_in");
  out.received = fields.count("received");
  out.peer_present = fields.flag("peer_present");
  out.peer_epoch = fields.count("peer_epoch");
  out.peer_grace_in = fields.millis("peer_grace_in");
  out.peer = holder_field(fields, "peer");
  out.replaced = holder_field(fields, "replaced");
  auto frames = frames_field(fields);
  if (!frames.ok()) return frames.error();
  out.backlog = std::move(*frames);
  return out;
}

Result<Appended> parse_appended(const Fields& fields, std::optional<Code> error) {
  Appended out;
  out.error = error;
  out.index = fields.count("index");
  out.duplicate = fields.flag("duplicate");
  out.peer = holder_field(fields, "peer");
  out.slow_peer = holder_field(fields, "slow");
  return out;
}

Result<Polled> parse_polled(const Fields& fields, std::optional<Code> error) {
  Polled out;
  out.error = error;
  // With ok and with peer_closed (the closer's last frames); absent otherwise.
  auto frames = frames_field(fields);
  if (!frames.ok()) return frames.error();
  out.frames = std::move(*frames);
  if (error) return out;
  out.expires_in = fields.millis("expires_in");
  out.peer_present = fields.flag("peer_present");
  out.peer_epoch = fields.count("peer_epoch");
  out.peer_grace_in = fields.millis("peer_grace_in");
  out.intrusion = fields.flag("intrusion");
  out.received = fields.count("received");
  out.peer_first = fields.count("peer_first");
  out.peer_next = fields.count("peer_next");
  out.peer = holder_field(fields, "peer");
  return out;
}

Result<Left> parse_left(const Fields& fields, std::optional<Code> error) {
  Left out;
  out.error = error;
  out.completed = fields.flag("completed");
  out.peer = holder_field(fields, "peer");
  return out;
}

Result<Done> parse_done(const Fields& /*fields*/, std::optional<Code> error) { return Done{error}; }

}  // namespace

// The channel functions, as one Redis Functions library (FUNCTION LOAD):
// its top level (the prelude: helpers, the state layout) runs once when
// loaded, not on every call as a script's would. The library and function
// names carry a hash of the text, so nodes of two versions sharing a Redis
// each call their own code (a rolling upgrade), as EVALSHA did.
struct ChannelStore::Library {
  std::string name;  // qrl_<16 hex digits>
  std::string text;  // "#!lua name=<name>" and the code
  std::array<std::string, 6> functions;  // by Op

  Library() {
    // Each operation's function name and body, in Op's order.
    static_assert(static_cast<std::size_t>(Op::evict) == 5);
    const std::array<std::pair<std::string_view, std::string_view>, 6> ops{{{"join", lua::channel_join},
                                                                             {"resume", lua::channel_resume},
                                                                             {"append", lua::channel_append},
                                                                             {"poll", lua::channel_poll},
                                                                             {"leave", lua::channel_leave},
                                                                             {"evict", lua::channel_evict}}};
    std::string code = std::string(lua::channel_common) + "\n" + std::string(lua::code_lookups) + "\n";
    for (const auto& [op, body] : ops) {
      code += "redis.register_function(LIBRARY .. '_" + std::string(op) + "', function(KEYS, ARGV)\nbind(KEYS, ARGV)\n" +
              std::string(body) + "\nend)\n";
    }
    name = "qrl_" + sha1_hex(code).substr(0, 16);
    text = "#!lua name=" + name + "\nlocal LIBRARY = '" + name + "'\n" + code;
    for (std::size_t i = 0; i < ops.size(); ++i) functions[i] = name + "_" + std::string(ops[i].first);
  }
  [[nodiscard]] const std::string& function(Op op) const { return functions[static_cast<std::size_t>(op)]; }
};

const ChannelStore::Library& ChannelStore::library() {
  static const Library built;  // built on first use, then only read (from any thread)
  return built;
}

Secret derive_name_key(ByteView material) {
  auto key = hkdf(as_bytes(kNameKeySalt), material, {}, kNameKeyBytes);
  if (!key.ok()) return Secret(kNameKeyBytes);  // cannot happen for 32 bytes
  return std::move(*key);
}

ChannelStore::ChannelStore(std::shared_ptr<Client> client, Secret name_key, Limits limits, StoreOptions options)
    : client_(std::move(client)),
      name_key_(std::move(name_key)),
      limits_(limits),
      prefix_(std::move(options.prefix)),
      node_id_(std::move(options.node_id)),
      wake_prefix_(prefix_ + ":wake:") {
  if (node_id_.empty()) {
    std::array<std::uint8_t, kNodeIdBytes> raw{};
    system_rng().fill(raw);
    node_id_ = hex_encode(raw);
  }
}

std::string ChannelStore::channel_name(const Cid& cid) const {
  auto mac = hmac_sha256(name_key_.view(), {as_bytes(kChannelLabel), ByteView{cid}});
  return hex_encode(ByteView{mac}.first(kChannelNameBytes));
}

std::vector<std::string> ChannelStore::channel_keys(const std::string& name) const {
  auto base = prefix_ + ":{" + name + "}:";
  return {base + "st", base + "used", base + "fr", base + "fs", prefix_ + ":{global}:open"};
}

std::vector<std::string> ChannelStore::channel_args(const std::string& name) const {
  return {name, wake_prefix_, node_id_};
}

void ChannelStore::call(Op op, std::vector<std::string> keys, std::vector<std::string> args,
                        Client::Completion done, Millis deadline) {
  const auto& lib = library();
  auto command = std::make_shared<std::vector<std::string>>();
  command->reserve(3 + keys.size() + args.size());
  command->push_back("FCALL");
  command->push_back(lib.function(op));
  command->push_back(std::to_string(keys.size()));
  for (auto& k : keys) command->push_back(std::move(k));
  for (auto& a : args) command->push_back(std::move(a));
  Args shared = command;
  auto client = client_;
  CommandOptions options{deadline, false};
  client_->command(
      shared,
      [client, shared, options, done = std::move(done)](Result<Reply> reply) mutable {
        if (reply.ok() || reply.error().code != Errc::server ||
            reply.error().message.find("Function not found") == std::string::npos) {
          done(std::move(reply));
          return;
        }
        // Every connect loads the library; an operator's FUNCTION FLUSH (or
        // a Redis that lost it) is the rare case that needs it once more.
        // The load's own answer does not matter: the call after it tells.
        client->command(Args(std::make_shared<std::vector<std::string>>(setup_commands().front())),
                        [](const Result<Reply>&) {}, options);
        client->command(shared, std::move(done), options);
      },
      options);
}

std::vector<std::vector<std::string>> ChannelStore::setup_commands() {
  // REPLACE: a library of this name is this very code (the name is its hash).
  return {{"FUNCTION", "LOAD", "REPLACE", library().text}};
}

void ChannelStore::join(const std::string& name, Role role, ConnId conn, const TokenHash& new_token,
                        const AddressKey& address, ChannelKind kind, Handler<Attached> handler) {
  auto keys = channel_keys(name);
  auto args = channel_args(name);
  const auto& l = limits_;
  bool code = kind == ChannelKind::code;
  auto lifetime = code ? l.code_lifetime : l.channel_lifetime;
  for (auto& a : {std::string(role_code(role)), std::to_string(conn), token_arg(new_token),
                  std::to_string(lifetime.count()), std::to_string(l.grace.count()),
                  std::to_string(l.max_frame_bytes), std::to_string(l.max_frames_per_channel),
                  std::to_string(l.max_channel_bytes)})
    args.push_back(a);
  if (role == Role::receiver || code) {
    // Its admission, should it open the channel.
    auto mac = hmac_sha256(name_key_.view(), {as_bytes(kAddressLabel), ByteView{address.bytes}});
    auto base = prefix_ + ":{global}:";
    keys.push_back(base + "cids");
    keys.push_back(base + "rate");
    keys.push_back(base + "a:" + hex_encode(ByteView{mac}.first(kChannelNameBytes)));
    auto number = [](double v) { return std::to_string(v); };
    for (auto& a : {std::to_string(l.max_channels), std::to_string(l.max_remembered_cids),
                    number(l.channel_rate_per_address), number(l.channel_burst_per_address),
                    number(l.channel_rate_global), number(l.channel_burst_global)})
      args.push_back(a);
  }
  if (code) {
    keys.push_back(prefix_ + ":{global}:codebudget");
    keys.push_back(prefix_ + ":{global}:code");
    for (auto& a : {std::string("code"), std::to_string(l.max_code_lookups), std::to_string(l.max_code_channels)})
      args.push_back(a);
  }
  call(Op::join, std::move(keys), std::move(args), typed<Attached>(&parse_attached, std::move(handler)));
}

void ChannelStore::resume(const std::string& name, Role role, ConnId conn, const TokenHash& presented,
                          std::uint64_t received, const TokenHash& new_token, ChannelKind kind,
                          Handler<Attached> handler) {
  auto keys = channel_keys(name);
  auto args = channel_args(name);
  for (auto& a : {std::string(role_code(role)), std::to_string(conn), token_arg(presented), std::to_string(received),
                  token_arg(new_token)})
    args.push_back(a);
  if (kind == ChannelKind::code) {
    keys.push_back(prefix_ + ":{global}:codebudget");
    args.emplace_back("code");
    args.push_back(std::to_string(limits_.max_code_lookups));
  }
  call(Op::resume, std::move(keys), std::move(args),
       typed<Attached>(
           [](const Fields& fields, std::optional<Code> error) -> Result<Attached> {
             auto out = parse_attached(fields, error);
             if (out.ok() && !error) out->resumed = true;
             return out;
           },
           std::move(handler)));
}

void ChannelStore::append(const std::string& name, Role from, std::uint64_t epoch, std::uint64_t index, const Frame& frame,
                          std::uint64_t taken, Handler<Appended> handler) {
  auto args = channel_args(name);
  args.emplace_back(role_code(from));
  args.push_back(std::to_string(epoch));
  args.push_back(std::to_string(index));
  args.emplace_back(frame ? std::string(frame->begin(), frame->end()) : std::string());
  args.push_back(std::to_string(taken));
  call(Op::append, channel_keys(name), std::move(args), typed<Appended>(&parse_appended, std::move(handler)));
}

void ChannelStore::poll(const std::string& name, Role role, std::uint64_t epoch, std::optional<std::uint64_t> from,
                        Handler<Polled> handler) {
  auto args = channel_args(name);
  args.emplace_back(role_code(role));
  args.push_back(std::to_string(epoch));
  args.push_back(from ? std::to_string(*from) : std::string("-1"));
  call(Op::poll, channel_keys(name), std::move(args), typed<Polled>(&parse_polled, std::move(handler)),
       kIdempotentDeadline);
}

void ChannelStore::leave(const std::string& name, Role role, std::uint64_t epoch, LeaveKind kind, Handler<Left> handler) {
  auto args = channel_args(name);
  args.emplace_back(role_code(role));
  args.push_back(std::to_string(epoch));
  args.emplace_back(kind == LeaveKind::normal ? "normal" : "abnormal");
  call(Op::leave, channel_keys(name), std::move(args), typed<Left>(&parse_left, std::move(handler)));
}

void ChannelStore::forget(const std::string& name, Handler<Done> handler) {
  auto keys = channel_keys(name);
  client_->command({"DEL", keys[0], keys[2], keys[3]}, [handler = std::move(handler)](Result<Reply> reply) {
    if (!reply.ok()) return handler(reply.error());
    handler(Done{});
  });
}

void ChannelStore::heartbeat(Millis ttl, Handler<Done> handler) {
  // Never refused for the queue bound: a busy node is not a dead one.
  client_->command(
      {"SET", node_key(node_id_), "1", "PX", std::to_string(ttl.count())},
      [handler = std::move(handler)](Result<Reply> reply) {
        if (!reply.ok()) return handler(reply.error());
        handler(Done{});
      },
      CommandOptions{Millis{0}, true});
}

void ChannelStore::node_alive(const std::string& node, Handler<bool> handler) {
  client_->command(
      {"EXISTS", node_key(node)},
      [handler = std::move(handler)](Result<Reply> reply) {
        if (!reply.ok()) return handler(reply.error());
        auto n = reply->as_integer();
        if (!n) return handler(make_error(Errc::protocol, "unexpected reply to EXISTS"));
        handler(*n > 0);
      },
      CommandOptions{kIdempotentDeadline, true});
}

void ChannelStore::evict(const std::string& name, Role role, const std::string& node, Handler<Done> handler) {
  auto args = channel_args(name);
  args.emplace_back(role_code(role));
  args.push_back(node);
  call(Op::evict, channel_keys(name), std::move(args), typed<Done>(&parse_done, std::move(handler)));
}

}  // namespace qrlogin::relay::redis
