// Property: for random nested PHP values v, rewriting serialize(v) in a dump gives exactly
// PHP's own serialize(replace_recursive(v)), for the URL pair in url mode and for random
// pairs of quotes, backslashes, multibyte, NUL and control bytes in text mode. PHP (php-cli, one
// process for every value) builds each value, serializes it, and computes the expected result with
// the unserialize / replace / serialize round trip that a PHP implementation would do, array
// keys included: renamed unless the new name is taken in the same array.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <sstream>

#include "content/dump_rewriter.h"
#include "content/sql_escape.h"
#include "util/process.h"

namespace wpfleet::content {
namespace {

// The reference in PHP. Each input line is the FROMs and the TOs in hex, joined by ','
// (`-`: the URL pair), and an expression. For the URL pair, replace_text() knows the
// forms the generator writes (plain, https, protocol-relative, JSON-escaped, \u-escaped,
// URL-encoded, HTML character references) and the host boundary; in text mode it is
// strtr(), the generator writing no backslash, '%' or '&' of its own that could make an
// escaped form of a FROM.
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
  global $PAIRS;
  if ($PAIRS !== null) return strtr($s, $PAIRS);
  $re = '~((?<![A-Za-z0-9-])https?(?::|%3[aA]|&#x3[aA];|&#58;))?'
      . '(//|\\\\/\\\\/|\\\\u002[fF]\\\\u002[fF]|%2[fF]%2[fF]|&#x2[fF];&#x2[fF];|&#47;&#47;|&sol;&sol;)'
      . 'old\.example(?![A-Za-z0-9]|(?:[.-]|&#46;)[A-Za-z0-9])~';
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
    $r = rr(json_decode($t), true);
    return serialize($r) === serialize($j) ? $s : json_encode($r);
  }
  return replace_text($s);
}
// Each string key renamed by replace_text(), except where two keys would then have one
// name: those renames are undone, until none would.
function rename_keys(array $a) {
  $keys = array_keys($a);
  $names = array_map(fn($k) => is_string($k) ? replace_text($k) : $k, $keys);
  $kept = [];
  do {
    $final = [];
    $count = [];
    foreach ($keys as $i => $k) {
      $final[$i] = isset($kept[$i]) ? $k : $names[$i];
      $count[$final[$i]] = ($count[$final[$i]] ?? 0) + 1;
    }
    $undone = false;
    foreach ($keys as $i => $k) {
      if ($names[$i] !== $k && !isset($kept[$i]) && $count[$final[$i]] > 1) {
        $kept[$i] = $undone = true;
      }
    }
  } while ($undone);
  if ($final === $keys) return $a;
  $out = [];
  foreach ($keys as $i => $k) $out[$final[$i]] = $a[$k];
  return $out;
}
// Keys of arrays are renamed, and of JSON objects (decoded as stdClass); property names
// of serialized objects are not.
function rr($v, $json = false) {
  if (is_string($v)) return rr_string($v);
  if ($v instanceof WpfProbe) { $v->map('rr'); return $v; }
  if (is_array($v) || $v instanceof stdClass) {
    foreach ($v as $k => &$x) { $x = rr($x, $json); }
    unset($x);
  }
  if ($json && $v instanceof stdClass) return (object) rename_keys((array) $v);
  return is_array($v) ? rename_keys($v) : $v;
}
while (($line = fgets(STDIN)) !== false) {
  [$from, $to, $expression] = explode(' ', $line, 3);
  $PAIRS = $from === '-' ? null
      : array_combine(array_map('hex2bin', explode(',', $from)), array_map('hex2bin', explode(',', $to)));
  $v = eval('return ' . $expression . ';');
  echo bin2hex(serialize($v)), ' ';
  echo bin2hex(serialize(rr($v))), "\n";
}
)PHP";

// Writes random PHP expressions; a fixed seed makes every run the same.
class ValueGenerator {
 public:
  // With text-mode `pairs`, texts hold their FROMs instead of the URL forms (see
  // text_with()), and keys the first pair's FROM and TO.
  explicit ValueGenerator(std::uint64_t seed, std::vector<Replacement> pairs = {})
      : rng_(seed), pairs_(std::move(pairs)) {}

