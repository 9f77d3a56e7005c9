// Finding bytes and short strings 16 positions at a time: the dump rewriter's inner loops
// look for quotes and backslashes in every literal, and for FROM in every value, where a
// byte loop (or glibc's memmem) would dominate.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace wpfleet::content {

// GCC vector extensions: SSE2 on x86-64, NEON on ARM, plain code elsewhere.
using Bytes16 = unsigned char __attribute__((vector_size(16)));

inline Bytes16 load16(const unsigned char* p) {
  Bytes16 block;
  std::memcpy(&block, p, sizeof block);
  return block;
}

inline Bytes16 splat16(unsigned char c) {
  Bytes16 v{};
  for (int i = 0; i < 16; ++i) v[i] = c;
  return v;
}

// Bit i set where lane i of a comparison's result is set (0xff): pmovmskb on x86-64;
// elsewhere each half's top bits gathered into one byte by a multiplication.
inline std::uint32_t lane_mask(Bytes16 lanes) {
#if defined(__SSE2__)
  using SignedBytes16 = char __attribute__((vector_size(16)));
  return static_cast<std::uint32_t>(__builtin_ia32_pmovmskb128(SignedBytes16(lanes)));
#else
  static_assert(std::endian::native == std::endian::little, "lanes are read as little-endian");
  constexpr std::uint64_t kTopBits = 0x8080808080808080ULL, kGather = 0x0002040810204081ULL;
  std::uint64_t halves[2];
  std::memcpy(halves, &lanes, sizeof halves);
  return static_cast<std::uint32_t>(((halves[0] & kTopBits) * kGather) >> 56) |
         static_cast<std::uint32_t>(((halves[1] & kTopBits) * kGather) >> 56) << 8;
#endif
}

// Bit i set where p[i] (of 16 bytes) is one of `Set`.
template <unsigned char... Set>
std::uint32_t mask_of_any(const unsigned char* p) {
  const Bytes16 block = load16(p);
  return lane_mask(((block == Set) | ...));
}

// The position of the first byte at or after `pos` that is one of `Set`, or text.size().
template <unsigned char... Set>
std::size_t find_any_of(std::string_view text, std::size_t pos) {
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  for (; pos + 16 <= text.size(); pos += 16) {
    if (const std::uint32_t mask = mask_of_any<Set...>(data + pos)) {
      return pos + static_cast<std::size_t>(std::countr_zero(mask));
    }
  }
  for (; pos < text.size(); ++pos) {
    if (((data[pos] == Set) || ...)) return pos;
  }
  return text.size();
}

// Calls on_byte(position) for each byte of text[pos...] that is one of `Set`, in order,
// 16 bytes at a time (no rescan per hit: escapes in prose come every few dozen bytes).
// on_byte returns the position to go on from (> its argument): hits before it are
// skipped, as the second byte of an escape must be.
template <unsigned char... Set, class OnByte>
void for_each_of(std::string_view text, OnByte&& on_byte) {
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t pos = 0, next = 0;
  for (; pos + 16 <= text.size(); pos += 16) {
    for (std::uint32_t mask = mask_of_any<Set...>(data + pos); mask != 0; mask &= mask - 1) {
      const std::size_t at = pos + static_cast<std::size_t>(std::countr_zero(mask));
      if (at >= next) next = on_byte(at);
    }
  }
  for (pos = std::max(pos, next); pos < text.size(); ++pos) {
    if (((data[pos] == Set) || ...)) pos = on_byte(pos) - 1;
  }
}

// Finds one string in many texts: two of its bytes (the rarest in WordPress content, by a
// rough table) are compared at 16 positions at once and the whole string only where both
// match, which is far fewer places than memmem's first-byte candidates.
class StringFinder {
 public:
  explicit StringFinder(std::string needle);  // at least one byte

  const std::string& needle() const { return needle_; }

  // The first occurrence at or after `pos`, or npos.
  std::size_t find(std::string_view text, std::size_t pos) const;

 private:
  std::string needle_;
  std::size_t probe1_ = 0, probe2_ = 0;  // offsets of the two bytes compared first
  Bytes16 byte1_{}, byte2_{};
};

}  // namespace wpfleet::content
