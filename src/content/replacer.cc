#include "content/replacer.h"

#include <algorithm>
#include <set>

#include "content/encoded_match.h"

namespace wpfleet::content {
namespace {

constexpr std::size_t kNone = std::string_view::npos;

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

// The most text `s` can take in any escaped form: encoders leave its unescaped bytes as
// they are. Kept tight, since every position this far before an anchor is tried.
std::size_t longest_written(std::string_view s) {
  std::size_t length = 0;
  for (char c : s)
    length += is_unescaped_byte(static_cast<unsigned char>(c)) ? 1 : kLongestEscapePerByte;
  return length;
}

// Two labels or more of letters, digits and '-', the last one with a letter (so that a
// version such as 1.2 is not a host).
bool looks_like_host(std::string_view s) {
  const std::size_t last_dot = s.rfind('.');
  if (last_dot == kNone || s.front() == '.' || s.back() == '.' || s.find("..") != kNone) {
    return false;
  }
  const auto host_byte = [](char c) { return is_alnum_byte(c) || c == '-' || c == '.'; };
  const auto letter = [](char c) { return is_alnum_byte(c) && !(c >= '0' && c <= '9'); };
  return std::all_of(s.begin(), s.end(), host_byte) &&
         std::any_of(s.begin() + last_dot, s.end(), letter);
}

Status check_pair(const Replacement& pair) {
  if (pair.from.empty()) {
    return make_error("the text to replace is empty; pass a URL such as http://old.example");
  }
  if (pair.from == pair.to) {
    return make_error("'" + pair.from + "' would be replaced by itself; pass a different TO");
  }
  return {};
}

}  // namespace

MatchMode default_match(std::string_view from) {
  if (is_url(from) || from.starts_with("//")) return MatchMode::Url;
  return looks_like_host(from.substr(0, from.find_first_of(":/"))) ? MatchMode::Url
                                                                   : MatchMode::Text;
}

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
  const bool whole_host = pair.match == MatchMode::Url;
  const bool url = whole_host && is_url(pair.from);
  const std::string_view rest = url ? without_scheme(pair.from) : std::string_view(pair.from);
  const std::size_t first_anchor = anchors_.size();
  add_anchors(rest);
  if (url) {
    add_needle("http:" + std::string(rest), pair.to, first_anchor, true);
    add_needle("https:" + std::string(rest), pair.to, first_anchor, true);
    add_needle(std::string(rest), std::string(without_scheme(pair.to)), first_anchor, true);
  } else {
    add_needle(pair.from, pair.to, first_anchor, whole_host);
  }
}

void Replacer::add_anchors(std::string_view from) {
  std::string run = longest_unescaped_run(from);
  if (!run.empty()) {
    anchors_.push_back({StringFinder(std::move(run)), 0});  // max_prefix_bytes: see add_needle
    return;
  }
  for (std::string start :
       {std::string(1, from.front()), std::string("\\"), std::string("%"), std::string("&")}) {
    anchors_.push_back({StringFinder(std::move(start)), 0});
  }
}

void Replacer::add_needle(std::string pattern, std::string replacement, std::size_t first_anchor,
                          bool whole_host) {
  const std::size_t anchor_count = anchors_.size() - first_anchor;
  if (anchor_count == 1) {  // a run inside the pattern, which escapes before it may lengthen
    Anchor& a = anchors_[first_anchor];
    a.max_prefix_bytes = std::max(
        a.max_prefix_bytes,
        longest_written(std::string_view(pattern).substr(0, pattern.find(a.text.needle()))));
  }
  longest_pattern_ = std::max(longest_pattern_, pattern.size());
  Needle needle{.pattern = std::move(pattern),
                .replacement = std::move(replacement),
                .replacement_source = {},
                .first_anchor = first_anchor,
                .anchor_count = anchor_count,
                .check_left = false,
                .check_right = false};
  needle.replacement_source = first_occurrences(needle.replacement, needle.pattern);
  needle.check_left =
      whole_host && is_alnum_byte(static_cast<unsigned char>(needle.pattern.front()));
  needle.check_right =
      whole_host && is_alnum_byte(static_cast<unsigned char>(needle.pattern.back()));
  const auto first = static_cast<unsigned char>(needle.pattern.front());
  may_start_[first] = true;
  if (!is_unescaped_byte(first)) may_start_['\\'] = may_start_['%'] = may_start_['&'] = true;
  needles_.push_back(std::move(needle));
}

