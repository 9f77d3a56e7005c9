// A corpus of tricky values, each with the exact expected result.
#include "content/value_rewriter.h"

#include <gtest/gtest.h>

#include "content/php_serialized.h"

namespace wpfleet::content {
namespace {

// s:N:"...": as PHP's serialize() writes a string.
std::string S(std::string_view value) {
  return "s:" + std::to_string(value.size()) + ":\"" + std::string(value) + "\";";
}

// The contents of a JSON string as PHP's json_encode() writes them: '"', '\\' and '/'
// escaped, and (of the non-ASCII characters used here) é as \u00e9.
std::string json_escaped(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value.substr(i).starts_with("é")) {
      out += "\\u00e9";
      ++i;
      continue;
    }
    if (value[i] == '"' || value[i] == '\\' || value[i] == '/') out += '\\';
    out += value[i];
  }
  return out;
}

struct Case {
  std::string name, in, out;
  std::uint64_t replacements = 0, malformed = 0;
};

// Rewrites c.in, expecting c.out and c.replacements; the counts, for more checks.
ValueCounts rewrites_as_expected(ValueRewriter& rewriter, const Case& c) {
  std::string out;
  const ValueCounts counts = rewriter.rewrite(c.in, out);
  EXPECT_EQ(out, c.out) << c.name;
  EXPECT_EQ(counts.replacements, c.replacements) << c.name;
  return counts;
}

const std::string kOld = "http://old.example";
const std::string kNew = "https://new.example";

