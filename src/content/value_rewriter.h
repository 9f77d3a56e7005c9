// Rewriting one SQL string value: PHP-serialized data with its lengths recomputed, JSON
// whose strings may hold serialized data or JSON in turn, or plain text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "content/json_text.h"
#include "content/replacer.h"

namespace wpfleet::content {

struct ValueCounts {
  std::uint64_t replacements = 0;
  std::uint64_t malformed = 0;   // serialized values left as they were because they do not parse
  std::uint64_t left_alone = 0;  // see ReplaceCounts
  // Serialized array keys not renamed because another key of the array has the new name.
  std::uint64_t keys_kept = 0;
};

// A value is treated, after trimming whitespace as WordPress does:
// - as serialized data if WordPress would unserialize it (looks_serialized): each string
//   in it is rewritten as a value of its own (so serialized data or JSON inside is
//   rewritten too) and its length recomputed; each string key of an array is rewritten as
//   text (Replacer::replace), unless another key of that array has its new name: then it
//   is kept and counted (keys_kept), since PHP would keep only one of the two values. If
//   the value does not parse, it is left exactly as it was, with no replacement at all (a
//   plain replacement would make it worse), and counted as malformed;
// - as JSON if it is a valid JSON object or array: each string value is decoded,
//   rewritten as a value of its own and, if that changed it, encoded again the way the
//   original was. Each object key is decoded and rewritten as text, unless another key
//   of that object has its new name (kept and counted as keys_kept, as for serialized
//   arrays). Property names in serialized objects are not rewritten;
// - otherwise as text: the plain replacement (Replacer::replace), which finds the
//   JSON-escaped forms of FROM too, as in Gutenberg block attributes.
// Nested values without any trace of FROM (Replacer::may_occur_in) are not parsed, so they
// are not counted as malformed; callers filter the values they pass in the same way.
class ValueRewriter {
 public:
  explicit ValueRewriter(const Replacer& replacer) : replacer_(replacer) {}

  // Appends the rewritten value to `out`; replacements == 0 means it is unchanged. With
  // `edits`, says what changed there: each replacement when the value was rewritten as
  // text, else one edit of the whole value (its serialized lengths or JSON changed too).
  ValueCounts rewrite(std::string_view value, std::string& out, std::vector<Edit>* edits = nullptr);

 private:
  void rewrite_at(std::string_view value, int depth, std::string& out);
  void rewrite_by_kind(std::string_view value, int depth, std::string& out,
                       std::vector<Edit>* text_edits = nullptr);
  void rewrite_serialized_core(std::string_view value, std::string_view core, int depth,
                               std::string& out);
  bool rewrite_json_core(std::string_view value, std::string_view core, int depth,
                         std::string& out);
  void rewrite_json_string(std::string_view raw, int depth, std::string& out);
  std::vector<std::optional<std::string>> rename_json_keys(const std::vector<JsonPiece>& pieces);

  const Replacer& replacer_;
  ValueCounts counts_;
};

}  // namespace wpfleet::content
