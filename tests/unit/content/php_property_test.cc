// Property: for random nested PHP values v, rewriting serialize(v) in a dump gives exactly
// PHP's own serialize(replace_recursive(v)), for the URL pair in url mode and for random
// pairs of quotes, backslashes, multibyte, NUL and control bytes in text mode. PHP (php-cli, one
// process for every value) builds each value, serializes it, and computes the expected result with
// the unserialize / replace / serialize round trip that a PHP implementation would do.
#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "content/dump_rewriter.h"
#include "content/sql_escape.h"
#include "util/process.h"

namespace wpfleet::content {
namespace {

// The reference in PHP. Each input line is FROM and TO in hex (`-`: the URL pair) and an
// expression. For the URL pair, replace_text() knows the forms the generator writes
// (plain, https, protocol-relative, JSON-escaped, \u-escaped, URL-encoded) and the host
// boundary; in text mode it is str_replace(), the generator writing no backslash or '%'
// of its own that could make an escaped form of FROM.
constexpr const char* kPhpReference = R"PHP(
enum Suit { case Hearts; case Spades; }
class WpfProbe {
  public $title; protected $link; private $meta;
  function __construct($t, $l, $m) { $this->title = $t; $this->link = $l; $this->meta = $m; }
  function map(callable $f) {
    $this->title = $f($this->title); $this->link = $f($this->link); $this->meta = $f($this->meta);
  }
}
function twice($o) { return [$o, $o]; }
function with_ref(array $a) { $a[] = &$a[array_key_first($a)]; return $a; }

function replace_text($s) {
  global $FROM, $TO;
  if ($FROM !== null) return str_replace($FROM, $TO, $s);
  $re = '~((?<![A-Za-z0-9-])https?(?::|%3[aA]))?(//|\\\\/\\\\/|\\\\u002[fF]\\\\u002[fF]|%2[fF]%2[fF])'
      . 'old\.example(?![A-Za-z0-9]|[.-][A-Za-z0-9])~';
  return preg_replace_callback($re, function ($m) {
    if ($m[1] === '') return $m[2] . 'new.example';
    return 'https' . substr($m[1], $m[1][4] === 's' ? 5 : 4) . $m[2] . 'new.example';
  }, $s);
}
function is_serialized_like($s) {  // WordPress's is_serialized(), strict, and E:
  $s = trim($s);
  if ($s === 'N;') return true;
  if (strlen($s) < 4 || $s[1] !== ':' || !in_array(substr($s, -1), [';', '}'])) return false;
  if ($s[0] === 's' && substr($s, -2, 1) !== '"') return false;
  if (in_array($s[0], ['s', 'a', 'O', 'E'])) return (bool) preg_match("/^{$s[0]}:[0-9]+:/s", $s);
  return (bool) preg_match('/^[bid]:[0-9.E+-]+;$/', $s);
}
function rr_string($s) {
  if (is_serialized_like($s)) return serialize(rr(unserialize($s)));
  $t = trim($s);
  if ($t !== '' && ($t[0] === '{' || $t[0] === '[') && ($j = json_decode($t)) !== null) {
    $r = rr(json_decode($t));
    return serialize($r) === serialize($j) ? $s : json_encode($r);
  }
  return replace_text($s);
}
function rr($v) {
  if (is_string($v)) return rr_string($v);
  if ($v instanceof WpfProbe) { $v->map('rr'); return $v; }
  if (is_array($v) || $v instanceof stdClass) {
    foreach ($v as $k => &$x) { $x = rr($x); }
    unset($x);
  }
  return $v;
}
while (($line = fgets(STDIN)) !== false) {
  [$from, $to, $expression] = explode(' ', $line, 3);
  $FROM = $from === '-' ? null : hex2bin($from);
  $TO = $to === '-' ? null : hex2bin($to);
  $v = eval('return ' . $expression . ';');
  echo bin2hex(serialize($v)), ' ';
  echo bin2hex(serialize(rr($v))), "\n";
}
)PHP";

// Writes random PHP expressions; a fixed seed makes every run the same.
class ValueGenerator {
 public:
  // With `text_from`, texts hold it instead of the URL forms (see text_with()).
  explicit ValueGenerator(std::uint64_t seed, std::string text_from = "")
      : rng_(seed), text_from_(std::move(text_from)) {}

  // A random FROM or TO for text mode: quotes, backslashes, multibyte, NUL and controls.
  std::string tricky_bytes(std::size_t min_tokens) {
    static const std::string_view kTokens[] = {
        "\"",   "\\", "'",  "☀",    "☆", "é", std::string_view("\0", 1),
        "\x01", "\n", "\t", "\x1a", "-", "a"};
    std::string out;
    for (std::size_t n = min_tokens + pick(3); n > 0; --n) out += one_of(kTokens);
    return out;
  }

  static std::string hex(std::string_view bytes) {
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
    return out;
  }

