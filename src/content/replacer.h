// Replacing FROM by TO in a string value, in whichever form FROM was written there.
//
// FROM and TO are any bytes (quotes, backslashes, control bytes, UTF-8 alone). What is
// replaced, precisely (FROM=http://old.example TO=https://new.example):
//
// - FROM as is, and FROM with any of its bytes outside [A-Za-z0-9._~] escaped the way
//   JSON writes them (`http:\/\/old.example`, `http:\u002F\u002Fold.example`, `\"`, `\\`,
//   `\n`, a non-ASCII character as `\u2600` or a surrogate pair), URL-encoded
//   (`http%3A%2F%2Fold.example`), or as HTML attributes write them
//   (`http:&#x2F;&#x2F;old.example`, `&#47;`, `&#x3A;`, `&amp;`, `&#038;`, a non-ASCII
//   character as `&#9728;`), hex digits of either case. Escapes of two of these families
//   are not mixed in one occurrence. Bytes in [A-Za-z0-9._~] must appear as is: encoders
//   never escape them.
// - TO is written in the occurrence's form: a byte of TO that also occurs in FROM is
//   escaped as that byte's first occurrence in FROM was (`https:\/\/new.example`), a
//   non-ASCII character as FROM's first one was (`\u2606` where FROM's was `\u2600`); in
//   an escaped occurrence, TO's other bytes that could end the string they are written
//   into are escaped as its family requires (JSON: quotes, backslashes and control bytes;
//   HTML: `&amp;`, `&quot;`, `&#039;`, `&lt;`, `&gt;`; URL: `%XX` for what is not printable
//   ASCII).
// - How an occurrence must stand (MatchMode):
//   - Text: every occurrence, wherever it is (as WP-CLI does).
//   - Url: as a whole host. When FROM starts with http:// or https://, both schemes are
//     replaced by TO, and the protocol-relative form `//old.example` by TO without its
//     scheme (`//new.example`); the bare host `old.example` is not (pass it as its own
//     pair). When FROM ends with a letter or digit, an occurrence followed by a letter or
//     digit, or by '.' or '-' and then a letter or digit, is left alone, so
//     `http://old.example` leaves `http://old.example.com`, `http://old.examples.net` and
//     `http://old.example-cdn.net` alone, but replaces it before `/`, `:8080`, a quote, or
//     a sentence's final '.'. When FROM starts with a letter or digit, an occurrence right
//     after a letter, digit or '-' is left alone too (`old.example` leaves `bold.example`
//     alone but replaces `www.old.example`). Escaped neighbours are decoded. Occurrences
//     left alone are counted (ReplaceCounts::left_alone), never skipped silently.
// - Case-sensitive; leftmost occurrence first; where several FROMs match at one place
//   the longest wins; replacements do not chain (TO is never searched again).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "content/byte_search.h"
#include "content/encoded_match.h"
#include "util/result.h"

namespace wpfleet::content {

enum class MatchMode { Url, Text };

// The mode a FROM gets when none is asked for: Url for an http(s) or protocol-relative
// URL or a host name (`old.example`, `old.example:8080/blog`), Text for anything else.
MatchMode default_match(std::string_view from);

struct Replacement {
  std::string from;
  std::string to;
  MatchMode match = MatchMode::Url;  // what promote's URL rewriting needs
};

// Where one replacement went: text[from_begin, from_end) became out[to_begin, to_end),
// out's positions counted from where the call began appending.
struct Edit {
  std::size_t from_begin, from_end, to_begin, to_end;
};

struct ReplaceCounts {
  std::size_t replaced = 0;
  std::size_t left_alone = 0;  // Url mode: occurrences inside longer host names or words
};

class Replacer {
 public:
  // Rejects an empty FROM, FROM == TO and a FROM given twice; any other bytes are fine.
  static Result<Replacer> create(const std::vector<Replacement>& pairs);

  // A quick filter: false guarantees that replace() would change nothing in `text`.
  bool may_occur_in(std::string_view text) const;

  // Appends `text` with every occurrence replaced to `out`; returns how many were replaced
  // and how many left alone. With `edits`, appends where each replacement went to it.
  ReplaceCounts replace(std::string_view text, std::string& out,
                        std::vector<Edit>* edits = nullptr) const;

 private:
  // One literal string to search for; a URL pair has three (http:, https:, //).
  struct Needle {
    std::string pattern;
    std::string replacement;
    std::vector<int> replacement_source;     // see first_occurrences()
    std::size_t first_anchor, anchor_count;  // the pair's anchors in anchors_
    bool check_left;
    bool check_right;
  };
  // A run of FROM's unescapable bytes that every form of an occurrence contains verbatim:
  // searching for it (StringFinder) finds the few places worth trying to match. A FROM without
  // such a run (`☀`, `"`) has four instead, one of which starts every occurrence: its
  // first byte as is, `\`, `%` and `&`.
  struct Anchor {
    StringFinder text;
    std::size_t max_prefix_bytes;  // how far before the anchor an occurrence may start
  };

  Replacer() = default;
  void add_pair(const Replacement& pair);
  void add_anchors(std::string_view from);
  void add_needle(std::string pattern, std::string replacement, std::size_t first_anchor,
                  bool whole_host);
  bool near_anchor(const Needle& needle, std::size_t pos,
                   std::span<const std::size_t> next_anchor) const;
  bool boundaries_hold(const Needle& needle, std::string_view text, std::size_t start,
                       std::size_t length) const;
  struct Match {
    const Needle* needle;
    std::size_t length;
    bool left_alone;  // found, but not where a whole host stands
  };
  std::optional<Match> match_at(std::string_view text, std::size_t pos,
                                std::span<const std::size_t> next_anchor,
                                std::span<ByteForm> forms) const;

  std::vector<Anchor> anchors_;
  std::vector<Needle> needles_;  // longest pattern first
  std::size_t longest_pattern_ = 0;
  std::array<bool, 256> may_start_{};  // bytes a needle, in any form, can start with
};

}  // namespace wpfleet::content