std::vector<Case> corpus() {
  const std::string inner_old = "a:1:{s:3:\"url\";" + S(kOld + "/x") + "}";
  const std::string inner_new = "a:1:{s:3:\"url\";" + S(kNew + "/x") + "}";
  return {
      {"plain text", "<a href=\"http://old.example/x\">", "<a href=\"https://new.example/x\">", 1},
      {"serialized string, by hand", R"(s:20:"http://old.example/x";)",
       R"(s:21:"https://new.example/x";)", 1},
      {"nested arrays",
       "a:2:{s:4:\"home\";" + S(kOld) + "s:7:\"widgets\";a:1:{i:0;a:2:{s:5:\"title\";" +
           S("Café 日本") + "s:4:\"text\";" + S("<a href=\"" + kOld + "/menu\">menu</a>") + "}}}",
       "a:2:{s:4:\"home\";" + S(kNew) + "s:7:\"widgets\";a:1:{i:0;a:2:{s:5:\"title\";" +
           S("Café 日本") + "s:4:\"text\";" + S("<a href=\"" + kNew + "/menu\">menu</a>") + "}}}",
       2},
      {"multibyte lengths are bytes", S("日本語 " + kOld + "/é 😀"), S("日本語 " + kNew + "/é 😀"),
       1},
      {"escaped JSON inside serialized", S(R"({"url":"http:\/\/old.example\/a.jpg"})"),
       S(R"({"url":"https:\/\/new.example\/a.jpg"})"), 1},
      {"serialized inside JSON inside serialized",
       S("{\"data\":\"" + json_escaped(inner_old) + "\"}"),
       S("{\"data\":\"" + json_escaped(inner_new) + "\"}"), 1},
      {"serialized inside a JSON value, PHP's unicode escapes",
       "{\"t\":\"caf\\u00e9\",\"d\":\"" + json_escaped(S("café " + kOld)) + "\"}",
       "{\"t\":\"caf\\u00e9\",\"d\":\"" + json_escaped(S("café " + kNew)) + "\"}", 1},
      {"JSON double-encoded in a JSON string", R"({"inner":"{\"u\":\"http:\\/\\/old.example\"}"})",
       R"({"inner":"{\"u\":\"https:\\/\\/new.example\"}"})", 1},
      {"JSON keys are renamed too", R"({"http://old.example":"http://old.example"})",
       R"({"https://new.example":"https://new.example"})", 2},
      {"object with a reference to itself",
       "O:8:\"stdClass\":2:{s:3:\"url\";" + S(kOld) + "s:4:\"self\";r:1;}",
       "O:8:\"stdClass\":2:{s:3:\"url\";" + S(kNew) + "s:4:\"self\";r:1;}", 1},
      {"PHP reference", "a:2:{i:0;" + S(kOld) + "i:1;R:2;}", "a:2:{i:0;" + S(kNew) + "i:1;R:2;}",
       1},
      {"custom-serialized object",
       "C:4:\"Menu\":" + std::to_string(S(kOld).size()) + ":{" + S(kOld) + "}",
       "C:4:\"Menu\":" + std::to_string(S(kNew).size()) + ":{" + S(kNew) + "}", 1},
      {"malformed length: untouched, counted", "a:1:{s:3:\"url\";s:99:\"" + kOld + "\";}",
       "a:1:{s:3:\"url\";s:99:\"" + kOld + "\";}", 0, 1},
      {"malformed inside a good value: only it is untouched",
       "a:2:{i:0;" + S(kOld) + "i:1;" + S("s:99:\"" + kOld + "\";") + "}",
       "a:2:{i:0;" + S(kNew) + "i:1;" + S("s:99:\"" + kOld + "\";") + "}", 1, 1},
      {"a longer host is another host", S(kOld + ".com/x"), S(kOld + ".com/x"), 0},
      {"whitespace around serialized data", "  " + S(kOld) + "\n", "  " + S(kNew) + "\n", 1},
      {"Gutenberg block attributes",
       R"(<!-- wp:image {"id":5,"url":"http:\/\/old.example\/a.jpg"} --><img src="http://old.example/a.jpg"/><!-- /wp:image -->)",
       R"(<!-- wp:image {"id":5,"url":"https:\/\/new.example\/a.jpg"} --><img src="https://new.example/a.jpg"/><!-- /wp:image -->)",
       2},
      {"Gutenberg unicode escapes",
       R"(<!-- wp:cover {"url":"http:\u002F\u002Fold.example\u002Fa.jpg"} -->)",
       R"(<!-- wp:cover {"url":"https:\u002F\u002Fnew.example\u002Fa.jpg"} -->)", 1},
      {"brackets but not JSON", "[embed]http://old.example/v[/embed]",
       "[embed]https://new.example/v[/embed]", 1},
      {"URL-encoded in a serialized query string", S("/?redirect=http%3A%2F%2Fold.example%2F"),
       S("/?redirect=https%3A%2F%2Fnew.example%2F"), 1},
  };
}

TEST(ValueRewriter, RewritesTheCorpus) {
  auto replacer = Replacer::create({{kOld, kNew}});
  ASSERT_TRUE(replacer.ok());
  ValueRewriter rewriter(*replacer);
  for (const Case& c : corpus()) {
    std::string out;
    const ValueCounts counts = rewriter.rewrite(c.in, out);
    EXPECT_EQ(out, c.out) << c.name;
    EXPECT_EQ(counts.replacements, c.replacements) << c.name;
    EXPECT_EQ(counts.malformed, c.malformed) << c.name;
  }
}

// Serialized data in a string in serialized data..., `levels` deep, FROM at the bottom.
std::string nested_strings(int levels, const std::string& url) {
  std::string value = S(url);
  for (int i = 1; i < levels; ++i) value = S(value);
  return value;
}

TEST(ValueRewriter, RewritesDeeplyNestedStrings) {
  auto replacer = Replacer::create({{kOld, kNew}});
  ASSERT_TRUE(replacer.ok());
  ValueRewriter rewriter(*replacer);
  std::string out;
  const ValueCounts counts = rewriter.rewrite(nested_strings(100, kOld), out);
  EXPECT_EQ(out, nested_strings(100, kNew));
  EXPECT_EQ(counts.replacements, 1u);
}

TEST(ValueRewriter, LeavesValuesNestedTooDeepAloneAndCountsThem) {
  auto replacer = Replacer::create({{kOld, kNew}});
  ASSERT_TRUE(replacer.ok());
  ValueRewriter rewriter(*replacer);
  const std::string deep = nested_strings(kMaxNesting + 100, kOld);
  std::string out;
  const ValueCounts counts = rewriter.rewrite(deep, out);
  EXPECT_EQ(out, deep);
  EXPECT_EQ(counts.replacements, 0u);
  EXPECT_EQ(counts.malformed, 1u);
}

TEST(ValueRewriter, DoesNotParseNestedValuesWithoutFrom) {
  auto replacer = Replacer::create({{kOld, kNew}});
  ASSERT_TRUE(replacer.ok());
  ValueRewriter rewriter(*replacer);
  std::string out;
  const std::string broken_without_from = S("s:99:\"x\";");
  const ValueCounts counts =
      rewriter.rewrite("a:2:{i:0;" + S(kOld) + "i:1;" + broken_without_from + "}", out);
  EXPECT_EQ(out, "a:2:{i:0;" + S(kNew) + "i:1;" + broken_without_from + "}");
  EXPECT_EQ(counts.malformed, 0u);
}

// Pairs a URL-minded rewriter refused: quotes, backslashes, UTF-8 alone, NUL.
TEST(ValueRewriter, RewritesAnyBytesInSerializedAndJsonValues) {
  const std::string nul_x("\0x", 2);
  auto replacer = Replacer::create({{R"(say "hi")", R"(C:\new)", MatchMode::Text},
                                    {"☀", "☆☆", MatchMode::Text},
                                    {nul_x, "y", MatchMode::Text}});
  ASSERT_TRUE(replacer.ok()) << replacer.error().message;
  ValueRewriter rewriter(*replacer);
  const Case cases[] = {
      {"serialized, lengths in bytes", S(R"(say "hi" ☀)"), S(R"(C:\new ☆☆)"), 2},
      {"serialized NUL", "a:1:{i:0;" + S("a" + nul_x) + "}", "a:1:{i:0;" + S("ay") + "}", 1},
      {"JSON, escaped as it was", R"({"t":"say \"hi\"","s":"\u2600"})",
       R"({"t":"C:\\new","s":"\u2606\u2606"})", 2},
      {"JSON with UTF-8 as is", R"(["☀ say \"hi\""])", R"(["☆☆ C:\\new"])", 2},
      {"serialized inside JSON", "{\"d\":\"" + json_escaped(S("☀")) + "\"}",
       "{\"d\":\"" + json_escaped(S("☆☆")) + "\"}", 1},
      {"JSON inside serialized", S(R"({"t":"say \"hi\""})"), S(R"({"t":"C:\\new"})"), 1},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(rewrites_as_expected(rewriter, c).malformed, 0u) << c.name;
    EXPECT_TRUE(looks_serialized(c.out) == looks_serialized(c.in)) << c.name;
  }
}

