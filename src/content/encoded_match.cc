#include "content/encoded_match.h"

#include <algorithm>
#include <array>

#include "content/json_text.h"
#include "content/unicode.h"

namespace wpfleet::content {
namespace {

constexpr std::size_t kJsonUnicodeLength = 6;  // \uXXXX
constexpr std::size_t kPercentLength = 3;      // %XX
constexpr std::size_t kHtmlHexDigits = 6;      // &#x10FFFF; and &#x00002F;
constexpr std::size_t kHtmlDecimalDigits = 7;  // &#1114111; and &#0000047;

bool has_upper_hex(std::string_view digits) {
  for (char c : digits) {
    if (c >= 'A' && c <= 'F') return true;
  }
  return false;
}

// HTML's named character references for the ASCII characters an encoder may escape.
struct NamedReference {
  std::string_view name;
  char c;
};
constexpr NamedReference kNamedReferences[] = {
    {"amp", '&'},    {"quot", '"'},   {"apos", '\''}, {"lt", '<'},     {"gt", '>'},
    {"sol", '/'},    {"colon", ':'},  {"quest", '?'}, {"equals", '='}, {"num", '#'},
    {"percnt", '%'}, {"commat", '@'}, {"plus", '+'},  {"comma", ','},  {"semi", ';'},
    {"excl", '!'},   {"lpar", '('},   {"rpar", ')'},  {"lsqb", '['},   {"rsqb", ']'},
    {"lcub", '{'},   {"rcub", '}'},   {"bsol", '\\'}, {"verbar", '|'}, {"dollar", '$'},
    {"ast", '*'},    {"Hat", '^'},    {"grave", '`'}, {"tilde", '~'}};
constexpr std::size_t kLongestName = 6;

std::string_view reference_name(unsigned char c) {
  for (const NamedReference& r : kNamedReferences) {
    if (static_cast<unsigned char>(r.c) == c) return r.name;
  }
  return {};
}

// An escape at text[pos]: what it stands for (a code point, or a byte for %XX), how long
// it is and how it was written.
struct DecodedEscape {
  std::uint32_t value;
  std::size_t length;
  ByteForm form;
  bool is_byte = false;  // %XX: one byte of a UTF-8 sequence rather than a character
};

bool json_requires_escape(unsigned char byte) { return byte == '"' || byte == '\\' || byte < 0x20; }

// A JSON escape at text[pos]: all of them for pattern bytes; for neighbours only `\/` and
// `\u` (see decoded_at). A surrogate pair is one code point.
std::optional<DecodedEscape> json_escape_at(std::string_view text, std::size_t pos,
                                            bool every_short_escape) {
  if (pos + 1 >= text.size() || text[pos] != '\\') return std::nullopt;
  const char letter = text[pos + 1];
  if (letter == '/' || (every_short_escape && letter != 'u')) {
    const auto byte = json_short_escaped_char(letter);
    if (!byte) return std::nullopt;
    return DecodedEscape{static_cast<unsigned char>(*byte), 2, {Escape::JsonShort, false, 0}};
  }
  if (letter != 'u') return std::nullopt;
  const long unit = hex_at(text, pos + 2, 4);
  if (unit < 0 || (unit >= 0xdc00 && unit <= 0xdfff)) return std::nullopt;
  bool upper = has_upper_hex(text.substr(pos + 2, 4));
  if (unit < 0xd800 || unit > 0xdbff) {
    return DecodedEscape{
        static_cast<std::uint32_t>(unit), kJsonUnicodeLength, {Escape::JsonUnicode, upper, 0}};
  }
  const std::size_t low_at = pos + kJsonUnicodeLength;
  if (low_at + 1 >= text.size() || text[low_at] != '\\' || text[low_at + 1] != 'u') {
    return std::nullopt;
  }
  const long low = hex_at(text, low_at + 2, 4);
  if (low < 0xdc00 || low > 0xdfff) return std::nullopt;
  upper = upper || has_upper_hex(text.substr(low_at + 2, 4));
  return DecodedEscape{
      static_cast<std::uint32_t>(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)),
      2 * kJsonUnicodeLength,
      {Escape::JsonUnicode, upper, 0}};
}

std::optional<DecodedEscape> percent_escape_at(std::string_view text, std::size_t pos) {
  if (text[pos] != '%') return std::nullopt;
  const long value = hex_at(text, pos + 1, 2);
  if (value < 0) return std::nullopt;
  return DecodedEscape{static_cast<std::uint32_t>(value),
                       kPercentLength,
                       {Escape::Percent, has_upper_hex(text.substr(pos + 1, 2)), 0},
                       true};
}

// An HTML character reference at text[pos]: `&#x2F;`, `&#47;` (leading zeros kept, as
// in WordPress's `&#038;`) or a name of kNamedReferences, always with its ';'.
std::optional<DecodedEscape> html_escape_at(std::string_view text, std::size_t pos) {
  if (text[pos] != '&' || pos + 1 >= text.size()) return std::nullopt;
  std::size_t at = pos + 1;
  if (text[at] != '#') {
    while (at < text.size() && at - pos <= kLongestName && is_alnum_byte(text[at])) ++at;
    if (at >= text.size() || text[at] != ';') return std::nullopt;
    const std::string_view name = text.substr(pos + 1, at - pos - 1);
    for (const NamedReference& r : kNamedReferences) {
      if (r.name == name) {
        return DecodedEscape{
            static_cast<unsigned char>(r.c), at + 1 - pos, {Escape::HtmlNamed, false, 0}};
      }
    }
    return std::nullopt;
  }
  const bool hex = ++at < text.size() && (text[at] == 'x' || text[at] == 'X');
  if (hex) ++at;
  const std::size_t first_digit = at, most = hex ? kHtmlHexDigits : kHtmlDecimalDigits;
  std::uint32_t value = 0;
  while (at < text.size() && at - first_digit < most) {
    const int digit = hex ? hex_digit_value(text[at])
                          : (text[at] >= '0' && text[at] <= '9' ? text[at] - '0' : -1);
    if (digit < 0) break;
    value = value * (hex ? 16 : 10) + static_cast<std::uint32_t>(digit);
    ++at;
  }
  const std::size_t digits = at - first_digit;
  if (digits == 0 || at >= text.size() || text[at] != ';' || value == 0 ||
      !is_scalar_value(value)) {
    return std::nullopt;
  }
  const ByteForm form{hex ? Escape::HtmlHex : Escape::HtmlDecimal,
                      hex && has_upper_hex(text.substr(first_digit, digits)),
                      static_cast<std::uint8_t>(digits)};
  return DecodedEscape{value, at + 1 - pos, form};
}

enum class Family { Undecided, Json, Url, Html };

// The escape at text[pos] of `family`, or of any family while it is undecided.
std::optional<DecodedEscape> escape_at(std::string_view text, std::size_t pos, Family& family) {
  std::optional<DecodedEscape> escape;
  if ((family == Family::Undecided || family == Family::Json) &&
      (escape = json_escape_at(text, pos, true))) {
    family = Family::Json;
  } else if ((family == Family::Undecided || family == Family::Url) &&
             (escape = percent_escape_at(text, pos))) {
    family = Family::Url;
  } else if ((family == Family::Undecided || family == Family::Html) &&
             (escape = html_escape_at(text, pos))) {
    family = Family::Html;
  }
  return escape;
}

// How many bytes of `pattern`, from pattern[i], the escape stands for: 1, the length of
// the UTF-8 sequence of a non-ASCII code point, or 0 if it does not match there.
std::size_t matched_bytes(const DecodedEscape& escape, std::string_view pattern, std::size_t i) {
  if (escape.is_byte || escape.value < 0x80) {
    return escape.value == static_cast<unsigned char>(pattern[i]) ? 1 : 0;
  }
  std::string utf8;
  append_utf8(escape.value, utf8);
  return pattern.substr(i, utf8.size()) == utf8 ? utf8.size() : 0;
}

void append_hex(unsigned value, std::size_t digits, bool upper, std::string& out) {
  const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (int shift = static_cast<int>(digits - 1) * 4; shift >= 0; shift -= 4)
    out += alphabet[(value >> shift) & 0xf];
}

// One way of matching: `escapes_first` reads a `\`, `%` or `&` of the text that starts
// an escape as that escape even where the pattern has that very byte. Sets `other_way`
// when the other way could read the text differently (the pattern's `\`, `%` or `&` was
// matched as is), which is rare: most failed attempts need no second one.
std::optional<std::size_t> match_encoded_as(std::string_view text, std::size_t pos,
                                            std::string_view pattern, std::span<ByteForm> forms,
                                            bool escapes_first, bool& other_way) {
  Family family = Family::Undecided;
  std::size_t at = pos;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (at >= text.size()) return std::nullopt;
    const char wanted = pattern[i];
    std::optional<DecodedEscape> escape;
    const bool escapable = !is_unescaped_byte(static_cast<unsigned char>(wanted));
    if (escapable && (escapes_first || text[at] != wanted)) escape = escape_at(text, at, family);
    if (escape) {
      const std::size_t bytes = matched_bytes(*escape, pattern, i);
      if (bytes == 0) return std::nullopt;
      for (std::size_t b = i; b < i + bytes; ++b) forms[b] = escape->form;
      i += bytes - 1;
      at += escape->length;
    } else {
      if (text[at] != wanted) return std::nullopt;
      other_way = other_way || wanted == '\\' || wanted == '%' || wanted == '&';
      forms[i] = ByteForm{};
      ++at;
    }
  }
  return at - pos;
}

