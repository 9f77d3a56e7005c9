#include "content/replacer.h"

#include <string.h>  // memmem (GNU)

#include <algorithm>
#include <set>

#include "content/encoded_match.h"

namespace wpfleet::content {
namespace {

constexpr std::size_t kNone = std::string_view::npos;
constexpr std::size_t kLongestEscape = 6;  // \uXXXX

// memmem: far faster than string_view::find when the needle's first byte is common.
std::size_t find_bytes(std::string_view text, std::string_view needle, std::size_t from) {
  if (from > text.size()) return kNone;
  const void* found =
      ::memmem(text.data() + from, text.size() - from, needle.data(), needle.size());
  return found ? static_cast<std::size_t>(static_cast<const char*>(found) - text.data()) : kNone;
}

bool is_url(std::string_view s) { return s.starts_with("http://") || s.starts_with("https://"); }

// "//host/path" of an http(s) URL, or the string itself.
std::string_view without_scheme(std::string_view s) {
  return is_url(s) ? s.substr(s.find("//")) : s;
}

std::string longest_unescaped_run(std::string_view s) {
  std::string_view best;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size() && is_unescaped_byte(static_cast<unsigned char>(s[i]))) continue;
    if (i - start > best.size()) best = s.substr(start, i - start);
    start = i + 1;
  }
  return std::string(best);
}

Status check_bytes(std::string_view what, std::string_view s) {
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '"' || c == '\\') {
      return make_error(std::string(what) + " '" + std::string(s) +
                        "' contains a quote, backslash or control character; pass a URL, "
                        "host name or path");
    }
  }
  return {};
}

Status check_pair(const Replacement& pair) {
  if (pair.from.empty()) {
    return make_error("the text to replace is empty; pass a URL such as http://old.example");
  }
  if (pair.from == pair.to) {
    return make_error("'" + pair.from + "' would be replaced by itself; pass a different TO");
  }
  TRY(check_bytes("FROM", pair.from));
  TRY(check_bytes("TO", pair.to));
  if (longest_unescaped_run(without_scheme(pair.from)).empty()) {
    return make_error("FROM '" + pair.from + "' has no letters or digits to search for");
  }
  return {};
}

}  // namespace

Result<Replacer> Replacer::create(const std::vector<Replacement>& pairs) {
  if (pairs.empty()) return make_error("nothing to replace: pass FROM and TO");
  Replacer replacer;
  for (const Replacement& pair : pairs) {
    TRY(check_pair(pair));
    replacer.add_pair(pair);
  }
  std::set<std::string_view> patterns;
  for (const Needle& needle : replacer.needles_) {
    if (!patterns.insert(needle.pattern).second) {
      return make_error("'" + needle.pattern +
                        "' is replaced by two pairs (a URL pair covers both http:// and "
                        "https://); pass it once");
    }
  }
  std::stable_sort(
      replacer.needles_.begin(), replacer.needles_.end(),
      [](const Needle& a, const Needle& b) { return a.pattern.size() > b.pattern.size(); });
  return replacer;
}

void Replacer::add_pair(const Replacement& pair) {
  const std::string_view rest = without_scheme(pair.from);
  const std::size_t anchor = anchors_.size();
  anchors_.push_back({longest_unescaped_run(rest), 0});
  if (is_url(pair.from)) {
    add_needle("http:" + std::string(rest), pair.to, anchor);
    add_needle("https:" + std::string(rest), pair.to, anchor);
    add_needle(std::string(rest), std::string(without_scheme(pair.to)), anchor);
  } else {
    add_needle(pair.from, pair.to, anchor);
  }
}

