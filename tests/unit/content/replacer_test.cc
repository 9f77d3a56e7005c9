#include "content/replacer.h"

#include <gtest/gtest.h>

namespace wpfleet::content {
namespace {

Replacer make(std::vector<Replacement> pairs) {
  auto replacer = Replacer::create(pairs);
  EXPECT_TRUE(replacer.ok()) << replacer.error().message;
  return std::move(replacer).value();
}

Replacer text(std::string from, std::string to) {
  return make({{std::move(from), std::move(to), MatchMode::Text}});
}

Replacer old_to_new() { return make({{"http://old.example", "https://new.example"}}); }

std::string replaced(const Replacer& replacer, std::string_view text) {
  std::string out;
  replacer.replace(text, out);
  return out;
}

struct Case {
  const char* in;
  const char* out;
};

void expect_all(const Replacer& replacer, std::initializer_list<Case> cases) {
  for (const Case& c : cases) EXPECT_EQ(replaced(replacer, c.in), c.out) << "input: " << c.in;
}

TEST(Replacer, ReplacesBothSchemesAndProtocolRelative) {
  expect_all(old_to_new(),
             {
                 {"see http://old.example/about", "see https://new.example/about"},
                 {"see https://old.example/about", "see https://new.example/about"},
                 {"<img src=\"//old.example/a.jpg\">", "<img src=\"//new.example/a.jpg\">"},
                 {"http://old.example", "https://new.example"},
             });
}

TEST(Replacer, ReplacesJsonEscapedFormsInTheirOwnStyle) {
  expect_all(
      old_to_new(),
      {
          {R"({"url":"http:\/\/old.example\/a.jpg"})", R"({"url":"https:\/\/new.example\/a.jpg"})"},
          {R"("http:\u002F\u002Fold.example")", R"("https:\u002F\u002Fnew.example")"},
          {R"("http:\u002f\u002fold.example")", R"("https:\u002f\u002fnew.example")"},
          {R"("http\u003a\/\/old.example")", R"("https\u003a\/\/new.example")"},
          {R"("\/\/old.example\/x")", R"("\/\/new.example\/x")"},
      });
}

TEST(Replacer, ReplacesUrlEncodedFormsInTheirOwnCase) {
  expect_all(old_to_new(),
             {
                 {"?u=http%3A%2F%2Fold.example%2Fa", "?u=https%3A%2F%2Fnew.example%2Fa"},
                 {"?u=http%3a%2f%2fold.example", "?u=https%3a%2f%2fnew.example"},
                 {"?u=http%3A//old.example", "?u=https%3A//new.example"},
                 {"?u=%2F%2Fold.example", "?u=%2F%2Fnew.example"},
             });
}

TEST(Replacer, DoesNotMixJsonAndUrlEscapesInOneOccurrence) {
  expect_all(old_to_new(), {{R"(http%3A\/\/old.example)", R"(http%3A\/\/new.example)"}});
}

// As WordPress's esc_attr()/esc_url() and other encoders write attributes: hex, decimal
// (with leading zeros) and named references, each kept in its own spelling.
TEST(Replacer, ReplacesHtmlCharacterReferencesInTheirOwnStyle) {
  expect_all(old_to_new(),
             {
                 {R"(<a href="http:&#x2F;&#x2F;old.example&#x2F;?a=1&amp;b=2">)",
                  R"(<a href="https:&#x2F;&#x2F;new.example&#x2F;?a=1&amp;b=2">)"},
                 {"http:&#x2f;&#x2f;old.example", "https:&#x2f;&#x2f;new.example"},
                 {"http:&#47;&#47;old.example&#47;", "https:&#47;&#47;new.example&#47;"},
                 {"http:&#047;&#047;old.example", "https:&#047;&#047;new.example"},
                 {"http&#x3A;&#x2F;&#x2F;old.example", "https&#x3A;&#x2F;&#x2F;new.example"},
                 {"https&#58;&#47;&#47;old.example", "https&#58;&#47;&#47;new.example"},
                 {"http&colon;&sol;&sol;old.example", "https&colon;&sol;&sol;new.example"},
                 {"src=&quot;&#x2F;&#x2F;old.example&#x2F;a.jpg&quot;",
                  "src=&quot;&#x2F;&#x2F;new.example&#x2F;a.jpg&quot;"},
             });
}

TEST(Replacer, HtmlReferencesDecodeTheNeighboursOfAHost) {
  expect_all(old_to_new(),
             {
                 {"http:&#x2F;&#x2F;old.example&#46;com", "http:&#x2F;&#x2F;old.example&#46;com"},
                 {"http://old.example&#x2E;org", "http://old.example&#x2E;org"},
                 {"http://old.example&#46;", "https://new.example&#46;"},
             });
  expect_all(
      make({{"old.example", "new.example"}}),
      {{"a&#64;old.example", "a&#64;new.example"}, {"x&#x62;old.example", "x&#x62;old.example"}});
}

// `http%3A` and `&#x2F;&#x2F;` are not one occurrence: only the protocol-relative form
// after it is.
TEST(Replacer, DoesNotMixHtmlWithOtherEscapesInOneOccurrence) {
  expect_all(old_to_new(), {{"http%3A&#x2F;&#x2F;old.example", "http%3A&#x2F;&#x2F;new.example"}});
}

// A FROM with '&' finds `&amp;` and `&#038;` (esc_url()), and TO's '&' is written alike.
TEST(Replacer, ReplacesAmpersandsOfQueryStringsInTheirHtmlForms) {
  const Replacer replacer = make({{"http://old.example/?a=1&b=2", "https://new.example/?b=3&c=4"}});
  expect_all(replacer,
             {
                 {"http://old.example/?a=1&b=2", "https://new.example/?b=3&c=4"},
                 {"http://old.example/?a=1&amp;b=2", "https://new.example/?b=3&amp;c=4"},
                 {"http://old.example/?a=1&#038;b=2", "https://new.example/?b=3&#038;c=4"},
                 {"http://old.example/?a=1&amp;c=2", "http://old.example/?a=1&amp;c=2"},
             });
}

// An attribute's HTML-escaped occurrence must not be ended by TO's quote or broken by its
// '&': they are escaped as esc_attr() would.
TEST(Replacer, EscapesToForTheHtmlAttributeItIsWrittenInto) {
  expect_all(text("a/b", "\"x' & <y>"),
             {{R"(title="a&#x2F;b")", R"(title="&quot;x&#039; &amp; &lt;y&gt;")"},
              {R"(title="a/b")", R"(title=""x' & <y>")"}});
}

// Non-ASCII characters as JSON's \u escapes (surrogate pairs too) and HTML's numeric
// references; TO's are written as FROM's were.
TEST(Replacer, ReplacesNonAsciiCharactersWrittenAsCodePoints) {
  const Replacer sun = text("☀ café", "☆ thé");
  expect_all(sun, {
                      {R"(<!-- wp:x {"t":"\u2600 caf\u00e9"} -->)",
                       R"(<!-- wp:x {"t":"\u2606 th\u00e9"} -->)"},
                      {R"(\u2600 caf\u00E9)", R"(\u2606 th\u00E9)"},
                      {"&#9728; caf&#233;", "&#9734; th&#233;"},
                      {"&#x2600; caf&#xe9;", "&#x2606; th&#xe9;"},
                      {"☀ café", "☆ thé"},
                      {R"(\u2600 café)", R"(\u2606 thé)"},
                  });
  expect_all(text("😀", "🙂!"), {
                                     {R"("\ud83d\ude00")", R"("\ud83d\ude42!")"},
                                     {R"("\uD83D\uDE00")", R"("\uD83D\uDE42!")"},
                                     {"&#128512;", "&#128578;!"},
                                     {R"("\ud83d")", R"("\ud83d")"},
                                 });
  // FROM without a non-ASCII character shows no escape of them: TO's stay UTF-8.
  expect_all(text("a/b", "é/b"), {{R"(a\/b)", R"(é\/b)"}, {"a&#x2F;b", "é&#x2F;b"}});
}

TEST(Replacer, LeavesLongerHostsAlone) {
  expect_all(old_to_new(),
             {
                 {"http://old.example.com/", "http://old.example.com/"},
                 {"http://old.examples.net", "http://old.examples.net"},
                 {"http://old.example-cdn.net", "http://old.example-cdn.net"},
                 {"http://old.example2", "http://old.example2"},
                 {R"(http:\/\/old.example\u002ecom)", R"(http:\/\/old.example\u002ecom)"},
                 {"http%3A%2F%2Fold.example%2Ecom", "http%3A%2F%2Fold.example%2Ecom"},
             });
}

TEST(Replacer, ReplacesBeforeAnythingThatEndsTheHost) {
  expect_all(old_to_new(), {
                               {"http://old.example:8080/", "https://new.example:8080/"},
                               {"Visit http://old.example.", "Visit https://new.example."},
                               {"http://old.example-", "https://new.example-"},
                               {"'http://old.example'", "'https://new.example'"},
                               {"http://old.example?p=1", "https://new.example?p=1"},
                               {"http://old.example%2Fa", "https://new.example%2Fa"},
                               {"http://old.example_x", "https://new.example_x"},
                           });
}

TEST(Replacer, BareHostPairKeepsToWholeLabels) {
  const Replacer replacer = make({{"old.example", "new.example"}});
  expect_all(replacer, {
                           {"admin@old.example", "admin@new.example"},
                           {"www.old.example", "www.new.example"},
                           {"bold.example", "bold.example"},
                           {"my-old.example", "my-old.example"},
                           {"%2Fold.example", "%2Fnew.example"},
                           {"http://old.example.org", "http://old.example.org"},
                       });
}

TEST(Replacer, UrlPairLeavesTheBareHostAlone) {
  expect_all(old_to_new(), {{"mail admin@old.example", "mail admin@old.example"}});
}

TEST(Replacer, CountsOccurrencesAndKeepsTheRest) {
  const Replacer replacer = old_to_new();
  std::string out;
  EXPECT_EQ(replacer.replace("a http://old.example b https://old.example/ c", out).replaced, 2u);
  EXPECT_EQ(out, "a https://new.example b https://new.example/ c");
  out.clear();
  EXPECT_EQ(replacer.replace("nothing here", out).replaced, 0u);
  EXPECT_EQ(out, "nothing here");
}

TEST(Replacer, LongestFromWinsAndReplacementsDoNotChain) {
  const Replacer replacer = make({{"http://old.example", "https://new.example"},
                                  {"http://old.example/blog", "https://blog.example"},
                                  {"https://new.example", "https://other.example"}});
  expect_all(replacer, {
                           {"http://old.example/blog/x", "https://blog.example/x"},
                           {"http://old.example/shop", "https://new.example/shop"},
                           {"https://new.example/", "https://other.example/"},
                       });
}

TEST(Replacer, ToWithoutSchemeMakesLinksRootRelative) {
  const Replacer replacer = make({{"http://old.example", ""}});
  expect_all(replacer, {
                           {"<a href=\"http://old.example/about\">", "<a href=\"/about\">"},
                           {"<a href=\"//old.example/about\">", "<a href=\"/about\">"},
                       });
}

TEST(Replacer, MayOccurInIsAFilterWithoutFalseNegatives) {
  const Replacer replacer = old_to_new();
  EXPECT_TRUE(replacer.may_occur_in("x http%3A%2F%2Fold.example"));
  EXPECT_TRUE(replacer.may_occur_in("old.example.com"));  // a candidate, not a match
  EXPECT_FALSE(replacer.may_occur_in("http://new.example"));
}

TEST(Replacer, MatchesMultibyteTextAroundOccurrences) {
  expect_all(old_to_new(), {{"日本 http://old.example/é 😀", "日本 https://new.example/é 😀"}});
}

TEST(Replacer, RejectsUnusablePairs) {
  struct Bad {
    std::vector<Replacement> pairs;
    const char* message_part;
  };
  const Bad bad[] = {
      {{}, "nothing to replace"},
      {{{"", "https://new.example"}}, "empty"},
      {{{"http://old.example", "http://old.example"}}, "by itself"},
      {{{"http://old.example", "a"}, {"https://old.example", "b"}}, "two pairs"},
  };
  for (const Bad& b : bad) {
    auto replacer = Replacer::create(b.pairs);
    ASSERT_FALSE(replacer.ok());
    EXPECT_NE(replacer.error().message.find(b.message_part), std::string::npos)
        << replacer.error().message;
  }
}

TEST(Replacer, AcceptsAnyBytes) {
  const std::vector<Replacement> pairs[] = {
      {{"http://old.example", "https://new\"example"}},
      {{"http://old\\example", "https://new.example"}},
      {{"http://old.example\n", "https://new.example"}},
      {{"http://", "https://"}},
      {{"☀ ☆ ☂", "x", MatchMode::Text}},
      {{std::string("\0\x01", 2), "\x1a", MatchMode::Text}},
      {{"-", "--", MatchMode::Text}},
  };
  for (const auto& p : pairs) EXPECT_TRUE(Replacer::create(p).ok()) << p.front().from;
}

TEST(Replacer, ReplacesQuotesInTheirJsonEscapedFormsToo) {
  expect_all(text(R"(say "hi")", R"(say "bye")"),
             {
                 {R"(<p>say "hi"</p>)", R"(<p>say "bye"</p>)"},
                 {R"(<!-- wp:x {"t":"say \"hi\""} -->)", R"(<!-- wp:x {"t":"say \"bye\""} -->)"},
                 {R"({"t":"say \u0022hi\u0022"})", R"({"t":"say \u0022bye\u0022"})"},
             });
}

TEST(Replacer, ReplacesBackslashesInTheirJsonEscapedFormsToo) {
  expect_all(text(R"(C:\old)", R"(D:\new)"), {
                                                 {R"(path C:\old\x)", R"(path D:\new\x)"},
                                                 {R"({"p":"C:\\old"})", R"({"p":"D:\\new"})"},
                                             });
}

TEST(Replacer, EscapesQuotesOfToInsideAJsonEscapedOccurrence) {
  // `\/` says the occurrence is JSON-escaped: TO's quote and backslash must not end it.
  expect_all(text("a/b", "\"a\\b\""), {{R"({"v":"a\/b"})", R"({"v":"\"a\\b\""})"}});
}

TEST(Replacer, ReplacesMultibyteOnlyTextInPlainAndUrlEncodedForms) {
  expect_all(text("☀", "☆"), {
                                 {"☀ sun ☀☀", "☆ sun ☆☆"},
                                 {"?q=%E2%98%80&r=%e2%98%80", "?q=%E2%98%86&r=%e2%98%86"},
                                 {"☂ only", "☂ only"},
                             });
  expect_all(text("☀ ☆ ☂", "☂"), {{"a ☀ ☆ ☂ b", "a ☂ b"}});
}

TEST(Replacer, ReplacesNulAndControlBytes) {
  const std::string nul_from("a\0b", 3);
  expect_all(text(nul_from, "c\nd"), {{std::string("x\0a\0b", 5).c_str(), "x"}});
  EXPECT_EQ(replaced(text(nul_from, "c\nd"), std::string("x a\0b y", 7)), "x c\nd y");
  // In a JSON-escaped occurrence, TO's newline is escaped the way JSON writes it.
  EXPECT_EQ(replaced(text(nul_from, "c\nd"), R"({"v":"a\u0000b"})"), R"({"v":"c\nd"})");
  expect_all(text("\t-\t", "|"), {{"a\t-\tb", "a|b"}, {R"(a\t-\tb)", "a|b"}});
}

TEST(Replacer, ReplacesTextStartingWithADashOrMadeOfDashes) {
  expect_all(text("--draft", "--final"), {{"v1--draft and v2--draft", "v1--final and v2--final"}});
  expect_all(text("---", "—"), {{"a --- b ----", "a — b —-"}});
}

ReplaceCounts counted(const Replacer& replacer, std::string_view in, std::string& out) {
  out.clear();
  return replacer.replace(in, out);
}

TEST(Replacer, TextModeReplacesEveryOccurrence) {
  std::string out;
  const ReplaceCounts counts =
      counted(text("hello", "goodbye"), "hello-world, hellos, ohello.example, hello", out);
  EXPECT_EQ(out, "goodbye-world, goodbyes, ogoodbye.example, goodbye");
  EXPECT_EQ(counts.replaced, 4u);
  EXPECT_EQ(counts.left_alone, 0u);
  // A URL in text mode is just text: no other scheme, no protocol-relative form.
  expect_all(text("http://old.example", "https://new.example"),
             {{"http://old.example.com https://old.example //old.example",
               "https://new.example.com https://old.example //old.example"}});
}

TEST(Replacer, UrlModeCountsWhatItLeavesAlone) {
  std::string out;
  const Replacer hello = make({{"hello", "goodbye", MatchMode::Url}});
  ReplaceCounts counts = counted(hello, "hello-world, hellos, ohello, hello", out);
  EXPECT_EQ(out, "hello-world, hellos, ohello, goodbye");
  EXPECT_EQ(counts.replaced, 1u);
  EXPECT_EQ(counts.left_alone, 3u);
  // Found by both the http: and the // needle, or replaced after all by the shorter one:
  // each occurrence counts once.
  counts = counted(old_to_new(), "http://old.example.com x//old.examples", out);
  EXPECT_EQ(counts.left_alone, 2u);
  counts = counted(old_to_new(), "xhttp://old.example/", out);
  EXPECT_EQ(out, "xhttp://new.example/");
  EXPECT_EQ(counts.replaced, 1u);
  EXPECT_EQ(counts.left_alone, 0u);
}

TEST(Replacer, UrlsAndHostNamesDefaultToUrlMode) {
  for (const char* url : {"http://old.example", "https://old.example/blog", "//old.example",
                          "old.example", "www.old-site.example:8080/blog", "a.b.co"}) {
    EXPECT_EQ(default_match(url), MatchMode::Url) << url;
  }
  for (const char* other : {"hello", "1.2.3", "localhost", "say \"hi\"", "☀", "-x", ".example",
                            "old..example", "old.example.", "wp-content/uploads", ""}) {
    EXPECT_EQ(default_match(other), MatchMode::Text) << other;
  }
}

TEST(Replacer, MayOccurInFindsFromsWithoutLettersInEveryForm) {
  const Replacer sun = text("☀", "☆");
  for (const char* in : {"☀", R"(\u2600)", "%E2%98%80", "&#9728;", "&#x2600;"}) {
    EXPECT_TRUE(sun.may_occur_in(in)) << in;
  }
  EXPECT_FALSE(sun.may_occur_in("plain text"));
}

}  // namespace
}  // namespace wpfleet::content
