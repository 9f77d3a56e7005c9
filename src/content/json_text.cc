#include "content/json_text.h"

#include <array>
#include <cstdint>

#include "content/unicode.h"

namespace wpfleet::content {
namespace {

// The four hex digits at raw[pos], or -1.
long hex4_at(std::string_view raw, std::size_t pos) { return hex_at(raw, pos, 4); }

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A recursive-descent validator of RFC 8259 JSON that records where strings are.
class JsonSplitter {
 public:
  JsonSplitter(std::string_view text, int max_depth) : text_(text), max_depth_(max_depth) {}

  std::optional<std::vector<JsonPiece>> split() {
    if (!value(0)) return std::nullopt;
    skip_space();
    if (pos_ != text_.size()) return std::nullopt;
    if (between_start_ < text_.size()) {
      pieces_.push_back({JsonPiece::Kind::Between, text_.substr(between_start_)});
    }
    return std::move(pieces_);
  }

 private:
  bool value(int depth) {
    skip_space();
    if (pos_ >= text_.size() || depth > max_depth_) return false;
    switch (text_[pos_]) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string(JsonPiece::Kind::String);
      case 't':
        return word("true");
      case 'f':
        return word("false");
      case 'n':
        return word("null");
      default:
        return number();
    }
  }

  bool object(int depth) {
    ++pos_;
    skip_space();
    if (eat('}')) return true;
    do {
      skip_space();
      if (!(peek('"') && string(JsonPiece::Kind::Key))) return false;
      skip_space();
      if (!eat(':') || !value(depth + 1)) return false;
      skip_space();
    } while (eat(','));
    return eat('}');
  }

  bool array(int depth) {
    ++pos_;
    skip_space();
    if (eat(']')) return true;
    do {
      if (!value(depth + 1)) return false;
      skip_space();
    } while (eat(','));
    return eat(']');
  }

  bool string(JsonPiece::Kind kind) {
    const std::size_t open = pos_++;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c < 0x20) return false;
      if (c != '\\') {
        ++pos_;
      } else if (pos_ + 1 < text_.size() && text_[pos_ + 1] == 'u') {
        if (hex4_at(text_, pos_ + 2) < 0) return false;
        pos_ += 6;
      } else if (pos_ + 1 < text_.size() &&
                 std::string_view("\"\\/bfnrt").find(text_[pos_ + 1]) != std::string_view::npos) {
        pos_ += 2;
      } else {
        return false;
      }
    }
    if (pos_ >= text_.size()) return false;
    if (open > between_start_) {
      pieces_.push_back(
          {JsonPiece::Kind::Between, text_.substr(between_start_, open - between_start_)});
    }
    pieces_.push_back({kind, text_.substr(open + 1, pos_ - open - 1)});
    between_start_ = ++pos_;
    return true;
  }

  // -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
  bool number() {
    eat('-');
    if (!eat('0')) {
      if (!digits()) return false;
    }
    if (eat('.') && !digits()) return false;
    if (eat('e') || eat('E')) {
      if (!eat('+')) eat('-');
      return digits();
    }
    return true;
  }

  bool digits() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    return pos_ > start;
  }
  bool word(std::string_view w) {
    if (!text_.substr(pos_).starts_with(w)) return false;
    pos_ += w.size();
    return true;
  }
  bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  void skip_space() {
    while (pos_ < text_.size() && is_json_space(text_[pos_])) ++pos_;
  }

  std::string_view text_;
  int max_depth_;
  std::size_t pos_ = 0;
  std::size_t between_start_ = 0;
  std::vector<JsonPiece> pieces_;
};

// How the original string wrote each ASCII character, and non-ASCII ones.
class EscapeStyle {
 public:
  enum class Form : std::uint8_t { Unseen, Raw, Short, Unicode };

  explicit EscapeStyle(std::string_view raw) {
    for (std::size_t i = 0; i < raw.size(); ++i) {
      const auto c = static_cast<unsigned char>(raw[i]);
      if (c != '\\' || i + 1 >= raw.size()) {
        if (c < 0x80) learn(c, Form::Raw);
        if (c >= 0x80) non_ascii_raw_ = true;
        continue;
      }
      const char letter = raw[++i];
      if (letter != 'u') {
        learn(static_cast<unsigned char>(json_short_escaped_char(letter).value_or(letter)),
              Form::Short);
        continue;
      }
      const long unit = hex4_at(raw, i + 1);
      for (std::size_t d = i + 1; d < i + 5 && d < raw.size(); ++d) {
        if (raw[d] >= 'A' && raw[d] <= 'F') upper_hex_ = true;
      }
      if (unit >= 0x80) non_ascii_escaped_ = true;
      if (unit >= 0 && unit < 0x80) learn(static_cast<unsigned char>(unit), Form::Unicode);
      i += 4;
    }
  }