// The first escape an occurrence used (its family and hex case), or None.
ByteForm first_escape(std::span<const ByteForm> forms) {
  for (ByteForm form : forms) {
    if (form.escape != Escape::None) return form;
  }
  return {};
}

bool is_html(Escape e) {
  return e == Escape::HtmlHex || e == Escape::HtmlDecimal || e == Escape::HtmlNamed;
}

// In an occurrence written with escapes, the escape of a byte TO brings that FROM did
// not have: what JSON or an HTML attribute requires, or URL-encoding of what is not plain
// ASCII (hosts and paths, whatever else they are made of, stay as they are).
ByteForm unseen_byte_form(unsigned char byte, ByteForm escaped) {
  if (escaped.escape == Escape::Percent) {
    const bool url_special = byte >= 0x80 || byte <= 0x20 || byte == '"' || byte == '%';
    return url_special ? escaped : ByteForm{};
  }
  if (is_html(escaped.escape)) {
    if (byte == '\'') return {Escape::HtmlDecimal, false, 3};  // &#039;, as esc_attr()
    const bool special = byte == '&' || byte == '"' || byte == '<' || byte == '>';
    return special ? ByteForm{Escape::HtmlNamed, false, 0} : ByteForm{};
  }
  if (escaped.escape == Escape::None || !json_requires_escape(byte)) return {};
  return {
      json_short_escape_letter(static_cast<char>(byte)) ? Escape::JsonShort : Escape::JsonUnicode,
      false, 0};
}

