#include "content/json_text.h"

#include <gtest/gtest.h>

namespace wpfleet::content {
namespace {

TEST(JsonText, LooksLikeAnObjectOrArray) {
  EXPECT_TRUE(looks_like_json("{\"a\":1}"));
  EXPECT_TRUE(looks_like_json("[1,2]"));
  EXPECT_FALSE(looks_like_json("{\"a\":1]"));
  EXPECT_FALSE(looks_like_json("\"a\""));
  EXPECT_FALSE(looks_like_json("{"));
}

TEST(JsonText, SplitsStringsKeysAndTheRest) {
  auto pieces = split_json(R"({"url" : "a\"b", "n":[1,"x"]})", 10);
  ASSERT_TRUE(pieces);
  using K = JsonPiece::Kind;
  std::vector<std::pair<K, std::string>> got;
  for (const auto& p : *pieces) got.emplace_back(p.kind, std::string(p.text));
  const std::vector<std::pair<K, std::string>> want = {
      {K::Between, "{"},      {K::Key, "url"},    {K::Between, " : "},
      {K::String, R"(a\"b)"}, {K::Between, ", "}, {K::Key, "n"},
      {K::Between, ":[1,"},   {K::String, "x"},   {K::Between, "]}"},
  };
  EXPECT_EQ(got, want);
}

TEST(JsonText, AcceptsValidJsonOnly) {
  EXPECT_TRUE(split_json(R"([1, -2.5e+3, true, false, null, {}, [], "\u00e9\n"])", 10));
  EXPECT_TRUE(split_json("{ \"a\" : { \"b\" : [ 0 ] } }", 10));
  for (const char* bad : {R"({"a":"b})", R"(["a\"])", R"({a:1})", R"([01])", R"([1,])", R"(["\x"])",
                          "[\"tab\there\"]", R"([tru])", R"({"a" 1})", R"([1] [2])",
                          "[embed]http://old.example[/embed]"}) {
    EXPECT_FALSE(split_json(bad, 10)) << bad;
  }
}

TEST(JsonText, LimitsNesting) {
  EXPECT_TRUE(split_json("[[1]]", 2));
  EXPECT_FALSE(split_json("[[[1]]]", 2));
}

TEST(JsonText, UnescapesEveryEscape) {
  EXPECT_EQ(json_unescape(R"(a\"\\\/\b\f\n\r\t\u00e9\u002F\ud83d\ude00)"), "a\"\\/\b\f\n\r\té/😀");
  EXPECT_FALSE(json_unescape(R"(\x)"));
  EXPECT_FALSE(json_unescape(R"(\u12)"));
  EXPECT_FALSE(json_unescape(R"(\ude00)"));  // a lone low surrogate
  EXPECT_FALSE(json_unescape("a\\"));
}

TEST(JsonText, EscapesEachCharacterAsTheOriginalDid) {
  struct Case {
    const char* value;
    const char* original;
    const char* want;
  };
  const Case cases[] = {
      // PHP's json_encode(): \/ and \u escapes of non-ASCII, lower-case hex
      {"s:3:\"é/😀\";\n", R"(\/\u00e9)", R"(s:3:\"\u00e9\/\ud83d\ude00\";\n)"},
      // JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE; a control character it had not shown
      {"é/\x01", "é/", "é/\\u0001"},
      // Gutenberg's escapes of < > and -- stay as they were
      {"<a href=\"x\">--", R"(\u003ca\u003e\u002d\u0022)",
       R"(\u003ca href=\u0022x\u0022\u003e\u002d\u002d)"},
      {"é", R"(\u00E9)", R"(\u00E9)"},
  };
  for (const Case& c : cases) {
    std::string out;
    json_escape_like(c.value, c.original, out);
    EXPECT_EQ(out, c.want) << c.value;
  }
}

}  // namespace
}  // namespace wpfleet::content
