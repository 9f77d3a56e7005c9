#include "content/value_rewriter.h"

#include <map>
#include <optional>

#include "content/json_text.h"
#include "content/php_serialized.h"

namespace wpfleet::content {
namespace {

// PHP's trim() set, which WordPress applies before unserializing.
bool is_trimmed_byte(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' || c == '\x0b';
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && is_trimmed_byte(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_trimmed_byte(s.back())) s.remove_suffix(1);
  return s;
}

// Appends `value` with `core`, the trimmed part of it, replaced by `rewritten`.
void append_around(std::string_view value, std::string_view core, std::string_view rewritten,
                   std::string& out) {
  const auto leading = static_cast<std::size_t>(core.data() - value.data());
  out.append(value.substr(0, leading));
  out.append(rewritten);
  out.append(value.substr(leading + core.size()));
}

}  // namespace

ValueCounts ValueRewriter::rewrite(std::string_view value, std::string& out,
                                   std::vector<Edit>* edits) {
  counts_ = {};
  const std::size_t start = out.size();
  if (edits) edits->clear();
  rewrite_by_kind(value, 0, out, edits);
  if (edits && edits->empty() && counts_.replacements > 0) {
    edits->push_back({0, value.size(), 0, out.size() - start});
  }
  return counts_;
}

void ValueRewriter::rewrite_at(std::string_view value, int depth, std::string& out) {
  if (replacer_.may_occur_in(value)) {
    rewrite_by_kind(value, depth, out);
  } else {
    out.append(value);
  }
}

void ValueRewriter::rewrite_by_kind(std::string_view value, int depth, std::string& out,
                                    std::vector<Edit>* text_edits) {
  const std::string_view core = trimmed(value);
  if (looks_serialized(core)) {
    rewrite_serialized_core(value, core, depth, out);
  } else if (!rewrite_json_core(value, core, depth, out)) {
    const ReplaceCounts counts = replacer_.replace(value, out, text_edits);
    counts_.replacements += counts.replaced;
    counts_.left_alone += counts.left_alone;
  }
}

void ValueRewriter::rewrite_serialized_core(std::string_view value, std::string_view core,
                                            int depth, std::string& out) {
  const ValueCounts before = counts_;
  std::string rewritten;
  const SerializedRewrite how{
      .string = [this](
                    std::string_view payload, int payload_depth,
                    std::string& payload_out) { rewrite_at(payload, payload_depth, payload_out); },
      .rename_key =
          [this](std::string_view key, std::string& new_key) {
            if (!replacer_.may_occur_in(key)) return false;
            const ReplaceCounts counts = replacer_.replace(key, new_key);
            counts_.replacements += counts.replaced;
            counts_.left_alone += counts.left_alone;
            return counts.replaced > 0;
          },
      .key_kept =
          [this](std::string_view key) {
            std::string unused;
            counts_.replacements -= replacer_.replace(key, unused).replaced;
            ++counts_.keys_kept;
          }};
  if (!rewrite_serialized(core, depth, how, rewritten)) {
    counts_ = before;
    ++counts_.malformed;
    out.append(value);
    return;
  }
  append_around(value, core, rewritten, out);
}

bool ValueRewriter::rewrite_json_core(std::string_view value, std::string_view core, int depth,
                                      std::string& out) {
  const auto pieces = split_json(core, kMaxNesting - depth);
  if (!pieces) return false;
  const std::vector<std::optional<std::string>> new_keys = rename_json_keys(*pieces);
  std::string rewritten;
  for (std::size_t p = 0; p < pieces->size(); ++p) {
    const JsonPiece& piece = (*pieces)[p];
    if (piece.kind == JsonPiece::Kind::Between) {
      rewritten.append(piece.text);
      continue;
    }
    rewritten += '"';
    if (piece.kind == JsonPiece::Kind::String) {
      rewrite_json_string(piece.text, depth + 1, rewritten);
    } else if (!new_keys.empty() && new_keys[p]) {
      json_escape_like(*new_keys[p], piece.text, rewritten);
    } else {
      rewritten.append(piece.text);
    }
    rewritten += '"';
  }
  append_around(value, core, rewritten, out);
  return true;
}

// The new name of each object key that FROM occurs in (rewritten as text), by piece;
// except where another key of the same object has that name, as in serialized arrays:
// json_decode() would keep only one of the two values, so the key is kept and counted.
// Empty when no key is renamed (most JSON: then nothing else is decoded).
std::vector<std::optional<std::string>> ValueRewriter::rename_json_keys(
    const std::vector<JsonPiece>& pieces) {
  std::vector<std::optional<std::string>> new_keys;
  std::vector<std::pair<std::size_t, std::uint64_t>> renamed;  // piece, replacements
  for (std::size_t p = 0; p < pieces.size(); ++p) {
    const JsonPiece& piece = pieces[p];
    if (piece.kind != JsonPiece::Kind::Key || !replacer_.may_occur_in(piece.text)) continue;
    const auto name = json_unescape(piece.text);
    if (!name) continue;
    std::string new_name;
    const ReplaceCounts counts = replacer_.replace(*name, new_name);
    counts_.left_alone += counts.left_alone;
    if (counts.replaced == 0) continue;
    if (new_keys.empty()) new_keys.resize(pieces.size());
    new_keys[p] = std::move(new_name);
    renamed.emplace_back(p, counts.replaced);
  }
  if (renamed.empty()) return new_keys;

  // Every key's object (by the structure between the strings) and decoded name.
  struct Key {
    std::size_t piece, object;
    std::string name;
  };
  std::vector<Key> keys;
  std::vector<std::size_t> open;  // the objects (and arrays: npos) around the next piece
  std::size_t objects = 0;
  for (std::size_t p = 0; p < pieces.size(); ++p) {
    const JsonPiece& piece = pieces[p];
    if (piece.kind == JsonPiece::Kind::Between) {
      for (char c : piece.text) {
        if (c == '{') open.push_back(objects++);
        if (c == '[') open.push_back(std::string::npos);
        if ((c == '}' || c == ']') && !open.empty()) open.pop_back();
      }
    } else if (piece.kind == JsonPiece::Kind::Key && !open.empty()) {
      keys.push_back({p, open.back(), json_unescape(piece.text).value_or(std::string(piece.text))});
    }
  }
  // Undo every rename to a name that two keys of one object have, then look again: an
  // undone rename brings its old name back, which another rename may have taken.
  for (bool undone = true; undone;) {
    undone = false;
    std::map<std::pair<std::size_t, std::string>, int> names;
    for (const Key& key : keys) ++names[{key.object, new_keys[key.piece].value_or(key.name)}];
    for (const Key& key : keys) {
      if (new_keys[key.piece] && names[{key.object, *new_keys[key.piece]}] > 1) {
        new_keys[key.piece].reset();
        ++counts_.keys_kept;
        undone = true;
      }
    }
  }
  for (const auto& [piece, replaced] : renamed) {
    if (new_keys[piece]) counts_.replacements += replaced;
  }
  return new_keys;
}

// A JSON string is decoded to be rewritten as a value of its own (it may hold serialized
// data, JSON, or text with JSON-escaped URLs), then encoded as the original was.
void ValueRewriter::rewrite_json_string(std::string_view raw, int depth, std::string& out) {
  const auto decoded = replacer_.may_occur_in(raw) ? json_unescape(raw) : std::nullopt;
  if (!decoded) {
    out.append(raw);
    return;
  }
  const std::uint64_t replacements_before = counts_.replacements;
  std::string rewritten;
  rewrite_at(*decoded, depth, rewritten);
  if (counts_.replacements == replacements_before) {
    out.append(raw);
  } else {
    json_escape_like(rewritten, raw, out);
  }
}

}  // namespace wpfleet::content
