// search-replace on a live tenant, round trip through the real MariaDB: any bytes in
// FROM and TO (quotes, backslashes, control bytes, UTF-8, a leading '-') in plain,
// JSON-encoded and PHP-serialized values; url and text matching, and the report of what
// url matching left alone; every form of an old host a promote must not leave behind;
// WP-CLI's options (tables, columns, report, several pairs) on a live tenant and a dump.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>

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

// Whether the counts table in `out` has a row of these cells (words), in this order.
bool has_row(const std::string& out, const std::vector<std::string>& cells) {
  std::string pattern = "(^|\\n)";
  for (const std::string& cell : cells) pattern += (&cell == &cells.front() ? "" : " +") + cell;
  return std::regex_search(out, std::regex(pattern + "( |\\n|$)"));
}

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

  static void execute(const std::string& sql) {
    auto db = root();
    ASSERT_TRUE(db);
    Status done = db->execute(sql);
    ASSERT_TRUE(done.ok()) << done.error().message << "\n" << sql;
  }

  // The rows of `sql`, each as its columns joined by '|' (NULL as "NULL").
  static std::vector<std::string> rows(const std::string& sql) {
    std::vector<std::string> lines;
    auto db = root();
    if (!db) return lines;
    auto found = db->query(sql);
    EXPECT_TRUE(found.ok()) << sql;
    if (!found.ok()) return lines;
    for (const auto& row : *found) {
      std::string line;
      for (const auto& cell : row) line += (line.empty() ? "" : "|") + cell.value_or("NULL");
      lines.push_back(line);
    }
    return lines;
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

// What promote passes for a site moving from http://goldencrust.wpdev.kimmyai.io (the URL
// and the bare host, see transfer::url_rewrite), on every form the host takes.
const std::string kOldHost = "goldencrust.wpdev.kimmyai.io";
const std::string kNewHost = "goldencrust.example";

std::string key_value(const std::string& key, const std::string& value) {
  return "s:" + std::to_string(key.size()) + ":\"" + key + "\";" +
         "s:" + std::to_string(value.size()) + ":\"" + value + "\";";
}

// The values holding the host in each form, written with `host`, `scheme` and `url`.
Values host_forms(const std::string& host, const std::string& url) {
  return {
      {"wpf_sr_form_bare", host},
      {"wpf_sr_form_domain_json", "{\"domain\":\"" + host + "\"}"},
      {"wpf_sr_form_tokens", "admin@" + host + ", " + host + ":8080, cookie ." + host},
      {"wpf_sr_form_keys", "a:2:{" + key_value(url + "/a", "x") + key_value(url + "/b", "y") + "}"},
      {"wpf_sr_form_json_keys", "{\"" + url + "/a\":1,\"" +
                                    std::regex_replace(url, std::regex("/"), "\\/") +
                                    "\\/b\":{\"" + host + "\":[2]}}"},
      {"wpf_sr_form_json_u", "{\"url\":\"" +
                                 std::string(url).replace(url.find("//"), 2, "\\u002F\\u002F") +
                                 "\\u002Fcaf\\u00E9\"}"},
      {"wpf_sr_form_block", "<!-- wp:image {\"url\":\"" +
                                std::string(url).replace(url.find("//"), 2, "\\u002F\\u002F") +
                                "\\u002Fa.jpg\"} -->"},
      {"wpf_sr_form_html",
       "<a href=\"" + std::string(url).replace(url.find("://"), 3, ":&#x2F;&#x2F;") +
           "&#x2F;?a=1&amp;b=2\">a</a> <img src=\"" +
           std::string(url).replace(url.find("://"), 3, "&#x3A;&#47;&#47;") + "&#47;b.png\">"},
      {"wpf_sr_form_html_serialized",
       serialized(std::string(url).replace(url.find("://"), 3, ":&#x2F;&#x2F;") + "&#x2F;")},
      {"wpf_sr_form_percent",
       "?redirect=" + std::string(url).replace(url.find("://"), 3, "%3A%2F%2F") + "%2F"},
  };
}

TEST_F(SearchReplace, LeavesNoFormOfTheOldHost) {
  const std::string old_url = "http://" + kOldHost, new_url = "https://" + kNewHost;
  store(host_forms(kOldHost, old_url));
  // A key whose new name the array has already: kept, and said so.
  const std::string taken =
      "a:2:{" + key_value(old_url + "/x", "1") + key_value(new_url + "/x", "2") + "}";
  const std::string json_taken = "{\"" + old_url + "/x\":1,\"" + new_url + "/x\":2}";
  store({{"wpf_sr_form_taken", taken}, {"wpf_sr_form_json_taken", json_taken}});
  // Multisite's wp_blogs.domain: the host as a whole value.
  execute(std::string("CREATE TABLE ") + kDatabase +
          ".wp_blogs (blog_id int PRIMARY KEY, domain varchar(200), path varchar(100))");
  execute(std::string("INSERT INTO ") + kDatabase + ".wp_blogs VALUES (1, '" + kOldHost +
          "', '/'), (2, 'shop." + kOldHost + "', '/')");

  CliResult replaced =
      wpfleet({"search-replace", "-e", "dev", "gamma", "--replace", old_url + "=" + new_url,
               "--replace", kOldHost + "=" + kNewHost, "--output", "json"});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  const auto counts = nlohmann::json::parse(replaced.out, nullptr, false);
  ASSERT_TRUE(counts.is_object()) << replaced.out;
  EXPECT_EQ(counts["keys_kept"], 2);
  EXPECT_EQ(counts["left_alone"], 0);

  Values expected = host_forms(kNewHost, new_url);
  expected["wpf_sr_form_taken"] = taken;
  expected["wpf_sr_form_json_taken"] = json_taken;
  const Values now = load(expected);
  EXPECT_EQ(now, expected);
  EXPECT_EQ(rows(std::string("SELECT domain FROM ") + kDatabase + ".wp_blogs ORDER BY blog_id"),
            (std::vector<std::string>{kNewHost, "shop." + kNewHost}));
  EXPECT_EQ(refused_by_php({now.at("wpf_sr_form_keys"), now.at("wpf_sr_form_taken"),
                            now.at("wpf_sr_form_html_serialized")}),
            "");
  execute(std::string("DROP TABLE ") + kDatabase + ".wp_blogs");
}

// WP-CLI's options on a live tenant: tables by pattern, columns skipped or included, the
// report by column name, every column or only those changed.
TEST_F(SearchReplace, ChoosesTablesAndColumnsOnALiveTenant) {
  for (const char* table : {"wpf_sr_items", "wpf_sr_other"}) {
    execute(std::string("CREATE TABLE ") + kDatabase + "." + table +
            " (id int PRIMARY KEY, title text, guid varchar(255), note text)");
    execute(std::string("INSERT INTO ") + kDatabase + "." + table +
            " VALUES (1, 'http://items.example/t', 'http://items.example/?p=1', "
            "'see http://items.example/n'), (2, 'plain', 'none', 'none')");
  }
  const std::vector<std::string> run = {
      "search-replace",        "-e",       "dev",       "gamma",          "http://items.example",
      "https://items.example", "--tables", "wpf_sr_i*", "--skip-columns", "GUID"};
  auto with = [&run](std::vector<std::string> more) {
    more.insert(more.begin(), run.begin(), run.end());
    return more;
  };
  CliResult every = wpfleet(with({"--dry-run"}));
  ASSERT_EQ(every.exit_code, 0) << every.err;
  EXPECT_TRUE(has_row(every.out, {"wpf_sr_items", "title", "1", "0", "0"})) << every.out;
  EXPECT_TRUE(has_row(every.out, {"wpf_sr_items", "note", "1", "0", "0"})) << every.out;
  EXPECT_EQ(every.out.find("guid"), std::string::npos) << every.out;
  EXPECT_EQ(every.out.find("wpf_sr_other"), std::string::npos) << every.out;
  EXPECT_EQ(every.out.find("wp_options"), std::string::npos) << every.out;

  CliResult changed = wpfleet(with({"--dry-run", "--include-columns", "note,guid",
                                    "--report-changed-only", "--output", "json"}));
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  const auto counts = nlohmann::json::parse(changed.out, nullptr, false);
  ASSERT_TRUE(counts.is_object()) << changed.out;
  EXPECT_EQ(counts["replacements"], 1);
  ASSERT_EQ(counts["columns"].size(), 1u) << changed.out;
  EXPECT_EQ(counts["columns"][0]["table"], "wpf_sr_items");
  EXPECT_EQ(counts["columns"][0]["column"], "note");

  CliResult live = wpfleet(with({}));
  ASSERT_EQ(live.exit_code, 0) << live.err;
  EXPECT_EQ(rows(std::string("SELECT title, guid, note FROM ") + kDatabase +
                 ".wpf_sr_items WHERE id = 1"),
            (std::vector<std::string>{
                "https://items.example/t|http://items.example/?p=1|see https://items.example/n"}));
  EXPECT_EQ(rows(std::string("SELECT title, guid, note FROM ") + kDatabase +
                 ".wpf_sr_other WHERE id = 1"),
            (std::vector<std::string>{
                "http://items.example/t|http://items.example/?p=1|see http://items.example/n"}));

  // A pattern that matches no table is an error, and nothing changes.
  CliResult typo = wpfleet({"search-replace", "-e", "dev", "gamma", "http://items.example",
                            "https://x.example", "--tables", "wpf_sr_item"});
  EXPECT_NE(typo.exit_code, 0);
  EXPECT_NE(typo.err.find("--tables wpf_sr_item matched no table"), std::string::npos) << typo.err;
  EXPECT_EQ(rows(std::string("SELECT title FROM ") + kDatabase + ".wpf_sr_other WHERE id = 1"),
            (std::vector<std::string>{"http://items.example/t"}));
  for (const char* table : {"wpf_sr_items", "wpf_sr_other"}) {
    execute(std::string("DROP TABLE ") + kDatabase + "." + table);
  }
}

// The same options on a dump as mariadb-dump writes it (no column lists: CREATE TABLE
// names the columns), with several pairs in one pass that do not chain.
TEST_F(SearchReplace, DumpModeChoosesColumnsNamesThemAndRunsSeveralPairsOnce) {
  TempDir dir;
  const auto dump = dir.path() / "dump.sql";
  const std::string create =
      "CREATE TABLE `wp_posts` (\n  `ID` bigint(20) unsigned NOT NULL,\n  `post_content` "
      "longtext NOT NULL,\n  `guid` varchar(255) NOT NULL DEFAULT '',\n  PRIMARY KEY (`ID`)\n) "
      "ENGINE=InnoDB;\n";
  const std::string insert = "INSERT INTO `wp_posts` VALUES (1,'A and B','A B');\n";
  ASSERT_TRUE(write_file_atomic(dump, create + insert).ok());
  // A becomes B and B becomes C, each once: A is never C.
  CliResult pairs = run_wpfleet({"search-replace", "--replace", "A=B", "--replace", "B=C",
                                 "--skip-columns", "guid", dump.string()});
  ASSERT_EQ(pairs.exit_code, 0) << pairs.err;
  EXPECT_EQ(pairs.out, create + "INSERT INTO `wp_posts` VALUES (1,'B and C','A B');\n");
  EXPECT_TRUE(has_row(pairs.err, {"wp_posts", "post_content", "2"})) << pairs.err;
  EXPECT_EQ(pairs.err.find("guid"), std::string::npos) << pairs.err;

  // --output json: on stderr beside the dump, on stdout with --dry-run.
  CliResult json = run_wpfleet(
      {"search-replace", "--output", "json", "--include-columns", "GUID", "A", "Z", dump.string()});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out, create + "INSERT INTO `wp_posts` VALUES (1,'A and B','Z B');\n");
  const auto counts = nlohmann::json::parse(json.err, nullptr, false);
  ASSERT_TRUE(counts.is_object()) << json.err;
  EXPECT_EQ(counts["columns"][0]["column"], "guid");
  EXPECT_EQ(counts["replacements"], 1);
  CliResult dry = run_wpfleet({"search-replace", "--dry-run", "--output", "json", "--tables",
                               "wp_*", "A", "Z", dump.string()});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(nlohmann::json::parse(dry.out, nullptr, false)["replacements"], 2) << dry.out;

  // A list with an empty name is invalid input, said so before anything is read.
  for (const char* list : {",", "guid,,post_content", " "}) {
    CliResult empty = run_wpfleet({"search-replace", "--skip-columns", list, "A", "Z", dump.string()});
    EXPECT_EQ(empty.exit_code, 3) << list;
    EXPECT_NE(empty.err.find("--skip-columns has an empty name"), std::string::npos) << empty.err;
    EXPECT_EQ(empty.out, "") << list;
  }

  // Columns chosen by name in a dump that does not name them: refused, said why.
  ASSERT_TRUE(write_file_atomic(dump, insert).ok());
  CliResult unnamed =
      run_wpfleet({"search-replace", "--skip-columns", "guid", "A", "Z", dump.string()});
  EXPECT_NE(unnamed.exit_code, 0);
  EXPECT_NE(unnamed.err.find("does not name the columns of table wp_posts"), std::string::npos)
      << unnamed.err;
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
