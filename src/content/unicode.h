// Code points and their UTF-8 and hex spellings, shared by the JSON and the escaped-form
// matchers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wpfleet::content {

// The value of a hex digit, or -1.
int hex_digit_value(char c);

// The value of `count` hex digits at text[pos], or -1 if any is missing or not a digit.
long hex_at(std::string_view text, std::size_t pos, std::size_t count);

void append_utf8(std::uint32_t code_point, std::string& out);

struct CodePoint {
  std::uint32_t value;
  std::size_t length;  // of its UTF-8 sequence
};
// The UTF-8 sequence at s[pos] (which is >= 0x80), or nothing if it is not valid UTF-8
// (overlong forms and surrogates included).
std::optional<CodePoint> utf8_at(std::string_view s, std::size_t pos);

// Whether `value` is a code point that UTF-8 can carry (not a surrogate, not above U+10FFFF).
inline bool is_scalar_value(std::uint32_t value) {
  return value <= 0x10ffff && (value < 0xd800 || value > 0xdfff);
}

}  // namespace wpfleet::content
