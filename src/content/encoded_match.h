// Matching a pattern in text where the pattern may be written escaped, as JSON encoders
// (`\/`, `\"`, `\\`, `\n`, `\u002F`) or URL encoders (`%2F`) write it, and writing a replacement in
// the same escaped form. Knows nothing of FROM/TO pairs; see replacer.h for those rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wpfleet::content {

// Bytes that JSON and URL encoders never escape, so a pattern's copy of them must appear
// as is. Also what host names are made of (with '-').
inline bool is_unescaped_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '~';
}
inline bool is_alnum_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// How one byte of the pattern was written in the text (JsonShort: `\/`, `\"`, `\n`...).
enum class Escape : std::uint8_t { None, JsonShort, JsonUnicode, Percent };
struct ByteForm {
  Escape escape = Escape::None;
  bool upper_hex = false;  // `\u002F` / `%2F` rather than `\u002f` / `%2f`
};

// Matches `pattern` at text[pos]. Each pattern byte outside is_unescaped_byte may be
// escaped; JSON and URL escapes are not mixed in one match. A `\` or `%` of the pattern
// matches the same byte of the text if the rest then matches, else the escape it starts. Returns
// the matched length and records in forms[i] how pattern[i] was written (forms.size() >=
// pattern.size()).
std::optional<std::size_t> match_encoded(std::string_view text, std::size_t pos,
                                         std::string_view pattern, std::span<ByteForm> forms);

// Appends `replacement`, escaping replacement[i] like the matched pattern byte
// forms[source[i]]. A byte with source[i] < 0 is written as is, unless the match used
// escapes (forms holds one form per matched pattern byte) and that byte must be escaped
// there: as JSON requires (`"`, `\`, control bytes: TO must not end the JSON string it is
// written into), or URL-encoded if it is not printable ASCII.
void write_encoded(std::string_view replacement, std::span<const int> source,
                   std::span<const ByteForm> forms, std::string& out);

// For each byte of `replacement`, the index of its first occurrence in `pattern`, or -1.
std::vector<int> first_occurrences(std::string_view replacement, std::string_view pattern);

// The byte at text[pos] with any escape a URL's own characters take decoded (`\/`,
// `\uXXXX`, `%XX`: not `\n` or `\"`, so that url mode's host boundaries stay what they
// always were), and how many bytes it took; nothing at the end.
struct DecodedByte {
  unsigned char byte;
  std::size_t length;
};
std::optional<DecodedByte> decoded_at(std::string_view text, std::size_t pos);
// The character that ends right before text[pos], escapes decoded, or nothing at 0.
std::optional<unsigned char> decoded_before(std::string_view text, std::size_t pos);

}  // namespace wpfleet::content
