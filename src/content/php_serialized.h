// PHP's serialize() format, in which WordPress stores options, widgets, theme mods and
// meta. A string's length prefix counts bytes, so replacing text inside it must rewrite
// the prefix; anything we cannot parse exactly is left alone rather than "fixed".
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace wpfleet::content {

// Deeper values are treated as malformed (PHP's own unserialize_max_depth is 4096;
// WordPress data is a few levels deep), which bounds our recursion.
inline constexpr int kMaxNesting = 512;

// Whether WordPress would unserialize `text`: its is_serialized() in strict mode (no
// surrounding whitespace here), plus C: and E: values.
bool looks_serialized(std::string_view text);

// Rewrites one string value's payload at nesting `depth`, appending the result.
using StringRewrite = std::function<void(std::string_view payload, int depth, std::string& out)>;
// Renames a string key of an array: appends the new key to `out` and returns true, or
// returns false to keep it.
using KeyRename = std::function<bool(std::string_view key, std::string& out)>;
// Told of a key whose rename was not done because its new name is the name of another
// key of the same array (PHP would keep one of the two values).
using KeyKept = std::function<void(std::string_view key)>;

struct SerializedRewrite {
  StringRewrite string;  // every string value
  KeyRename rename_key;  // may be empty: keys stay as they are
  KeyKept key_kept;      // needed with rename_key
};

// Appends `text`, which must be exactly one serialized value, to `out` with each string
// value replaced by how.string's output and its length prefix recomputed, and the string
// keys of arrays renamed by how.rename_key. A renamed key that PHP reads as an integer
// ("12") is written as one (i:12;), as PHP's serialize() would. A rename that would give
// two keys of one array the same name is not done (a key renamed to the name of a key
// that stays, or two keys renamed to one name) and passed to how.key_kept; until none
// would. Integer keys, property names, class names, numbers and references are copied
// as they are. A C: (Serializable) payload is rewritten only when it is itself one
// well-formed value, and copied otherwise. Returns false if `text` is not well formed,
// or nested deeper than kMaxNesting; `out` then holds a partial copy to discard.
bool rewrite_serialized(std::string_view text, int depth, const SerializedRewrite& how,
                        std::string& out);

}  // namespace wpfleet::content