  std::string value(int depth, bool in_json) {
    const int kinds = depth >= 4 ? 4 : 12;
    std::size_t kind = pick(kinds);
    // One object or reference in two places is rewritten once, but the reference would
    // replace twice, which only the URL pair survives unchanged (TO holds no FROM).
    if (!text_from_.empty() && (kind == 9 || kind == 10)) kind = 4;
    switch (kind) {
      case 0:
      case 1:
        return php_string(text());
      case 2:
        return scalar(in_json);
      case 3:
        return php_string(text());
      case 4:
        return array(depth, in_json);
      case 5:
        return "(object)" + array(depth, in_json, true);
      case 6:
        return "new WpfProbe(" + value(depth + 1, in_json) + ", " + value(depth + 1, in_json) +
               ", " + value(depth + 1, in_json) + ")";
      case 7:
        return "serialize(" + value(depth + 1, false) + ")";
      case 8:
        return "json_encode(" + array(depth, true) + ")";
      case 9:
        return "twice((object)" + array(depth, in_json, true) + ")";
      case 10:
        return "with_ref(" + array(depth, in_json, true) + ")";
      default:
        return in_json ? php_string(text()) : (pick(2) ? "Suit::Hearts" : "Suit::Spades");
    }
  }

 private:
  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }

  template <class T, std::size_t N>
  const T& one_of(const T (&options)[N]) {
    return options[pick(N)];
  }

  std::string scalar(bool in_json) {
    static const char* const kScalars[] = {
        "0",    "-7",    "PHP_INT_MAX", "PHP_INT_MIN",       "0.1",       "-2.5e-10", "1e25", "1.5",
        "true", "false", "null",        "PHP_FLOAT_EPSILON", "123456.789"};
    // JSON has no INF or NAN, and -0.0 comes back from it as the integer 0.
    static const char* const kNotJson[] = {"INF", "-INF", "NAN", "-0.0"};
    return in_json || pick(4) ? one_of(kScalars) : one_of(kNotJson);
  }

  std::string array(int depth, bool in_json, bool non_empty = false) {
    std::string out = "[";
    const std::size_t n = pick(4) + (non_empty || in_json ? 1 : 0);
    for (std::size_t i = 0; i < n; ++i) {
      if (pick(2))
        out +=
            php_string("k" + std::to_string(i) + (pick(3) ? "" : " http://old.example")) + " => ";
      out += value(depth + 1, in_json) + ", ";
    }
    return out + "]";
  }

  // Text with FROM in its forms, decoys, and bytes SQL and serialize() care about. Each
  // occurrence has a leading character chosen so that the neighbours cannot form
  // another escaped form by accident.
  std::string text() {
    if (!text_from_.empty()) return text_with(text_from_);
    static const std::string_view kNeutral[] = {"a",
                                                "b",
                                                "c",
                                                "x",
                                                "y",
                                                "Z",
                                                " ",
                                                "é",
                                                "日本",
                                                "😀",
                                                "\"",
                                                "'",
                                                ";",
                                                ":",
                                                "{",
                                                "}",
                                                "(",
                                                ",",
                                                "\\n",
                                                "\\\\",
                                                "\n",
                                                "\t",
                                                std::string_view("\0", 1),
                                                "\x1a",
                                                "s:",
                                                "a:{"};
    static const char* const kForms[] = {"http://old.example",
                                         "https://old.example",
                                         "//old.example",
                                         "http:\\/\\/old.example",
                                         "http%3A%2F%2Fold.example",
                                         "http%3a%2f%2fold.example",
                                         "http:\\u002F\\u002Fold.example",
                                         "\\/\\/old.example",
                                         "http://old.example.com",
                                         "http://old.examples.net",
                                         "http://old.example-cdn.net",
                                         "http://new.example"};
    static const char* const kLeads[] = {" ", "\"", "'", "(", "=", "é", ">", "a"};
    static const char* const kSuffixes[] = {
        "", "/wp-content/uploads/2024/01/a.jpg", ":8080/", ".", "?p=1", "/", "\\/a.png", "%2Fx"};
    std::string out;
    const std::size_t parts = pick(7);
    for (std::size_t i = 0; i < parts; ++i) {
      if (pick(3) == 0) {
        out += one_of(kLeads);
        out += one_of(kForms);
        out += one_of(kSuffixes);
      } else {
        for (std::size_t n = pick(6) + 1; n > 0; --n) out += one_of(kNeutral);
      }
    }
    return out;
  }

  // Text mode: FROM as is among bytes SQL and serialize() care about, without the
  // backslashes and '%' that could start an escaped form of FROM.
  std::string text_with(std::string_view from) {
    static const std::string_view kNeutral[] = {
        "a",    "b",  " ",   "é", "日本", "😀",  "\"", "'",
        ";",    ":",  "{",   "}", ",",    "\n", "\t", std::string_view("\0", 1),
        "\x1a", "s:", "a:{", "-", "☆"};
    std::string out;
    for (std::size_t parts = pick(7); parts > 0; --parts) {
      if (pick(3) == 0) {
        out += from;
      } else {
        out += one_of(kNeutral);
      }
    }
    return out;
  }

