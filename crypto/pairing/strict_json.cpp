#include "crypto/pairing/strict_json.hpp"

#include <string>
#include <vector>

#include "crypto/secret.hpp"

namespace qrlogin::pairing {

namespace {

using nlohmann::json;

bool starts_with_bom(ByteView text) noexcept {
  return text.size() >= 3 && text[0] == 0xef && text[1] == 0xbb && text[2] == 0xbf;
}

// A member name as the message shows it: JSON-quoted, or left out when long.
constexpr std::size_t kMaxNameInMessage = 40;
std::string twice_message(const std::string& name) {
  std::string quoted = json(name).dump(-1, ' ', false, json::error_handler_t::replace);
  if (quoted.size() > kMaxNameInMessage) return "has the same member name twice in one object";
  return "has the member name " + quoted + " twice";
}

// Builds the value from nlohmann's SAX events (its parser is iterative), so
// depth and duplicate names are refused as they are read.
class StrictBuilder {
 public:
  explicit StrictBuilder(json& root) : root_(root) {}

  bool null() { return add(nullptr); }
  bool boolean(bool value) { return add(value); }
  bool number_integer(json::number_integer_t value) { return add(value); }
  bool number_unsigned(json::number_unsigned_t value) { return add(value); }
  bool number_float(json::number_float_t value, const json::string_t&) { return add(value); }
  bool string(json::string_t& value) { return add(std::move(value)); }  // no copy left behind
  bool binary(json::binary_t&) { return refuse("is not valid JSON"); }  // JSON text has no binary values
  bool start_object(std::size_t) { return open(json::value_t::object); }
  bool start_array(std::size_t) { return open(json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(json::string_t& name) {
    json& object = *open_.back();
    if (object.contains(name)) return refuse(twice_message(name));
    member_ = &object[name];
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const json::exception& ex) {
    std::string_view what = ex.what();
    if (ex.id == 406) return refuse("has a number too large for a double");  // nlohmann: "number overflow"
    if (what.find("surrogate") != std::string_view::npos)
      return refuse("has a lone surrogate escape (\\uD800 to \\uDFFF without its pair)");
    return refuse("is not valid JSON");
  }

  // Empty until a rule was broken; then what follows the subject.
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  json* place(json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& container = *open_.back();
    if (container.is_array()) {
      container.push_back(std::move(value));
      return &container.back();
    }
    *member_ = std::move(value);
    return member_;
  }
  bool add(json value) {
    place(std::move(value));
    return true;
  }
  bool open(json::value_t type) {
    if (open_.size() == kMaxJsonDepth) return refuse("nests more than 32 levels deep");
    open_.push_back(place(json(type)));
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }
  bool refuse(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  json& root_;
  std::vector<json*> open_;  // the containers being filled, outermost first
  json* member_ = nullptr;   // the object member the next value goes to
  std::string error_;
};

std::string message_for(std::string_view subject, const std::string& problem) {
  // "is not valid JSON" reads after the subject; the rest after its JSON.
  if (problem.starts_with("is ")) return std::string(subject) + " " + problem;
  return std::string(subject) + "'s JSON " + problem;
}

}  // namespace

void wipe_json(nlohmann::json& root) noexcept {
  std::vector<json*> pending{&root};
  while (!pending.empty()) {
    auto* value = pending.back();
    pending.pop_back();
    if (value->is_string()) {
      secure_wipe(value->get_ref<std::string&>());
    } else if (value->is_structured()) {
      for (auto& child : *value) pending.push_back(&child);
    }
  }
}

Result<nlohmann::json> parse_strict_json(ByteView text, Errc code, std::string_view subject) {
  if (!is_valid_utf8(text)) return make_error(code, std::string(subject) + " is not valid UTF-8");
  if (starts_with_bom(text)) return make_error(code, std::string(subject) + " starts with a byte order mark (U+FEFF)");
  // nlohmann's lexer takes a NUL byte for the end of the input, so it would
  // accept `{"a":1}<NUL>anything`. JSON has no raw NUL anywhere: the text
  // up to the first one is parsed (so an earlier fault is reported as
  // such), and a NUL after a complete value is refused.
  auto chars = as_chars(text);
  auto nul = chars.find('\0');
  if (nul != std::string_view::npos) chars = chars.substr(0, nul);
  json value;
  StrictBuilder builder(value);
  bool parsed = json::sax_parse(chars.begin(), chars.end(), &builder);
  if (parsed && nul == std::string_view::npos) return value;
  wipe_json(value);
  return make_error(code, message_for(subject, builder.error().empty() ? "is not valid JSON" : builder.error()));
}

Status check_strict_json(ByteView text, Errc code, std::string_view subject) {
  auto value = parse_strict_json(text, code, subject);
  if (!value) return value.error();
  wipe_json(*value);
  return {};
}

}  // namespace qrlogin::pairing
