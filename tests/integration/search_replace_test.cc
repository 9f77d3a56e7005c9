// search-replace on a live tenant, round trip through the real MariaDB: any bytes in
// FROM and TO (quotes, backslashes, control bytes, UTF-8, a leading '-') in plain,
// JSON-encoded and PHP-serialized values; url and text matching, and the report of what
// url matching left alone.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "harness.h"
#include "util/fs.h"
#include "util/mysql_client.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

constexpr const char* kDatabase = "dev_gamma_db";

// s:N:"...": as PHP's serialize() writes a string, in an array under "k".
std::string serialized(const std::string& value) {
  return "a:1:{s:1:\"k\";s:" + std::to_string(value.size()) + ":\"" + value + "\";}";
}

// ["..."] as json_encode(..., JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES) writes it.
std::string json_array(const std::string& value) { return nlohmann::json::array({value}).dump(); }

// The option values a test stores, by option name.
using Values = std::map<std::string, std::string>;

class SearchReplace : public FleetSuite {
 protected:
  static void SetUpTestSuite() { start_fleet(test_fleet(free_port(), {"gamma"})); }

  static std::unique_ptr<MysqlClient> root() {
    auto client = mariadb_root(state());
    EXPECT_TRUE(client.ok()) << client.error().message;
    return client.ok() ? std::move(*client) : nullptr;
  }

  static void store(const Values& values) {
    auto db = root();
    ASSERT_TRUE(db);
    for (const auto& [name, value] : values) {
      ASSERT_TRUE(db->execute(std::string("REPLACE INTO ") + kDatabase +
                              ".wp_options (option_name, option_value, autoload) VALUES (" +
                              db->quote(name) + ", " + db->quote(value) + ", 'no')")
                      .ok());
    }
  }

  static Values load(const Values& names) {
    auto db = root();
    Values values;
    if (!db) return values;
    for (const auto& [name, unused] : names) {
      auto rows = db->query(std::string("SELECT option_value FROM ") + kDatabase +
                            ".wp_options WHERE option_name = " + db->quote(name));
      EXPECT_TRUE(rows.ok() && rows->size() == 1 && (*rows)[0][0]) << name;
      if (rows.ok() && rows->size() == 1 && (*rows)[0][0]) values[name] = *(*rows)[0][0];
    }
    return values;
  }

  // PHP's unserialize() on each value: the names of those it refuses.
  static std::string refused_by_php(const std::vector<std::string>& values) {
    std::string hex_lines;
    for (const std::string& v : values) {
      for (unsigned char c : v) {
        static const char* kHex = "0123456789abcdef";
        hex_lines += kHex[c >> 4];
        hex_lines += kHex[c & 0xf];
      }
      hex_lines += '\n';
    }
    CommandSpec php{
        .argv = {"php", "-r",
                 "$i = 0; while (($l = fgets(STDIN)) !== false) { "
                 "if (@unserialize(hex2bin(trim($l))) === false) echo $i, ' '; ++$i; }"},
        .env = {},
        .clear_env = false,
        .cwd = std::nullopt,
        .run_as = std::nullopt,
        .stdin_data = hex_lines,
        .timeout = std::chrono::minutes(1)};
    auto ran = run_command(php);
    EXPECT_TRUE(ran.ok() && ran->exit_code == 0);
    return ran.ok() ? ran->out : "php did not run";
  }
};

// FROM starts with '-' (so it goes after --) and holds a quote, a backslash, a control
// byte and UTF-8; TO a single quote, a backslash, a tab and UTF-8.
const std::string kFrom = "-☀ \"q\" C:\\x\x01";
const std::string kTo = "☆ 'z' D:\\y\t";

Values with(const std::string& s) {
  return {{"wpf_sr_plain", "a " + s + " b " + s},
          {"wpf_sr_json", json_array("a " + s + " b")},
          {"wpf_sr_serialized", serialized("a " + s + " b")},
          {"wpf_sr_json_in_serialized", serialized(json_array(s))},
          {"wpf_sr_serialized_in_json", json_array(serialized(s))},
          {"wpf_sr_untouched", "a -☀ \"q\" C:/x b"}};
}