  static std::string php_string(std::string_view bytes) { return "hex2bin('" + hex(bytes) + "')"; }

  std::mt19937_64 rng_;
  std::string text_from_;
};

std::string from_hex(std::string_view hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return bytes;
}

std::string as_insert(std::string_view value) {
  std::string sql = "INSERT INTO `wp_options` VALUES (1,'";
  sql_escape(value, sql);
  return sql + "');\n";
}

struct PropertyCase {
  Replacement pair;
  std::string expression;
};

// Runs every case through PHP and the dump rewriter; returns how many values changed.
int expect_php_round_trip(const std::vector<PropertyCase>& cases) {
  std::string lines_in;
  for (const PropertyCase& c : cases) {
    const bool url = c.pair.match == MatchMode::Url;
    lines_in += (url ? "-" : ValueGenerator::hex(c.pair.from)) + " " +
                (url ? "-" : ValueGenerator::hex(c.pair.to)) + " " + c.expression + "\n";
  }
  CommandSpec php{.argv = {"php", "-d", "error_reporting=E_ALL", "-r", kPhpReference},
                  .env = {},
                  .clear_env = false,
                  .cwd = std::nullopt,
                  .run_as = std::nullopt,
                  .stdin_data = lines_in,
                  .timeout = std::chrono::minutes(2)};
  auto ran = run_command(php);
  EXPECT_TRUE(ran.ok()) << ran.error().message;
  if (!ran.ok()) return 0;
  EXPECT_EQ(ran->exit_code, 0) << ran->err << ran->out.substr(0, 2000);
  EXPECT_TRUE(ran->err.empty()) << ran->err;
  std::istringstream lines(ran->out);
  std::string line;
  std::size_t compared = 0;
  int changed = 0;
  while (std::getline(lines, line) && compared < cases.size()) {
    const PropertyCase& c = cases[compared];
    auto replacer = Replacer::create({c.pair});
    EXPECT_TRUE(replacer.ok()) << replacer.error().message;
    if (!replacer.ok()) return changed;
    const std::size_t space = line.find(' ');
    const std::string input = from_hex(line.substr(0, space));
    const std::string expected = from_hex(line.substr(space + 1));
    const std::size_t chunk = compared % 3 == 0 ? 7 : 1 << 20;
    DumpRewriter rewriter(*replacer);
    std::string out;
    const std::string dump = as_insert(input);
    for (std::size_t pos = 0; pos < dump.size(); pos += chunk) {
      rewriter.feed(std::string_view(dump).substr(pos, chunk), out);
    }
    EXPECT_TRUE(rewriter.finish(out).ok());
    EXPECT_EQ(out, as_insert(expected))
        << "value " << compared << ": " << input << "\nFROM " << ValueGenerator::hex(c.pair.from)
        << " TO " << ValueGenerator::hex(c.pair.to);
    if (testing::Test::HasFailure()) return changed;
    for (const ColumnCounts& col : rewriter.counts()) EXPECT_EQ(col.malformed, 0u) << input;
    changed += input != expected;
    ++compared;
  }
  EXPECT_EQ(compared, cases.size());
  return changed;
}

TEST(PhpProperty, RewriteMatchesPhpRoundTrip) {
  if (!find_executable("php")) GTEST_SKIP() << "php-cli is not installed (apt install php-cli)";
  constexpr int kValues = 400;
  ValueGenerator generator(20240601);
  std::vector<PropertyCase> cases;
  for (int i = 0; i < kValues; ++i) {
    cases.push_back({{"http://old.example", "https://new.example"}, generator.value(0, false)});
  }
  EXPECT_GT(expect_php_round_trip(cases), kValues / 4)
      << "the generator should put FROM in many values";
}

TEST(PhpProperty, TextModeWithAnyBytesMatchesPhpRoundTrip) {
  if (!find_executable("php")) GTEST_SKIP() << "php-cli is not installed (apt install php-cli)";
  constexpr int kValues = 400;
  ValueGenerator pairs(20261130);
  std::vector<PropertyCase> cases;
  for (int i = 0; i < kValues; ++i) {
    std::string from = pairs.tricky_bytes(1), to = pairs.tricky_bytes(0);
    if (to == from) to += "a";
    ValueGenerator generator(20261130 + i, from);
    cases.push_back({{from, to, MatchMode::Text}, generator.value(0, false)});
  }
  EXPECT_GT(expect_php_round_trip(cases), kValues / 4)
      << "the generator should put FROM in many values";
}

}  // namespace
}  // namespace wpfleet::content
