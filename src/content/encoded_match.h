// Matching a pattern in text where the pattern may be written escaped, as JSON encoders
// (`\/`, `\"`, `\\`, `\n`, `\u002F`, `\u00e9`), URL encoders (`%2F`) or HTML attribute
// encoders (`&#x2F;`, `&#47;`, `&amp;`) write it, and writing a replacement in the same
// escaped form. Knows nothing of FROM/TO pairs; see replacer.h for those rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wpfleet::content {

// Bytes that JSON, URL and HTML encoders never escape, so a pattern's copy of them must
// appear as is. Also what host names are made of (with '-').
inline bool is_unescaped_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '~';
}
inline bool is_alnum_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The most text one escaped pattern byte may take (`&#x00002F;`), which bounds how far
// before a verbatim part of the pattern an occurrence can start.
inline constexpr std::size_t kLongestEscapePerByte = 10;

// How one byte of the pattern was written in the text (JsonShort: `\/`, `\"`, `\n`...;
// Html*: `&#x2F;`, `&#047;`, `&sol;`). A non-ASCII character escaped as one code point
// (`\u2600`, `&#9728;`) gives each of its bytes the same form.
enum class Escape : std::uint8_t {
  None,
  JsonShort,
  JsonUnicode,
  Percent,
  HtmlHex,
  HtmlDecimal,
  HtmlNamed
};
struct ByteForm {
  Escape escape = Escape::None;
  bool upper_hex = false;   // `\u002F` / `%2F` / `&#x2F;` rather than `\u002f` ...
  std::uint8_t digits = 0;  // HtmlHex, HtmlDecimal: at least this many (`&#038;`: 3)
};

// Matches `pattern` at text[pos]. Each pattern byte outside is_unescaped_byte may be
// escaped; escapes of two families (JSON, URL, HTML) are not mixed in one match. A `\`,
// `%` or `&` of the pattern matches the same byte of the text if the rest then matches,
// else the escape it starts. Returns the matched length and records in forms[i] how
// pattern[i] was written (forms.size() >= pattern.size()).
std::optional<std::size_t> match_encoded(std::string_view text, std::size_t pos,
                                         std::string_view pattern, std::span<ByteForm> forms);

// Appends `replacement`, escaping replacement[i] like the matched pattern byte
// forms[source[i]] (a non-ASCII character as one code point when that form is a JSON or
// HTML escape). A byte with source[i] < 0 is written as is, unless the match used
// escapes (forms holds one form per matched pattern byte) and that byte must be escaped
// there so that TO cannot end the string or attribute it is written into: as JSON
// requires (`"`, `\`, control bytes), as HTML attributes require (`&`, `"`, `'`, `<`,
// `>`, as WordPress's esc_attr() writes them), or URL-encoded if not printable ASCII.
void write_encoded(std::string_view replacement, std::span<const int> source,
                   std::span<const ByteForm> forms, std::string& out);

// For each byte of `replacement`, the index of its first occurrence in `pattern`; for a
// non-ASCII byte that `pattern` lacks, its first non-ASCII byte (encoders write all
// non-ASCII characters alike); else -1.
std::vector<int> first_occurrences(std::string_view replacement, std::string_view pattern);

// The byte at text[pos] with any escape a URL's own characters take decoded (`\/`,
// `\uXXXX`, `%XX`, HTML character references: not `\n` or `\"`, so that url mode's host
// boundaries stay what they always were), and how many bytes it took; nothing at the
// end. A non-ASCII code point decodes to its first UTF-8 byte.
struct DecodedByte {
  unsigned char byte;
  std::size_t length;
};
std::optional<DecodedByte> decoded_at(std::string_view text, std::size_t pos);
// The character that ends right before text[pos], escapes decoded, or nothing at 0.
std::optional<unsigned char> decoded_before(std::string_view text, std::size_t pos);

}  // namespace wpfleet::content