// Appends one character (a byte, or the code point of a non-ASCII character) as `form`.
void append_escaped(std::uint32_t c, ByteForm form, std::string& out) {
  switch (form.escape) {
    case Escape::None:
      append_utf8(c, out);
      break;
    case Escape::JsonShort:
      out += '\\';
      out += json_short_escape_letter(static_cast<char>(c));
      break;
    case Escape::JsonUnicode:
      if (c >= 0x10000) {
        append_escaped(0xd800 + ((c - 0x10000) >> 10), form, out);
        c = 0xdc00 + ((c - 0x10000) & 0x3ff);
      }
      out += "\\u";
      append_hex(c, 4, form.upper_hex, out);
      break;
    case Escape::Percent:
      out += '%';
      append_hex(c, 2, form.upper_hex, out);
      break;
    case Escape::HtmlNamed:
      if (const std::string_view name = reference_name(static_cast<unsigned char>(c));
          c < 0x80 && !name.empty()) {
        out += '&';
        out += name;
        out += ';';
        break;
      }
      [[fallthrough]];
    case Escape::HtmlDecimal: {
      const std::string decimal = std::to_string(c);
      out += "&#";
      if (decimal.size() < form.digits) out.append(form.digits - decimal.size(), '0');
      out += decimal;
      out += ';';
      break;
    }
    case Escape::HtmlHex: {
      std::size_t digits = 1;
      while (c >> (4 * digits)) ++digits;
      out += "&#x";
      append_hex(c, std::max<std::size_t>(digits, form.digits), form.upper_hex, out);
      out += ';';
      break;
    }
  }
}

}  // namespace