bool Replacer::may_occur_in(std::string_view text) const {
  for (const Anchor& anchor : anchors_) {
    if (anchor.text.find(text, 0) != kNone) return true;
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

bool Replacer::near_anchor(const Needle& needle, std::size_t pos,
                           std::span<const std::size_t> next_anchor) const {
  for (std::size_t a = needle.first_anchor; a < needle.first_anchor + needle.anchor_count; ++a) {
    if (next_anchor[a] != kNone && next_anchor[a] <= pos + anchors_[a].max_prefix_bytes) {
      return true;
    }
  }
  return false;
}

// The longest needle that matches at `pos` where a whole host stands, or else the longest
// that matches at all, to be counted as left alone.
std::optional<Replacer::Match> Replacer::match_at(std::string_view text, std::size_t pos,
                                                  std::span<const std::size_t> next_anchor,
                                                  std::span<ByteForm> forms) const {
  if (!may_start_[static_cast<unsigned char>(text[pos])]) return std::nullopt;
  std::optional<Match> left_alone;
  for (const Needle& needle : needles_) {
    if (!near_anchor(needle, pos, next_anchor)) continue;
    auto length = match_encoded(text, pos, needle.pattern, forms);
    if (!length) continue;
    if (boundaries_hold(needle, text, pos, *length)) return Match{&needle, *length, false};
    if (!left_alone) left_alone = Match{&needle, *length, true};
  }
  return left_alone;
}

ReplaceCounts Replacer::replace(std::string_view text, std::string& out,
                                std::vector<Edit>* edits) const {
  const std::size_t out_start = out.size();
  std::vector<ByteForm> forms(longest_pattern_);
  // Per anchor: its first occurrence at or after `pos`, kNone when there is none left.
  std::vector<std::size_t> next_anchor;
  for (const Anchor& anchor : anchors_) next_anchor.push_back(anchor.text.find(text, 0));
  ReplaceCounts counts;
  // One occurrence left alone may be found by several needles (`http://old.example.com`
  // and its `//old.example.com`), or replaced after all by a shorter one: it counts once.
  std::size_t left_alone_end = 0;
  std::size_t copied = 0, pos = 0;
  while (true) {
    // An occurrence starting at `pos` contains its anchor at most max_prefix_bytes
    // later, so positions further than that before the next anchor cannot match.
    std::size_t candidate = kNone;
    for (std::size_t a = 0; a < anchors_.size(); ++a) {
      if (next_anchor[a] != kNone && next_anchor[a] < pos) {
        next_anchor[a] = anchors_[a].text.find(text, pos);
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
    if (match->left_alone) {
      if (pos >= left_alone_end) ++counts.left_alone;
      left_alone_end = std::max(left_alone_end, pos + match->length);
      ++pos;
      continue;
    }
    if (pos < left_alone_end) {
      --counts.left_alone;
      left_alone_end = 0;
    }
    out.append(text.substr(copied, pos - copied));
    const std::size_t written = out.size();
    write_encoded(match->needle->replacement, match->needle->replacement_source,
                  std::span<const ByteForm>(forms).first(match->needle->pattern.size()), out);
    if (edits) {
      edits->push_back({pos, pos + match->length, written - out_start, out.size() - out_start});
    }
    pos += match->length;
    copied = pos;
    ++counts.replaced;
  }
  out.append(text.substr(copied));
  return counts;
}

}  // namespace wpfleet::content
