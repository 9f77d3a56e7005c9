#include "content/php_serialized.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <span>
#include <vector>

namespace wpfleet::content {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// `^X:[0-9]+:` as in WordPress's is_serialized().
bool has_length_prefix(std::string_view text) {
  std::size_t i = 2;
  while (i < text.size() && is_digit(text[i])) ++i;
  return i > 2 && i < text.size() && text[i] == ':';
}

// `^X:[0-9.E+-]+;$` as in WordPress's is_serialized(), strict.
bool is_scalar_shape(std::string_view text) {
  if (text.back() != ';') return false;
  for (char c : text.substr(2, text.size() - 3)) {
    if (!is_digit(c) && c != '.' && c != 'E' && c != '+' && c != '-') return false;
  }
  return text.size() > 3;
}

// Whether PHP reads the array key `s` as an integer: "0", or an optional '-' and digits
// without a leading zero that fit in a 64-bit integer ("-0", "05" and " 5" stay strings).
bool reads_as_integer(std::string_view s) {
  const std::string_view digits = s.starts_with('-') ? s.substr(1) : s;
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), is_digit)) return false;
  if (digits[0] == '0') return s == "0";
  long long value = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  return error == std::errc() && end == s.data() + s.size();
}

// A key as PHP tells keys apart: "12" and 12 are one key.
std::string key_identity(std::string_view bytes, bool integer) {
  if (integer) {
    long long value = 0;
    const auto [end, error] = std::from_chars(bytes.data() + (bytes.starts_with('+') ? 1 : 0),
                                              bytes.data() + bytes.size(), value);
    if (error == std::errc() && end == bytes.data() + bytes.size()) {
      return "i" + std::to_string(value);
    }
    return "i" + std::string(bytes);
  }
  return (reads_as_integer(bytes) ? "i" : "s") + std::string(bytes);
}

// A recursive-descent parser of PHP's unserialize() grammar (var_unserializer.re) that
// copies its input to `out_` as it goes, except string payloads, which it rewrites.
class Parser {
 public:
  Parser(std::string_view in, const SerializedRewrite& how, std::string& out)
      : in_(in), how_(how), out_(out) {}

  bool parse_whole(int depth) { return value(depth) && pos_ == in_.size(); }

 private:
  bool value(int depth) {
    if (depth > kMaxNesting || pos_ >= in_.size()) return false;
    const std::size_t start = pos_;
    switch (in_[pos_]) {
      case 'N':
        return copied_from(start, eat("N;"));
      case 'b':
        return copied_from(start, eat("b:") && (eat('0') || eat('1')) && eat(';'));
      case 'i':
        return copied_from(start, eat("i:") && eat_integer() && eat(';'));
      case 'd':
        return copied_from(start, eat("d:") && eat_float() && eat(';'));
      case 'r':
        return copied_from(start, eat("r:") && eat_length() && eat(';'));
      case 'R':
        return copied_from(start, eat("R:") && eat_length() && eat(';'));
      case 'E':
        return copied_from(start, eat("E:") && eat_quoted_name() && eat(';'));
      case 's':
        return string_value(depth, true);
      case 'a':
        return header_then_elements(start, eat("a:"), depth, bool(how_.rename_key));
      case 'O':
        return header_then_elements(start, eat("O:") && eat_quoted_name() && eat(':'), depth,
                                    false);
      case 'C':
        return custom_value(depth);
      default:
        return false;
    }
  }

  // Array keys and property names: an integer or a string, copied as is. Recorded in
  // keys_ when the array's keys may be renamed.
  bool key(bool record) {
    const std::size_t start = pos_, out_start = out_.size();
    std::string_view name;
    const bool integer = pos_ < in_.size() && in_[pos_] == 'i';
    if (integer) {
      if (!copied_from(start, eat("i:") && eat_integer())) return false;
      name = in_.substr(start + 2, pos_ - start - 2);
      if (!eat(';')) return false;
      out_ += ';';
    } else if (pos_ >= in_.size() || in_[pos_] != 's' || !string_value(0, false, &name)) {
      return false;
    }
    if (record) keys_.push_back({out_start, out_.size(), name, integer});
    return true;
  }

