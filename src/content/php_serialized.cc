#include "content/php_serialized.h"

#include <optional>

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

// A recursive-descent parser of PHP's unserialize() grammar (var_unserializer.re) that
// copies its input to `out_` as it goes, except string payloads, which it rewrites.
class Parser {
 public:
  Parser(std::string_view in, const StringRewrite& rewrite_string, std::string& out)
      : in_(in), rewrite_string_(rewrite_string), out_(out) {}

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
        return header_then_elements(start, eat("a:"), depth);
      case 'O':
        return header_then_elements(start, eat("O:") && eat_quoted_name() && eat(':'), depth);
      case 'C':
        return custom_value(depth);
      default:
        return false;
    }
  }

  // Array keys and property names: an integer or a string, copied as is.
  bool key() {
    const std::size_t start = pos_;
    if (pos_ < in_.size() && in_[pos_] == 'i') {
      return copied_from(start, eat("i:") && eat_integer() && eat(';'));
    }
    if (pos_ < in_.size() && in_[pos_] == 's') return string_value(0, false);
    return false;
  }

  bool string_value(int depth, bool rewrite) {
    const std::size_t start = pos_;
    std::size_t length = 0;
    if (!(eat("s:") && eat_length(&length) && eat(":\"")) || length > in_.size() - pos_) {
      return false;
    }
    const std::string_view payload = in_.substr(pos_, length);
    pos_ += length;
    if (!eat("\";")) return false;
    if (!rewrite) {
      out_.append(in_.substr(start, pos_ - start));
      return true;
    }
    std::string rewritten;
    rewrite_string_(payload, depth + 1, rewritten);
    out_ += "s:" + std::to_string(rewritten.size()) + ":\"";
    out_ += rewritten;
    out_ += "\";";
    return true;
  }

  // `a:N:{...}` and `O:len:"Class":N:{...}`: `header_ok` has consumed up to N.
  bool header_then_elements(std::size_t start, bool header_ok, int depth) {
    std::size_t count = 0;
    if (!(header_ok && eat_length(&count) && eat(":{"))) return false;
    out_.append(in_.substr(start, pos_ - start));
    for (std::size_t i = 0; i < count; ++i) {
      if (!key() || !value(depth + 1)) return false;
    }
    if (!eat('}')) return false;
    out_ += '}';
    return true;
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
        !Parser(payload, rewrite_string_, rewritten).parse_whole(depth + 1)) {
      out_.append(in_.substr(start, pos_ - start));
      return true;
    }
    out_.append(name_part);
    out_ += std::to_string(rewritten.size()) + ":{" + rewritten + "}";
    return true;
  }

  static bool is_one_value(std::string_view text, int depth) {
    const StringRewrite copy = [](std::string_view payload, int, std::string& out) {
      out += payload;
    };
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

  std::string_view in_;
  const StringRewrite& rewrite_string_;
  std::string& out_;
  std::size_t pos_ = 0;
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

bool rewrite_serialized(std::string_view text, int depth, const StringRewrite& rewrite_string,
                        std::string& out) {
  return Parser(text, rewrite_string, out).parse_whole(depth);
}

}  // namespace wpfleet::content
