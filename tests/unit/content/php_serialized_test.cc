#include "content/php_serialized.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace wpfleet::content {
namespace {

// Upper-cases every string value, so each rewritten payload changes its length check.
const StringRewrite kUpperCase = [](std::string_view payload, int, std::string& out) {
  std::string s(payload);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  out += s;
};

// Doubles every string value, so each length changes.
const StringRewrite kDouble = [](std::string_view payload, int, std::string& out) {
  out.append(payload);
  out.append(payload);
};

std::optional<std::string> rewrite(std::string_view text, const StringRewrite& how = kDouble) {
  std::string out;
  if (!rewrite_serialized(text, 0, {.string = how, .rename_key = {}, .key_kept = {}}, out)) {
    return std::nullopt;
  }
  return out;
}

TEST(PhpSerialized, LooksSerializedAsWordPressDecides) {
  for (const char* yes :
       {"N;", "b:1;", "i:-5;", "d:0.5;", "d:1.0E+25;", "s:1:\"a\";", "a:0:{}",
        "O:8:\"stdClass\":0:{}", "C:11:\"ArrayObject\":0:{}", "E:7:\"Suit:Hi\";"}) {
    EXPECT_TRUE(looks_serialized(yes)) << yes;
  }
  for (const char* no : {"", "N", "hello", "s:1:\"a\"", "a:x:{}", "i:5", "i:abc;", "x:1:{}",
                         "s:1:'a';", "http://old.example;"}) {
    EXPECT_FALSE(looks_serialized(no)) << no;
  }
}

TEST(PhpSerialized, RecomputesStringLengthsAtAnyDepth) {
  EXPECT_EQ(rewrite("s:3:\"abc\";"), "s:6:\"abcabc\";");
  EXPECT_EQ(rewrite("a:2:{i:0;s:1:\"x\";s:1:\"k\";a:1:{i:0;s:2:\"yz\";}}"),
            "a:2:{i:0;s:2:\"xx\";s:1:\"k\";a:1:{i:0;s:4:\"yzyz\";}}");
}

TEST(PhpSerialized, CountsBytesNotCharacters) {
  EXPECT_EQ(rewrite("s:5:\"é日\";"), "s:10:\"é日é日\";");
}

TEST(PhpSerialized, PayloadsMayHoldQuotesSemicolonsAndBraces) {
  EXPECT_EQ(rewrite("s:6:\"a\";}\"b\";", kUpperCase), "s:6:\"A\";}\"B\";");
}

TEST(PhpSerialized, LeavesKeysPropertyAndClassNamesAlone) {
  using namespace std::string_literals;  // property names hold NUL bytes
  EXPECT_EQ(rewrite("O:3:\"Foo\":2:{s:6:\"\0*\0pro\";s:1:\"v\";s:3:\"url\";i:7;}"s, kUpperCase),
            "O:3:\"Foo\":2:{s:6:\"\0*\0pro\";s:1:\"V\";s:3:\"url\";i:7;}"s);
  EXPECT_EQ(rewrite("a:1:{s:3:\"key\";s:3:\"val\";}", kUpperCase),
            "a:1:{s:3:\"key\";s:3:\"VAL\";}");
}

// Renames keys by a table of new names; records the keys kept.
struct KeyRenames {
  std::map<std::string, std::string> names;
  std::vector<std::string> kept;