  void append(std::string_view value, std::string& out) const {
    for (std::size_t i = 0; i < value.size(); ++i) {
      const auto c = static_cast<unsigned char>(value[i]);
      if (c < 0x80) {
        append_ascii(value[i], out);
      } else if (auto cp = escape_non_ascii() ? utf8_at(value, i) : std::nullopt) {
        append_unicode_escaped(cp->value, out);
        i += cp->length - 1;
      } else {
        out += value[i];  // UTF-8 as is (or not UTF-8, which no JSON encoder wrote)
      }
    }
  }

 private:
  void learn(unsigned char c, Form form) {
    if (forms_[c] == Form::Unseen) forms_[c] = form;
  }

  void append_ascii(char c, std::string& out) const {
    const auto byte = static_cast<unsigned char>(c);
    Form form = forms_[byte];
    if (form == Form::Unseen) {
      const bool must_escape = c == '"' || c == '\\' || byte < 0x20;
      form = !must_escape ? Form::Raw : json_short_escape_letter(c) ? Form::Short : Form::Unicode;
    }
    switch (form) {
      case Form::Short:
        out += '\\';
        out += json_short_escape_letter(c);
        break;
      case Form::Unicode:
        append_unit(byte, out);
        break;
      default:
        out += c;
        break;
    }
  }

  void append_unicode_escaped(std::uint32_t cp, std::string& out) const {
    if (cp < 0x10000) {
      append_unit(cp, out);
      return;
    }
    const std::uint32_t v = cp - 0x10000;
    append_unit(0xd800 + (v >> 10), out);
    append_unit(0xdc00 + (v & 0x3ff), out);
  }

  void append_unit(std::uint32_t unit, std::string& out) const {
    const char* alphabet = upper_hex_ ? "0123456789ABCDEF" : "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += alphabet[(unit >> shift) & 0xf];
  }

  std::array<Form, 128> forms_{};
  // Without a non-ASCII character in the original to learn from, do as json_encode()
  // does by default (and WordPress with it): escape them.
  bool escape_non_ascii() const { return non_ascii_escaped_ || !non_ascii_raw_; }

  bool non_ascii_escaped_ = false;
  bool non_ascii_raw_ = false;
  bool upper_hex_ = false;
};

}  // namespace

char json_short_escape_letter(char c) {
  switch (c) {
    case '"':
    case '\\':
    case '/':
      return c;
    case '\b':
      return 'b';
    case '\f':
      return 'f';
    case '\n':
      return 'n';
    case '\r':
      return 'r';
    case '\t':
      return 't';
    default:
      return 0;
  }
}

std::optional<char> json_short_escaped_char(char letter) {
  switch (letter) {
    case '"':
    case '\\':
    case '/':
      return letter;
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    default:
      return std::nullopt;
  }
}

bool looks_like_json(std::string_view text) {
  return text.size() >= 2 && ((text.front() == '{' && text.back() == '}') ||
                              (text.front() == '[' && text.back() == ']'));
}

std::optional<std::vector<JsonPiece>> split_json(std::string_view text, int max_depth) {
  if (!looks_like_json(text)) return std::nullopt;
  return JsonSplitter(text, max_depth).split();
}

std::optional<std::string> json_unescape(std::string_view raw) {
  std::string value;
  value.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      value += raw[i];
      continue;
    }
    if (++i >= raw.size()) return std::nullopt;
    if (raw[i] != 'u') {
      const auto unescaped = json_short_escaped_char(raw[i]);
      if (!unescaped) return std::nullopt;
      value += *unescaped;
      continue;
    }
    long unit = hex4_at(raw, i + 1);
    if (unit < 0 || (unit >= 0xdc00 && unit <= 0xdfff)) return std::nullopt;
    i += 4;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const long low =
          i + 2 < raw.size() && raw[i + 1] == '\\' && raw[i + 2] == 'u' ? hex4_at(raw, i + 3) : -1;
      if (low < 0xdc00 || low > 0xdfff) return std::nullopt;
      unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
      i += 6;
    }
    append_utf8(static_cast<std::uint32_t>(unit), value);
  }
  return value;
}

void json_escape_like(std::string_view value, std::string_view original_raw, std::string& out) {
  EscapeStyle(original_raw).append(value, out);
}

}  // namespace wpfleet::content
