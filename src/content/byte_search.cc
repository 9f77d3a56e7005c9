#include "content/byte_search.h"

namespace wpfleet::content {
namespace {

// Roughly how often a byte occurs in WordPress content (prose, HTML, escaped JSON), in
// thousandths: English letter frequencies, HTML's punctuation, the rest rarer.
int commonness(unsigned char c) {
  static constexpr int kLowercase[26] = {82, 15, 28, 43, 127, 22, 20, 61, 70, 2,  8, 40, 24,
                                         67, 75, 19, 1,  60,  63, 91, 28, 10, 24, 2, 20, 1};
  if (c >= 'a' && c <= 'z') return kLowercase[c - 'a'];
  if (c == ' ') return 180;
  if (c == '<' || c == '>' || c == '"' || c == '=' || c == '/' || c == '\\') return 20;
  if ((c >= '0' && c <= '9') || c == '.' || c == ',' || c == '\n') return 10;
  if (c >= 0x80) return 5;
  if (c >= 'A' && c <= 'Z') return 3;
  return 2;
}

}  // namespace

StringFinder::StringFinder(std::string needle) : needle_(std::move(needle)) {
  const auto rarer = [this](std::size_t a, std::size_t b) {
    return commonness(static_cast<unsigned char>(needle_[a])) <
           commonness(static_cast<unsigned char>(needle_[b]));
  };
  for (std::size_t i = 1; i < needle_.size(); ++i) {
    if (rarer(i, probe1_)) probe1_ = i;
  }
  probe2_ = probe1_ == 0 ? 1 : 0;
  for (std::size_t i = 0; i < needle_.size(); ++i) {
    if (i != probe1_ && rarer(i, probe2_)) probe2_ = i;
  }
  if (needle_.size() >= 2) {
    byte1_ = splat16(static_cast<unsigned char>(needle_[probe1_]));
    byte2_ = splat16(static_cast<unsigned char>(needle_[probe2_]));
  }
}

std::size_t StringFinder::find(std::string_view text, std::size_t pos) const {
  constexpr std::size_t kNone = std::string_view::npos;
  const std::size_t n = needle_.size();
  if (n == 0 || text.size() < n || pos > text.size() - n) return kNone;
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  if (n == 1) {
    const void* found = std::memchr(data + pos, needle_[0], text.size() - pos);
    return found ? static_cast<std::size_t>(static_cast<const unsigned char*>(found) - data)
                 : kNone;
  }
  const std::size_t last = text.size() - n;  // the last place an occurrence may start
  const auto matches_at = [&](std::size_t at) {
    return std::memcmp(data + at, needle_.data(), n) == 0;
  };
  // Both probes of 16 starts fit in the text while the 16th start is at most `last`.
  for (; pos + 15 <= last; pos += 16) {
    std::uint32_t mask = lane_mask((load16(data + pos + probe1_) == byte1_) &
                                   (load16(data + pos + probe2_) == byte2_));
    for (; mask != 0; mask &= mask - 1) {
      const std::size_t at = pos + static_cast<std::size_t>(std::countr_zero(mask));
      if (matches_at(at)) return at;
    }
  }
  for (; pos <= last; ++pos) {
    if (matches_at(pos)) return pos;
  }
  return kNone;
}

}  // namespace wpfleet::content