  std::optional<std::string> run(std::string_view text) {
    std::string out;
    const SerializedRewrite how{
        .string = [](std::string_view payload, int, std::string& o) { o.append(payload); },
        .rename_key =
            [this](std::string_view key, std::string& o) {
              const auto it = names.find(std::string(key));
              if (it == names.end()) return false;
              o += it->second;
              return true;
            },
        .key_kept = [this](std::string_view key) { kept.emplace_back(key); }};
    if (!rewrite_serialized(text, 0, how, out)) return std::nullopt;
    return out;
  }
};

TEST(PhpSerialized, RenamesArrayKeysWithTheirLengths) {
  KeyRenames renames{{{"http://old.example/a", "https://new.example/a"}}, {}};
  EXPECT_EQ(renames.run("a:2:{s:20:\"http://old.example/a\";i:1;i:7;a:1:{s:20:\"http://"
                        "old.example/a\";b:1;}}"),
            "a:2:{s:21:\"https://new.example/a\";i:1;i:7;a:1:{s:21:\"https://new.example/"
            "a\";b:1;}}");
  EXPECT_TRUE(renames.kept.empty());
}

TEST(PhpSerialized, KeepsAKeyWhoseNewNameAnotherKeyHas) {
  KeyRenames renames{{{"old", "new"}}, {}};
  const std::string taken = "a:2:{s:3:\"old\";i:1;s:3:\"new\";i:2;}";
  EXPECT_EQ(renames.run(taken), taken);
  EXPECT_EQ(renames.kept, (std::vector<std::string>{"old"}));
  // The same name in another array is no collision.
  renames.kept.clear();
  EXPECT_EQ(renames.run("a:2:{i:0;a:1:{s:3:\"old\";i:1;}i:1;a:1:{s:3:\"new\";i:2;}}"),
            "a:2:{i:0;a:1:{s:3:\"new\";i:1;}i:1;a:1:{s:3:\"new\";i:2;}}");
  EXPECT_TRUE(renames.kept.empty());
}

TEST(PhpSerialized, KeepsBothKeysRenamedToOneNameAndWhatThatFrees) {
  // p and q would both become s: both are kept; r would then become p, which stays.
  KeyRenames renames{{{"p", "s"}, {"q", "s"}, {"r", "p"}}, {}};
  const std::string keys = "a:3:{s:1:\"p\";i:1;s:1:\"q\";i:2;s:1:\"r\";i:3;}";
  EXPECT_EQ(renames.run(keys), keys);
  EXPECT_EQ(renames.kept, (std::vector<std::string>{"p", "q", "r"}));
  // Renames that swap names take no name another key keeps.
  KeyRenames swap{{{"p", "q"}, {"q", "p"}}, {}};
  EXPECT_EQ(swap.run("a:2:{s:1:\"p\";i:1;s:1:\"q\";i:2;}"), "a:2:{s:1:\"q\";i:1;s:1:\"p\";i:2;}");
}

// PHP reads the key "5" as the integer 5: a rename to it is written i:5; and collides
// with an integer key 5.
TEST(PhpSerialized, ComparesAndWritesKeysAsPhpReadsThem) {
  KeyRenames renames{{{"five", "5"}, {"minus", "-0"}}, {}};
  EXPECT_EQ(renames.run("a:2:{s:4:\"five\";i:1;s:5:\"minus\";i:2;}"),
            "a:2:{i:5;i:1;s:2:\"-0\";i:2;}");
  const std::string taken = "a:2:{i:5;i:1;s:4:\"five\";i:2;}";
  EXPECT_EQ(renames.run(taken), taken);
  EXPECT_EQ(renames.kept, (std::vector<std::string>{"five"}));
}

TEST(PhpSerialized, RenamesNoPropertyNames) {
  KeyRenames renames{{{"url", "link"}}, {}};
  const std::string object = "O:8:\"stdClass\":1:{s:3:\"url\";i:1;}";
  EXPECT_EQ(renames.run(object), object);
  // An array in a Serializable payload is an array.
  EXPECT_EQ(renames.run("C:3:\"Foo\":18:{a:1:{s:3:\"url\";N;}}"),
            "C:3:\"Foo\":19:{a:1:{s:4:\"link\";N;}}");
}

TEST(PhpSerialized, CopiesScalarsAndReferencesAsTheyAre) {
  const std::string text =
      "a:12:{i:0;N;i:1;b:0;i:2;b:1;i:3;i:-9223372036854775808;i:4;d:0.1;i:5;d:-1.5E-7;"
      "i:6;d:INF;i:7;d:-INF;i:8;d:NAN;i:9;r:1;i:10;R:2;i:11;E:8:\"Suit:Ace\";}";
  EXPECT_EQ(rewrite(text), text);
}

TEST(PhpSerialized, RewritesCustomPayloadOnlyWhenItIsOneValue) {
  EXPECT_EQ(rewrite("C:3:\"Foo\":10:{s:3:\"abc\";}"), "C:3:\"Foo\":13:{s:6:\"abcabc\";}");
  // ArrayObject's own format is not one serialized value: copied as is.
  const std::string array_object = "C:11:\"ArrayObject\":21:{x:i:0;a:0:{};m:a:0:{}}";
  EXPECT_EQ(rewrite(array_object), array_object);
}

TEST(PhpSerialized, RejectsMalformedValues) {
  for (const char* bad : {
           "s:4:\"abc\";",                // length too long
           "s:2:\"abc\";",                // length too short
           "a:2:{i:0;s:1:\"a\";}",        // fewer elements than counted
           "a:1:{i:0;s:1:\"a\";i:1;N;}",  // more elements than counted
           "a:1:{d:0.5;N;}",              // a key must be an integer or a string
           "s:1:\"a\";trailing",          // more than one value
           "i:1",                         // no terminator
           "b:2;",
           "d:.;",
           "d:1e;",
           "O:3:\"Fo\":0:{}",
           "S:1:\"a\";",
           "x",
           "s:99999999999999999999:\"a\";",
       }) {
    EXPECT_FALSE(rewrite(bad).has_value()) << bad;
  }
}

TEST(PhpSerialized, RejectsNestingBeyondTheLimit) {
  std::string deep;
  for (int i = 0; i <= kMaxNesting; ++i) deep += "a:1:{i:0;";
  deep += "N;";
  for (int i = 0; i <= kMaxNesting; ++i) deep += "}";
  EXPECT_FALSE(rewrite(deep).has_value());
}

TEST(PhpSerialized, TellsTheRewriterHowDeepEachStringIs) {
  std::vector<int> depths;
  const StringRewrite record = [&depths](std::string_view payload, int depth, std::string& out) {
    depths.push_back(depth);
    out.append(payload);
  };
  ASSERT_TRUE(rewrite("a:2:{i:0;s:1:\"a\";i:1;a:1:{i:0;s:1:\"b\";}}", record));
  EXPECT_EQ(depths, (std::vector<int>{2, 3}));
}

}  // namespace
}  // namespace wpfleet::content
