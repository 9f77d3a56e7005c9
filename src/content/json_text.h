// JSON text as WordPress and plugins store it in a value: split into its strings, decode
// one, and encode a rewritten one the way the original was encoded.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wpfleet::content {

// JSON's two-character escapes (\" \\ \/ \b \f \n \r \t): the letter of a character's
// escape, or 0 when it has none; and the character a letter stands for, or nothing.
char json_short_escape_letter(char c);
std::optional<char> json_short_escaped_char(char letter);

// Cheap first test: starts with '{' or '[' and ends with '}' or ']'.
bool looks_like_json(std::string_view text);

struct JsonPiece {
  enum class Kind { Between, Key, String };
  Kind kind;
  std::string_view text;  // Key and String: the raw (escaped) contents, without the quotes
};

// Splits an object or array that is valid JSON (as strict as PHP's json_decode(), nested
// at most max_depth deep) into its strings — object keys apart — and the text between
// them. Nothing if it is not valid JSON.
std::optional<std::vector<JsonPiece>> split_json(std::string_view text, int max_depth);

// The value of a string's raw contents, or nothing if an escape is invalid.
std::optional<std::string> json_unescape(std::string_view raw);

// Appends `value` as the contents of a JSON string, each character escaped as it was in
// `original_raw` (JSON encoders are consistent per character: `\/` or `/`, `\u00e9` or
// UTF-8, `\u003c` or `<`), and characters it did not contain as JSON requires; non-ASCII
// characters \u-escaped, as json_encode() does, unless the original had them as UTF-8.
void json_escape_like(std::string_view value, std::string_view original_raw, std::string& out);

}  // namespace wpfleet::content
