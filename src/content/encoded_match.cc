#include "content/encoded_match.h"

#include "content/json_text.h"

namespace wpfleet::content {
namespace {

constexpr std::size_t kJsonUnicodeLength = 6;  // \uXXXX
constexpr std::size_t kPercentLength = 3;      // %XX

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool has_upper_hex(std::string_view digits) {
  for (char c : digits) {
    if (c >= 'A' && c <= 'F') return true;
  }
  return false;
}

// The value of `count` hex digits at text[pos], or -1.
int hex_at(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    int digit = hex_value(text[pos + i]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

// An escape at text[pos] and what it decodes to (ASCII only for \u, since a non-ASCII
// code point is several bytes in the pattern).
struct DecodedEscape {
  unsigned char byte;
  std::size_t length;
  ByteForm form;
};

bool json_requires_escape(unsigned char byte) { return byte == '"' || byte == '\\' || byte < 0x20; }

// A JSON escape at text[pos]: all of them for pattern bytes; for neighbours only `\/` and
// `\u` (see decoded_at).
std::optional<DecodedEscape> json_escape_at(std::string_view text, std::size_t pos,
                                            bool every_short_escape) {
  if (pos + 1 >= text.size() || text[pos] != '\\') return std::nullopt;
  const char letter = text[pos + 1];
  if (letter == '/' || (every_short_escape && letter != 'u')) {
    const auto byte = json_short_escaped_char(letter);
    if (!byte) return std::nullopt;
    return DecodedEscape{static_cast<unsigned char>(*byte), 2, {Escape::JsonShort, false}};
  }
  if (letter != 'u') return std::nullopt;
  int value = hex_at(text, pos + 2, 4);
  if (value < 0 || value > 0x7f) return std::nullopt;
  return DecodedEscape{static_cast<unsigned char>(value),
                       kJsonUnicodeLength,
                       {Escape::JsonUnicode, has_upper_hex(text.substr(pos + 2, 4))}};
}

std::optional<DecodedEscape> percent_escape_at(std::string_view text, std::size_t pos) {
  if (text[pos] != '%') return std::nullopt;
  int value = hex_at(text, pos + 1, 2);
  if (value < 0) return std::nullopt;
  return DecodedEscape{static_cast<unsigned char>(value),
                       kPercentLength,
                       {Escape::Percent, has_upper_hex(text.substr(pos + 1, 2))}};
}

enum class Family { Undecided, Json, Url };

void append_hex(unsigned value, int digits, bool upper, std::string& out) {
  const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
    out += alphabet[(value >> shift) & 0xf];
}

// One way of matching: `escapes_first` reads a `\` or `%` of the text that starts an
// escape as that escape even where the pattern has that very byte. Sets `other_way`
// when the other way could read the text differently (the pattern's `\` or `%` was
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
    if (escapable && (escapes_first || text[at] != wanted)) {
      if (family != Family::Url && (escape = json_escape_at(text, at, true))) {
        family = Family::Json;
      } else if (family != Family::Json && (escape = percent_escape_at(text, at))) {
        family = Family::Url;
      }
    }
    if (escape) {
      if (escape->byte != static_cast<unsigned char>(wanted)) return std::nullopt;
      forms[i] = escape->form;
      at += escape->length;
    } else {
      if (text[at] != wanted) return std::nullopt;
      other_way = other_way || wanted == '\\' || wanted == '%';
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

// In an occurrence written with escapes, the escape of a byte TO brings that FROM did
// not have: what JSON requires, or URL-encoding of what is not plain ASCII (hosts and
// paths, whatever else they are made of, stay as they are).
ByteForm unseen_byte_form(unsigned char byte, ByteForm escaped) {
  if (escaped.escape == Escape::Percent) {
    const bool url_special = byte >= 0x80 || byte <= 0x20 || byte == '"' || byte == '%';
    return url_special ? escaped : ByteForm{};
  }
  if (escaped.escape == Escape::None || !json_requires_escape(byte)) return {};
  return {
      json_short_escape_letter(static_cast<char>(byte)) ? Escape::JsonShort : Escape::JsonUnicode,
      false};
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
    switch (form.escape) {
      case Escape::None:
        out += static_cast<char>(byte);
        break;
      case Escape::JsonShort:
        out += '\\';
        out += json_short_escape_letter(static_cast<char>(byte));
        break;
      case Escape::JsonUnicode:
        out += "\\u";
        append_hex(byte, 4, form.upper_hex, out);
        break;
      case Escape::Percent:
        out += '%';
        append_hex(byte, 2, form.upper_hex, out);
        break;
    }
  }
}

std::vector<int> first_occurrences(std::string_view replacement, std::string_view pattern) {
  std::vector<int> source(replacement.size(), -1);
  for (std::size_t i = 0; i < replacement.size(); ++i) {
    std::size_t found = pattern.find(replacement[i]);
    if (found != std::string_view::npos) source[i] = static_cast<int>(found);
  }
  return source;
}

std::optional<DecodedByte> decoded_at(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return std::nullopt;
  if (auto escape = json_escape_at(text, pos, false))
    return DecodedByte{escape->byte, escape->length};
  if (auto escape = percent_escape_at(text, pos)) return DecodedByte{escape->byte, escape->length};
  return DecodedByte{static_cast<unsigned char>(text[pos]), 1};
}

std::optional<unsigned char> decoded_before(std::string_view text, std::size_t pos) {
  if (pos == 0) return std::nullopt;
  for (std::size_t length : {kJsonUnicodeLength, kPercentLength, std::size_t{2}}) {
    if (pos < length) continue;
    std::optional<DecodedEscape> escape = json_escape_at(text, pos - length, false);
    if (!escape) escape = percent_escape_at(text, pos - length);
    if (escape && escape->length == length) return escape->byte;
  }
  return static_cast<unsigned char>(text[pos - 1]);
}

}  // namespace wpfleet::content