  bool string_value(int depth, bool rewrite, std::string_view* payload_out = nullptr) {
    const std::size_t start = pos_;
    std::size_t length = 0;
    if (!(eat("s:") && eat_length(&length) && eat(":\"")) || length > in_.size() - pos_) {
      return false;
    }
    const std::string_view payload = in_.substr(pos_, length);
    pos_ += length;
    if (!eat("\";")) return false;
    if (payload_out) *payload_out = payload;
    if (!rewrite) {
      out_.append(in_.substr(start, pos_ - start));
      return true;
    }
    std::string rewritten;
    how_.string(payload, depth + 1, rewritten);
    out_ += "s:" + std::to_string(rewritten.size()) + ":\"";
    out_ += rewritten;
    out_ += "\";";
    return true;
  }

  // `a:N:{...}` and `O:len:"Class":N:{...}`: `header_ok` has consumed up to N.
  bool header_then_elements(std::size_t start, bool header_ok, int depth, bool rename_keys) {
    std::size_t count = 0;
    if (!(header_ok && eat_length(&count) && eat(":{"))) return false;
    out_.append(in_.substr(start, pos_ - start));
    // keys_ is a stack: the keys of arrays nested in this one's values come and go above.
    const std::size_t first_key = keys_.size();
    for (std::size_t i = 0; i < count; ++i) {
      if (!key(rename_keys) || !value(depth + 1)) return false;
    }
    if (!eat('}')) return false;
    if (rename_keys) {
      rename_keys_from(first_key);
      keys_.resize(first_key);
    }
    out_ += '}';
    return true;
  }

  // Renames the string keys of keys_[first...] (copied to out_ as they were) that
  // how_.rename_key renames, except those whose new name another key of the array has.
  void rename_keys_from(std::size_t first) {
    const std::span<Key> keys(keys_.data() + first, keys_.size() - first);
    std::vector<std::string> new_names(keys.size());
    std::vector<bool> renamed(keys.size(), false);
    for (std::size_t k = 0; k < keys.size(); ++k) {
      if (!keys[k].integer) renamed[k] = how_.rename_key(keys[k].name, new_names[k]);
    }
    if (std::find(renamed.begin(), renamed.end(), true) == renamed.end()) return;
    // Undo every rename to a name that two keys have, then look again: an undone rename
    // brings its old name back, which another rename may have taken.
    std::vector<bool> kept(keys.size(), false);
    for (bool undone = true; undone;) {
      undone = false;
      std::map<std::string, int> names;
      std::vector<std::string> identities(keys.size());
      for (std::size_t k = 0; k < keys.size(); ++k) {
        const bool is_renamed = renamed[k] && !kept[k];
        identities[k] = is_renamed ? key_identity(new_names[k], false)
                                   : key_identity(keys[k].name, keys[k].integer);
        ++names[identities[k]];
      }
      for (std::size_t k = 0; k < keys.size(); ++k) {
        if (renamed[k] && !kept[k] && names[identities[k]] > 1) kept[k] = undone = true;
      }
    }
    const std::size_t elements_start = keys.front().begin;
    const std::string elements = out_.substr(elements_start);
    out_.resize(elements_start);
    std::size_t copied = elements_start;
    for (std::size_t k = 0; k < keys.size(); ++k) {
      if (!renamed[k]) continue;
      if (kept[k]) {
        how_.key_kept(keys[k].name);
        continue;
      }
      out_.append(elements, copied - elements_start, keys[k].begin - copied);
      const std::string& name = new_names[k];
      if (reads_as_integer(name)) {
        out_ += "i:" + name + ";";
      } else {
        out_ += "s:" + std::to_string(name.size()) + ":\"" + name + "\";";
      }
      copied = keys[k].end;
    }
    out_.append(elements, copied - elements_start);
  }

