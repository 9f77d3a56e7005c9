// Replacing FROM by TO in a string value, in whichever form FROM was written there.
//
// What is replaced, precisely (FROM=http://old.example TO=https://new.example):
//
// - FROM as is, and FROM with any of its bytes outside [A-Za-z0-9._~] escaped the way
//   JSON writes them (`http:\/\/old.example`, `http:\u002F\u002Fold.example`) or URL-encoded
//   (`http%3A%2F%2Fold.example`), hex digits of either case. JSON and URL escapes are not
//   mixed in one occurrence. Bytes in [A-Za-z0-9._~] must appear as is: encoders never
//   escape them (JSON \u escapes of non-ASCII bytes are not matched).
// - When FROM starts with http:// or https://, both schemes are replaced by TO, and the
//   protocol-relative form `//old.example` by TO without its scheme (`//new.example`).
//   The bare host `old.example` (e.g. in an e-mail address) is not: pass it as its own
//   pair if it should be.
// - TO is written in the occurrence's form: a byte of TO that also occurs in FROM is
//   escaped as that byte's first occurrence in FROM was (`https:\/\/new.example`).
// - Host boundary: when FROM ends with a letter or digit, an occurrence followed by a
//   letter or digit, or by '.' or '-' and then a letter or digit, is not replaced, so
//   `http://old.example` leaves `http://old.example.com`, `http://old.examples.net` and
//   `http://old.example-cdn.net` alone, but replaces it before `/`, `:8080`, a quote, or
//   a sentence's final '.'. When FROM starts with a letter or digit, an occurrence right
//   after a letter, digit or '-' is not replaced either (`old.example` leaves
//   `bold.example` alone but replaces `www.old.example`). Escaped neighbours are decoded.
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

#include "content/encoded_match.h"
#include "util/result.h"

namespace wpfleet::content {

struct Replacement {
  std::string from;
  std::string to;
};

class Replacer {
 public:
  // Rejects an empty FROM, FROM == TO, a FROM given twice, quotes, backslashes or control
  // characters (which URLs and paths never contain), and a FROM without any byte of
  // [A-Za-z0-9._~] (there must be something to search for quickly).
  static Result<Replacer> create(const std::vector<Replacement>& pairs);

  // A quick filter: false guarantees that replace() would change nothing in `text`.
  bool may_occur_in(std::string_view text) const;

  // Appends `text` with every occurrence replaced to `out`; returns how many.
  std::size_t replace(std::string_view text, std::string& out) const;

 private:
  // One literal string to search for; a URL pair has three (http:, https:, //).
  struct Needle {
    std::string pattern;
    std::string replacement;
    std::vector<int> replacement_source;  // see first_occurrences()
    std::size_t anchor;                   // index of the pair's anchor
    bool check_left;
    bool check_right;
  };
  // A run of FROM's unescapable bytes that every form of an occurrence contains verbatim:
  // searching for it (memmem) finds the few places worth trying to match.
  struct Anchor {
    std::string text;
    std::size_t max_prefix_bytes;  // how far before the anchor an occurrence may start
  };

  Replacer() = default;
  void add_pair(const Replacement& pair);
  void add_needle(std::string pattern, std::string replacement, std::size_t anchor);
  bool boundaries_hold(const Needle& needle, std::string_view text, std::size_t start,
                       std::size_t length) const;
  struct Match {
    const Needle* needle;
    std::size_t length;
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
