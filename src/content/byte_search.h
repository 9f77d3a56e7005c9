// Finding the first of a few bytes, 16 at a time: the dump rewriter's inner loops look
// for quotes and backslashes in every literal, where a byte loop would dominate.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace wpfleet::content {

// The position of the first byte at or after `pos` that is one of `Set`, or text.size().
// GCC vector extensions: SSE2 on x86-64, NEON on ARM, plain code elsewhere.
template <unsigned char... Set>
std::size_t find_any_of(std::string_view text, std::size_t pos) {
  static_assert(std::endian::native == std::endian::little, "lanes are read as little-endian");
  using Bytes16 = unsigned char __attribute__((vector_size(16)));
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  for (; pos + 16 <= text.size(); pos += 16) {
    Bytes16 block;
    std::memcpy(&block, data + pos, sizeof block);
    const Bytes16 hits = ((block == Set) | ...);
    std::uint64_t halves[2];
    std::memcpy(halves, &hits, sizeof halves);
    if (halves[0]) return pos + __builtin_ctzll(halves[0]) / 8;
    if (halves[1]) return pos + 8 + __builtin_ctzll(halves[1]) / 8;
  }
  for (; pos < text.size(); ++pos) {
    if (((data[pos] == Set) || ...)) return pos;
  }
  return text.size();
}

}  // namespace wpfleet::content
