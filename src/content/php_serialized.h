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

// Appends `text`, which must be exactly one serialized value, to `out` with each string
// value replaced by rewrite_string's output and its length prefix recomputed. Array keys,
// property names, class names, numbers and references are copied as they are. A C:
// (Serializable) payload is rewritten only when it is itself one well-formed value, and
// copied otherwise. Returns false if `text` is not well formed, or nested deeper than
// kMaxNesting; `out` then holds a partial copy to discard.
bool rewrite_serialized(std::string_view text, int depth, const StringRewrite& rewrite_string,
                        std::string& out);

}  // namespace wpfleet::content