TEST(ValueRewriter, CountsOccurrencesLeftAloneInNestedValues) {
  auto replacer = Replacer::create({{"old.example", "new.example"}});
  ASSERT_TRUE(replacer.ok());
  ValueRewriter rewriter(*replacer);
  std::string out;
  const ValueCounts counts =
      rewriter.rewrite("a:2:{i:0;" + S("old.example.org") + "i:1;" +
                           S(R"({"h":"old.example-cdn.net old.example"})") + "}",
                       out);
  EXPECT_EQ(counts.replacements, 1u);
  EXPECT_EQ(counts.left_alone, 2u);
}

TEST(ValueRewriter, RenamesSerializedArrayKeysAndCountsThoseKept) {
  auto replacer = Replacer::create({{kOld, kNew}});
  ASSERT_TRUE(replacer.ok());
  ValueRewriter rewriter(*replacer);
  std::string out;
  ValueCounts counts = rewriter.rewrite("a:1:{" + S(kOld + "/about") + S(kOld + "/x") + "}", out);
  EXPECT_EQ(out, "a:1:{" + S(kNew + "/about") + S(kNew + "/x") + "}");
  EXPECT_EQ(counts.replacements, 2u);
  EXPECT_EQ(counts.keys_kept, 0u);
  // Renaming the first key would make two keys https://new.example/a: it stays, counted.
  const std::string taken = "a:2:{" + S(kOld + "/a") + "i:1;" + S(kNew + "/a") + "i:2;}";
  out.clear();
  counts = rewriter.rewrite(taken, out);
  EXPECT_EQ(out, taken);
  EXPECT_EQ(counts.replacements, 0u);
  EXPECT_EQ(counts.keys_kept, 1u);
}