  // A random FROM or TO for text mode: quotes, backslashes (unless `backslash` is false),
  // multibyte, NUL and controls.
  std::string tricky_bytes(std::size_t min_tokens, bool backslash = true) {
    static const std::string_view kTokens[] = {
        "\"", "'",    "☀", "☆", "é", std::string_view("\0", 1), "\x01", "\n",
        "\t", "\x1a", "-", "a", "\\"};
    std::string out;
    for (std::size_t n = min_tokens + pick(3); n > 0; --n) {
      out += kTokens[pick(std::size(kTokens) - (backslash ? 0 : 1))];
    }
    return out;
  }

  // A random number below n.
  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }

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
    if (!pairs_.empty() && (kind == 9 || kind == 10)) kind = 4;
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
      case 10:  // PHP's rename_keys() would drop its reference: keys that stay
        return "with_ref(" + array(depth, in_json, true, false) + ")";
      default:
        return in_json ? php_string(text()) : (pick(2) ? "Suit::Hearts" : "Suit::Spades");
    }
  }

 private:

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

  // Keys are integers or strings, some holding FROM (or the URL), and some chosen so that
  // a rename would take another key's name: `u FROM` beside `u TO`.
  std::string array(int depth, bool in_json, bool non_empty = false, bool renamed_keys = true) {
    const std::string from = pairs_.empty() ? "http://old.example" : pairs_.front().from;
    const std::string to = pairs_.empty() ? "https://new.example" : pairs_.front().to;
    std::string out = "[";
    const std::size_t n = pick(4) + (non_empty || in_json ? 1 : 0);
    for (std::size_t i = 0; i < n; ++i) {
      if (pick(2)) {
        const std::string k = "k" + std::to_string(i);
        const std::string keys[] = {k, k + " " + from, "u " + from, "u " + to};
        out += php_string(renamed_keys ? one_of(keys) : k) + " => ";
      }
      out += value(depth + 1, in_json) + ", ";
    }
    return out + "]";
  }

  // Text with FROM in its forms, decoys, and bytes SQL and serialize() care about. Each
  // occurrence has a leading character chosen so that the neighbours cannot form
  // another escaped form by accident.
  std::string text() {
    if (!pairs_.empty()) return text_with();
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
                                         "http://new.example",
                                         "http:&#x2F;&#x2F;old.example",
                                         "http&#x3a;&#x2f;&#x2f;old.example",
                                         "https&#58;&#47;&#47;old.example",
                                         "&#x2F;&#x2F;old.example",
                                         "http:&sol;&sol;old.example"};
    static const char* const kLeads[] = {" ", "\"", "'", "(", "=", "é", ">", "a"};
    static const char* const kSuffixes[] = {
        "",     "/wp-content/uploads/2024/01/a.jpg", ":8080/",  ".", "?p=1", "/", "\\/a.png",
        "%2Fx", "&#x2F;a.png?a=1&amp;b=2",           "&#46;com"};
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

  // Text mode: the pairs' FROMs as they are among bytes SQL and serialize() care about,
  // without the backslashes, '%' and '&' that could start an escaped form of a FROM.
  std::string text_with() {
    static const std::string_view kNeutral[] = {
        "a",    "b",  " ",   "é", "日本", "😀",  "\"", "'",
        ";",    ":",  "{",   "}", ",",    "\n", "\t", std::string_view("\0", 1),
        "\x1a", "s:", "a:{", "-", "☆"};
    std::string out;
    for (std::size_t parts = pick(7); parts > 0; --parts) {
      if (pick(3) == 0) {
        out += pairs_[pick(pairs_.size())].from;
      } else {
        out += one_of(kNeutral);
      }
    }
    return out;
  }

  static std::string php_string(std::string_view bytes) { return "hex2bin('" + hex(bytes) + "')"; }

  std::mt19937_64 rng_;
  std::vector<Replacement> pairs_;
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
  std::vector<Replacement> pairs;  // text mode, or the URL pair
  std::string expression;
};

struct RoundTrips {
  int changed = 0;              // values the rewrite changed
  std::uint64_t keys_kept = 0;  // array keys whose rename was not done
};

// The pairs' FROMs or TOs in hex, joined by ','; `-` for the URL pair.
std::string hex_list(const std::vector<Replacement>& pairs, std::string Replacement::*side) {
  if (pairs.front().match == MatchMode::Url) return "-";
  std::string list;
  for (const Replacement& pair : pairs) {
    list += (&pair == &pairs.front() ? "" : ",") + ValueGenerator::hex(pair.*side);
  }
  return list;
}