void Replacer::add_needle(std::string pattern, std::string replacement, std::size_t anchor) {
  Anchor& a = anchors_[anchor];
  a.max_prefix_bytes = std::max(a.max_prefix_bytes, pattern.find(a.text) * kLongestEscape);
  longest_pattern_ = std::max(longest_pattern_, pattern.size());
  Needle needle{.pattern = std::move(pattern),
                .replacement = std::move(replacement),
                .replacement_source = {},
                .anchor = anchor,
                .check_left = false,
                .check_right = false};
  needle.replacement_source = first_occurrences(needle.replacement, needle.pattern);
  needle.check_left = is_alnum_byte(static_cast<unsigned char>(needle.pattern.front()));
  needle.check_right = is_alnum_byte(static_cast<unsigned char>(needle.pattern.back()));
  const auto first = static_cast<unsigned char>(needle.pattern.front());
  may_start_[first] = true;
  if (!is_unescaped_byte(first)) may_start_['\\'] = may_start_['%'] = true;
  needles_.push_back(std::move(needle));
}

bool Replacer::may_occur_in(std::string_view text) const {
  for (const Anchor& anchor : anchors_) {
    if (find_bytes(text, anchor.text, 0) != kNone) return true;
  }
  return false;
}

bool Replacer::boundaries_hold(const Needle& needle, std::string_view text, std::size_t start,
                               std::size_t length) const {
  if (needle.check_left) {
    auto before = decoded_before(text, start);
    if (before && (is_alnum_byte(*before) || *before == '-')) return false;
  }
  if (needle.check_right) {
    auto after = decoded_at(text, start + length);
    if (after && is_alnum_byte(after->byte)) return false;
    if (after && (after->byte == '.' || after->byte == '-')) {
      auto next = decoded_at(text, start + length + after->length);
      if (next && is_alnum_byte(next->byte)) return false;
    }
  }
  return true;
}

std::optional<Replacer::Match> Replacer::match_at(std::string_view text, std::size_t pos,
                                                  std::span<const std::size_t> next_anchor,
                                                  std::span<ByteForm> forms) const {
  if (!may_start_[static_cast<unsigned char>(text[pos])]) return std::nullopt;
  for (const Needle& needle : needles_) {
    const std::size_t anchor_at = next_anchor[needle.anchor];
    if (anchor_at == kNone || anchor_at > pos + anchors_[needle.anchor].max_prefix_bytes) {
      continue;
    }
    auto length = match_encoded(text, pos, needle.pattern, forms);
    if (length && boundaries_hold(needle, text, pos, *length)) return Match{&needle, *length};
  }
  return std::nullopt;
}

std::size_t Replacer::replace(std::string_view text, std::string& out) const {
  std::vector<ByteForm> forms(longest_pattern_);
  // Per anchor: its first occurrence at or after `pos`, kNone when there is none left.
  std::vector<std::size_t> next_anchor;
  for (const Anchor& anchor : anchors_) next_anchor.push_back(find_bytes(text, anchor.text, 0));
  std::size_t count = 0, copied = 0, pos = 0;
  while (true) {
    // An occurrence starting at `pos` contains its anchor at most max_prefix_bytes
    // later, so positions further than that before the next anchor cannot match.
    std::size_t candidate = kNone;
    for (std::size_t a = 0; a < anchors_.size(); ++a) {
      if (next_anchor[a] != kNone && next_anchor[a] < pos) {
        next_anchor[a] = find_bytes(text, anchors_[a].text, pos);
      }
      if (next_anchor[a] == kNone) continue;
      const std::size_t reach = anchors_[a].max_prefix_bytes;
      candidate =
          std::min(candidate, std::max(pos, next_anchor[a] > reach ? next_anchor[a] - reach : 0));
    }
    if (candidate == kNone) break;
    pos = candidate;
    const auto match = match_at(text, pos, next_anchor, forms);
    if (!match) {
      ++pos;
      continue;
    }
    out.append(text.substr(copied, pos - copied));
    write_encoded(match->needle->replacement, match->needle->replacement_source, forms, out);
    pos += match->length;
    copied = pos;
    ++count;
  }
  out.append(text.substr(copied));
  return count;
}

}  // namespace wpfleet::content