std::optional<std::size_t> match_encoded(std::string_view text, std::size_t pos,
                                         std::string_view pattern, std::span<ByteForm> forms) {
  bool other_way = false;
  auto length = match_encoded_as(text, pos, pattern, forms, false, other_way);
  if (!length && other_way) length = match_encoded_as(text, pos, pattern, forms, true, other_way);
  return length;
}

void write_encoded(std::string_view replacement, std::span<const int> source,
                   std::span<const ByteForm> forms, std::string& out) {
  const ByteForm escaped = first_escape(forms);
  for (std::size_t i = 0; i < replacement.size(); ++i) {
    const auto byte = static_cast<unsigned char>(replacement[i]);
    const ByteForm form = source[i] < 0 ? unseen_byte_form(byte, escaped) : forms[source[i]];
    if (form.escape == Escape::None) {
      out += static_cast<char>(byte);
      continue;
    }
    // A JSON or HTML escape stands for a whole character; %XX for each of its bytes.
    if (byte >= 0x80 && form.escape != Escape::Percent) {
      if (const auto cp = utf8_at(replacement, i)) {
        append_escaped(cp->value, form, out);
        i += cp->length - 1;
      } else {
        out += static_cast<char>(byte);  // not UTF-8: no escape can stand for it
      }
      continue;
    }
    append_escaped(byte, form, out);
  }
}

std::vector<int> first_occurrences(std::string_view replacement, std::string_view pattern) {
  std::vector<int> source(replacement.size(), -1);
  int first_non_ascii = -1;
  for (std::size_t i = 0; i < pattern.size() && first_non_ascii < 0; ++i) {
    if (static_cast<unsigned char>(pattern[i]) >= 0x80) first_non_ascii = static_cast<int>(i);
  }
  for (std::size_t i = 0; i < replacement.size(); ++i) {
    const std::size_t found = pattern.find(replacement[i]);
    if (found != std::string_view::npos) {
      source[i] = static_cast<int>(found);
    } else if (static_cast<unsigned char>(replacement[i]) >= 0x80) {
      source[i] = first_non_ascii;
    }
  }
  return source;
}

namespace {
// A neighbour's escape: JSON's `\/` and `\u`, %XX or an HTML reference.
std::optional<DecodedEscape> neighbour_escape_at(std::string_view text, std::size_t pos) {
  if (auto escape = json_escape_at(text, pos, false)) return escape;
  if (auto escape = percent_escape_at(text, pos)) return escape;
  return html_escape_at(text, pos);
}

unsigned char first_byte(const DecodedEscape& escape) {
  if (escape.is_byte || escape.value < 0x80) return static_cast<unsigned char>(escape.value);
  std::string utf8;
  append_utf8(escape.value, utf8);
  return static_cast<unsigned char>(utf8[0]);
}
}  // namespace

std::optional<DecodedByte> decoded_at(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return std::nullopt;
  if (auto escape = neighbour_escape_at(text, pos)) {
    return DecodedByte{first_byte(*escape), escape->length};
  }
  return DecodedByte{static_cast<unsigned char>(text[pos]), 1};
}

std::optional<unsigned char> decoded_before(std::string_view text, std::size_t pos) {
  if (pos == 0) return std::nullopt;
  const std::array<std::size_t, 4> lengths = {2 * kJsonUnicodeLength, kJsonUnicodeLength,
                                              kPercentLength, 2};
  for (std::size_t length : lengths) {
    if (pos < length) continue;
    std::optional<DecodedEscape> escape = json_escape_at(text, pos - length, false);
    if (!escape) escape = percent_escape_at(text, pos - length);
    if (escape && escape->length == length) return first_byte(*escape);
  }
  if (text[pos - 1] == ';') {  // an HTML reference ends here if its '&' is near
    for (std::size_t length = 4; length <= kLongestEscapePerByte && length <= pos; ++length) {
      if (text[pos - length] != '&') continue;
      const auto escape = html_escape_at(text, pos - length);
      if (escape && escape->length == length) return first_byte(*escape);
      break;
    }
  }
  return static_cast<unsigned char>(text[pos - 1]);
}

}  // namespace wpfleet::content