TEST_F(SearchReplace, AnyBytesRoundTripThroughMariaDb) {
  store(with(kFrom));
  CliResult replaced = wpfleet({"search-replace", "-e", "dev", "gamma", "--", kFrom, kTo});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  Values expected = with(kTo);
  expected["wpf_sr_untouched"] = with(kFrom)["wpf_sr_untouched"];
  EXPECT_EQ(load(expected), expected);
  const Values now = load(expected);
  EXPECT_EQ(refused_by_php({now.at("wpf_sr_serialized"), now.at("wpf_sr_json_in_serialized"),
                            nlohmann::json::parse(now.at("wpf_sr_serialized_in_json"))[0]}),
            "");
}

// A host name defaults to url matching: `old.example.org` is left alone, and said so.
Values hosts(const std::string& host, const std::string& longer) {
  const std::string text = host + "/a " + longer + "/b";
  return {{"wpf_sr_host_plain", text},
          {"wpf_sr_host_json", json_array(text)},
          {"wpf_sr_host_serialized", serialized(text)}};
}

TEST_F(SearchReplace, UrlMatchingReportsWhatItLeavesAloneAndTextMatchingReplacesIt) {
  store(hosts("old.example", "old.example.org"));
  CliResult dry = wpfleet({"search-replace", "-e", "dev", "gamma", "old.example", "new.example",
                           "--dry-run", "--output", "json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  const auto counts = nlohmann::json::parse(dry.out);
  EXPECT_EQ(counts["replacements"], 3);
  EXPECT_EQ(counts["left_alone"], 3);
  CliResult table =
      wpfleet({"search-replace", "-e", "dev", "gamma", "old.example", "new.example", "--dry-run"});
  EXPECT_NE(table.out.find("LEFT ALONE"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("Left 3 occurrences inside longer host names or words (--match "
                           "url); --match text replaces them."),
            std::string::npos)
      << table.out;

  // The live run says what it left alone too.
  CliResult live = wpfleet(
      {"search-replace", "-e", "dev", "gamma", "old.example", "new.example", "--output", "json"});
  ASSERT_EQ(live.exit_code, 0) << live.err;
  const auto live_counts = nlohmann::json::parse(live.out, nullptr, false);
  ASSERT_TRUE(live_counts.is_object()) << live.out;
  EXPECT_EQ(live_counts["replacements"], 3);
  EXPECT_EQ(live_counts["left_alone"], 3);
  Values expected = hosts("new.example", "old.example.org");
  EXPECT_EQ(load(expected), expected);

  CliResult text = wpfleet(
      {"search-replace", "-e", "dev", "gamma", "--match", "text", "old.example", "new.example"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  expected = hosts("new.example", "new.example.org");
  EXPECT_EQ(load(expected), expected);
}

// Plain text (no host) defaults to every occurrence, as WP-CLI does.
TEST_F(SearchReplace, TextDefaultsToEveryOccurrence) {
  store({{"wpf_sr_greeting", serialized("hello-world, hello")}});
  CliResult replaced = wpfleet({"search-replace", "-e", "dev", "gamma", "hello", "goodbye"});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  const Values expected = {{"wpf_sr_greeting", serialized("goodbye-world, goodbye")}};
  EXPECT_EQ(load(expected), expected);
}

TEST_F(SearchReplace, DumpModeTakesALeadingDashAfterDoubleDash) {
  TempDir dir;
  const auto dump = dir.path() / "dump.sql";
  ASSERT_TRUE(write_file_atomic(dump, "INSERT INTO `t` VALUES (1,'a -x b');\n").ok());
  CliResult without = run_wpfleet({"search-replace", "-x", "y", dump.string()});
  EXPECT_NE(without.exit_code, 0);
  CliResult after = run_wpfleet({"search-replace", "--", "-x", "y", dump.string()});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(after.out, "INSERT INTO `t` VALUES (1,'a y b');\n");
  CliResult pair = run_wpfleet({"search-replace", "--replace=-x=\"y\"", dump.string()});
  ASSERT_EQ(pair.exit_code, 0) << pair.err;
  EXPECT_EQ(pair.out, "INSERT INTO `t` VALUES (1,'a \\\"y\\\" b');\n");
}

}  // namespace
}  // namespace wpfleet::testing