// JSON object keys are rewritten as serialized array keys are: decoded (with or without
// \/), replaced as text, encoded as they were; a key whose new name its object already
// has is kept and counted (json_decode() would keep one of the two values).
TEST(ValueRewriter, RenamesJsonObjectKeysAndCountsThoseKept) {
  auto replacer = Replacer::create({{kOld, kNew}});
  ASSERT_TRUE(replacer.ok());
  ValueRewriter rewriter(*replacer);
  const Case cases[] = {
      {"plain key", R"({"http://old.example/a":1})", R"({"https://new.example/a":1})", 1},
      {"escaped slashes", R"({"http:\/\/old.example\/a":{"n":"http:\/\/old.example"}})",
       R"({"https:\/\/new.example\/a":{"n":"https:\/\/new.example"}})", 2},
      {"nested object, array of objects", R"([{"x":{"http://old.example":[1]}},{"http://old.example":2}])",
       R"([{"x":{"https://new.example":[1]}},{"https://new.example":2}])", 2},
      {"the same name in another object is no collision",
       R"({"a":{"http://old.example/a":1},"b":{"https://new.example/a":2}})",
       R"({"a":{"https://new.example/a":1},"b":{"https://new.example/a":2}})", 1},
      {"a longer host as key", R"({"http://old.example.org":1})", R"({"http://old.example.org":1})", 0},
  };
  for (const Case& c : cases) EXPECT_EQ(rewrites_as_expected(rewriter, c).keys_kept, 0u) << c.name;
  // Taken: by a key of the same object, or by another renamed key.
  const std::string taken = R"({"http://old.example/a":1,"https://new.example/a":2,"k":"http://old.example"})";
  std::string out;
  ValueCounts counts = rewriter.rewrite(taken, out);
  EXPECT_EQ(out, R"({"http://old.example/a":1,"https://new.example/a":2,"k":"https://new.example"})");
  EXPECT_EQ(counts.replacements, 1u);
  EXPECT_EQ(counts.keys_kept, 1u);
  const std::string both = R"({"http://old.example/a":1,"https://old.example/a":2})";
  out.clear();
  counts = rewriter.rewrite(both, out);
  EXPECT_EQ(out, both);
  EXPECT_EQ(counts.replacements, 0u);
  EXPECT_EQ(counts.keys_kept, 2u);
}

// What promote passes (the URL and the bare host) leaves no form of the host: a host as a
// whole value (multisite's wp_blogs.domain), in JSON, serialized, as a token in text.
TEST(ValueRewriter, BareHostPairReplacesAHostAsAWholeValueOrToken) {
  const std::string old_host = "goldencrust.wpdev.kimmyai.io";
  auto replacer = Replacer::create(
      {{"http://" + old_host, "https://goldencrust.example"}, {old_host, "goldencrust.example"}});
  ASSERT_TRUE(replacer.ok());
  ValueRewriter rewriter(*replacer);
  const Case cases[] = {
      {"whole value", old_host, "goldencrust.example", 1},
      {"JSON", R"({"domain":"goldencrust.wpdev.kimmyai.io"})",
       R"({"domain":"goldencrust.example"})", 1},
      {"serialized", S(old_host), S("goldencrust.example"), 1},
      {"tokens", "admin@" + old_host + ", " + old_host + ":8080, ." + old_host,
       "admin@goldencrust.example, goldencrust.example:8080, .goldencrust.example", 3},
      {"URL", "http://" + old_host + "/x", "https://goldencrust.example/x", 1},
      {"longer host", old_host + ".cdn.net", old_host + ".cdn.net", 0},
  };
  for (const Case& c : cases) {
    std::string out;
    const ValueCounts counts = rewriter.rewrite(c.in, out);
    EXPECT_EQ(out, c.out) << c.name;
    EXPECT_EQ(counts.replacements, c.replacements) << c.name;
  }
}

}  // namespace
}  // namespace wpfleet::content