  // `C:len:"Class":N:{payload}`: the payload is whatever the class's serialize() made.
  bool custom_value(int depth) {
    const std::size_t start = pos_;
    std::size_t length = 0;
    if (!(eat("C:") && eat_quoted_name() && eat(':'))) return false;
    const std::string_view name_part = in_.substr(start, pos_ - start);
    if (!(eat_length(&length) && eat(":{")) || length > in_.size() - pos_) return false;
    const std::string_view payload = in_.substr(pos_, length);
    pos_ += length;
    if (!eat('}')) return false;
    std::string rewritten;
    if (!is_one_value(payload, depth + 1) ||
        !Parser(payload, how_, rewritten).parse_whole(depth + 1)) {
      out_.append(in_.substr(start, pos_ - start));
      return true;
    }
    out_.append(name_part);
    out_ += std::to_string(rewritten.size()) + ":{" + rewritten + "}";
    return true;
  }

  static bool is_one_value(std::string_view text, int depth) {
    const SerializedRewrite copy{
        .string = [](std::string_view payload, int, std::string& out) { out += payload; },
        .rename_key = {},
        .key_kept = {}};
    std::string scratch;
    return Parser(text, copy, scratch).parse_whole(depth);
  }

  // Copies what was parsed since `start` if it parsed.
  bool copied_from(std::size_t start, bool ok) {
    if (ok) out_.append(in_.substr(start, pos_ - start));
    return ok;
  }

  bool eat(char c) {
    if (pos_ >= in_.size() || in_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool eat(std::string_view s) {
    if (in_.substr(pos_).starts_with(s)) {
      pos_ += s.size();
      return true;
    }
    return false;
  }
  std::size_t eat_digits() {
    const std::size_t start = pos_;
    while (pos_ < in_.size() && is_digit(in_[pos_])) ++pos_;
    return pos_ - start;
  }
  // An unsigned decimal; lengths beyond the input are only compared, never used.
  bool eat_length(std::size_t* value = nullptr) {
    const std::size_t start = pos_;
    if (eat_digits() == 0 || pos_ - start > 18) return false;
    if (value) *value = std::stoull(std::string(in_.substr(start, pos_ - start)));
    return true;
  }
  bool eat_sign() { return eat('+') || eat('-'); }
  bool eat_integer() {
    eat_sign();
    return eat_digits() > 0;
  }
  // iv | nv | nvexp | NAN | INF | -INF
  bool eat_float() {
    if (eat("NAN") || eat("INF") || eat("-INF")) return true;
    eat_sign();
    std::size_t digits = eat_digits();
    if (eat('.')) digits += eat_digits();
    if (digits == 0) return false;
    if (eat('e') || eat('E')) return eat_integer();
    return true;
  }
  // `len:"name"` where the name is len bytes.
  bool eat_quoted_name() {
    std::size_t length = 0;
    if (!(eat_length(&length) && eat(":\"")) || length > in_.size() - pos_) return false;
    pos_ += length;
    return eat('"');
  }

  // An array key as copied to out_[begin, end).
  struct Key {
    std::size_t begin, end;
    std::string_view name;  // the string's bytes, or the integer's digits
    bool integer;
  };

  std::string_view in_;
  const SerializedRewrite& how_;
  std::string& out_;
  std::size_t pos_ = 0;
  std::vector<Key> keys_;
};

}  // namespace

bool looks_serialized(std::string_view text) {
  if (text == "N;") return true;
  if (text.size() < 4 || text[1] != ':') return false;
  if (text.back() != ';' && text.back() != '}') return false;
  switch (text[0]) {
    case 's':
      return text[text.size() - 2] == '"' && has_length_prefix(text);
    case 'a':
    case 'O':
    case 'C':
    case 'E':
      return has_length_prefix(text);
    case 'b':
    case 'i':
    case 'd':
      return is_scalar_shape(text);
    default:
      return false;
  }
}

bool rewrite_serialized(std::string_view text, int depth, const SerializedRewrite& how,
                        std::string& out) {
  return Parser(text, how, out).parse_whole(depth);
}

}  // namespace wpfleet::content
