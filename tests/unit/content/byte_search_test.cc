#include "content/byte_search.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace wpfleet::content {
namespace {

// Random texts over a small alphabet, so that needles and their probe bytes occur often,
// at every offset from the 16-byte blocks' edges.
std::string random_text(std::mt19937& rng, std::size_t size, std::string_view alphabet) {
  std::string text;
  for (std::size_t i = 0; i < size; ++i) text += alphabet[rng() % alphabet.size()];
  return text;
}

TEST(ByteSearch, StringFinderFindsWhatStringViewFinds) {
  std::mt19937 rng(7);
  for (const char* needle : {"x", "ox", "old.example", ".e", "xx.x", "aaaaaaaaaaaaaaaaaaaa"}) {
    const StringFinder finder(needle);
    for (int round = 0; round < 300; ++round) {
      const std::string text = random_text(rng, rng() % 80, "ox.ea");
      const std::string_view view(text);
      for (std::size_t pos = 0; pos <= text.size() + 1; ++pos) {
        ASSERT_EQ(finder.find(view, pos), view.find(needle, pos))
            << "needle " << needle << " in " << text << " from " << pos;
      }
    }
  }
  EXPECT_EQ(StringFinder("old.example").find("http://old.example/", 0), 7u);
  EXPECT_EQ(StringFinder("old.example").find("old.exampl", 0), std::string_view::npos);
}

TEST(ByteSearch, FindsEveryByteOfASetAndSkipsWhatAnEscapeConsumed) {
  std::mt19937 rng(11);
  for (int round = 0; round < 500; ++round) {
    const std::string text = random_text(rng, rng() % 70, "ab\\'\"\n");
    std::vector<std::size_t> expected;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' || text[i] == '\'') {
        expected.push_back(i);
        if (text[i] == '\\') ++i;  // the escaped byte is never a hit of its own
      }
    }
    std::vector<std::size_t> found;
    for_each_of<'\\', '\''>(text, [&](std::size_t at) {
      found.push_back(at);
      return text[at] == '\\' ? at + 2 : at + 1;
    });
    ASSERT_EQ(found, expected) << text;
    const std::size_t first = text.find_first_of("\\'");
    EXPECT_EQ((find_any_of<'\\', '\''>(text, 0)), first == std::string::npos ? text.size() : first);
  }
}

}  // namespace
}  // namespace wpfleet::content