// Runs every case through PHP and the dump rewriter.
RoundTrips expect_php_round_trip(const std::vector<PropertyCase>& cases) {
  std::string lines_in;
  for (const PropertyCase& c : cases) {
    lines_in += hex_list(c.pairs, &Replacement::from) + " " + hex_list(c.pairs, &Replacement::to) +
                " " + c.expression + "\n";
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
  RoundTrips trips;
  if (!ran.ok()) return trips;
  EXPECT_EQ(ran->exit_code, 0) << ran->err << ran->out.substr(0, 2000);
  EXPECT_TRUE(ran->err.empty()) << ran->err;
  std::istringstream lines(ran->out);
  std::string line;
  std::size_t compared = 0;
  while (std::getline(lines, line) && compared < cases.size()) {
    const PropertyCase& c = cases[compared];
    auto replacer = Replacer::create(c.pairs);
    EXPECT_TRUE(replacer.ok()) << replacer.error().message;
    if (!replacer.ok()) return trips;
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
        << "value " << compared << ": " << input << "\nFROM "
        << hex_list(c.pairs, &Replacement::from) << " TO " << hex_list(c.pairs, &Replacement::to);
    if (testing::Test::HasFailure()) return trips;
    for (const ColumnCounts& col : rewriter.counts()) {
      EXPECT_EQ(col.malformed, 0u) << input;
      trips.keys_kept += col.keys_kept;
    }
    trips.changed += input != expected;
    ++compared;
  }
  EXPECT_EQ(compared, cases.size());
  return trips;
}

void expect_many_changed_and_keys_kept(const RoundTrips& trips, int values) {
  EXPECT_GT(trips.changed, values / 4) << "the generator should put FROM in many values";
  EXPECT_GT(trips.keys_kept, 0u) << "the generator should make keys whose new name is taken";
}

TEST(PhpProperty, RewriteMatchesPhpRoundTrip) {
  if (!find_executable("php")) GTEST_SKIP() << "php-cli is not installed (apt install php-cli)";
  constexpr int kValues = 400;
  ValueGenerator generator(20240601);
  std::vector<PropertyCase> cases;
  for (int i = 0; i < kValues; ++i) {
    cases.push_back({{{"http://old.example", "https://new.example"}}, generator.value(0, false)});
  }
  expect_many_changed_and_keys_kept(expect_php_round_trip(cases), kValues);
}

// `values` random values, each holding the text-mode pairs `draw` makes from a generator
// seeded with `seed`, through PHP and the rewriter.
void expect_text_pairs_match_php(
    std::uint64_t seed, int values,
    const std::function<std::vector<Replacement>(ValueGenerator&)>& draw) {
  ValueGenerator random(seed);
  std::vector<PropertyCase> cases;
  for (int i = 0; i < values; ++i) {
    const std::vector<Replacement> pairs = draw(random);
    ValueGenerator generator(seed + static_cast<std::uint64_t>(i), pairs);
    cases.push_back({pairs, generator.value(0, false)});
  }
  expect_many_changed_and_keys_kept(expect_php_round_trip(cases), values);
}

TEST(PhpProperty, TextModeWithAnyBytesMatchesPhpRoundTrip) {
  if (!find_executable("php")) GTEST_SKIP() << "php-cli is not installed (apt install php-cli)";
  expect_text_pairs_match_php(20261130, 400, [](ValueGenerator& random) {
    std::string from = random.tricky_bytes(1), to = random.tricky_bytes(0);
    if (to == from) to += "a";
    return std::vector<Replacement>{{from, to, MatchMode::Text}};
  });
}

// Several pairs in one pass are PHP's strtr(): at each place the longest FROM, and no
// TO searched again. Without backslashes: a FROM's backslash next to another FROM's
// quote would be that quote's JSON-escaped form, which strtr() knows nothing of.
TEST(PhpProperty, SeveralTextPairsInOnePassMatchStrtr) {
  if (!find_executable("php")) GTEST_SKIP() << "php-cli is not installed (apt install php-cli)";
  expect_text_pairs_match_php(20270101, 300, [](ValueGenerator& random) {
    std::vector<Replacement> pairs;
    for (std::size_t n = 2 + random.pick(2); pairs.size() < n;) {
      std::string from = random.tricky_bytes(1, false), to = random.tricky_bytes(0, false);
      const bool taken = std::any_of(pairs.begin(), pairs.end(),
                                     [&](const Replacement& p) { return p.from == from; });
      if (!taken && from != to) pairs.push_back({from, to, MatchMode::Text});
    }
    return pairs;
  });
}

}  // namespace
}  // namespace wpfleet::content
