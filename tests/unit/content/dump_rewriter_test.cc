#include "content/dump_rewriter.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "content/rewrite_dump.h"
#include "content/sql_escape.h"

namespace wpfleet::content {
namespace {

// As mariadb-dump 10.11 writes it (one row per line), with traps: quotes in comments
// and identifiers, escapes of every kind, a malformed serialized value, a longer host.
constexpr std::string_view kDump = R"SQL(/*M!999999\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: localhost    Database: it's_wp
-- ------------------------------------------------------
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET TIME_ZONE='+00:00' */;
/* a plain comment: don't touch http://old.example */
# nor this one: it's http://old.example
DROP TABLE IF EXISTS `wp_options`;
CREATE TABLE `wp_options` (
  `option_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `option_name` varchar(191) NOT NULL DEFAULT '',
  `option_value` longtext NOT NULL,
  `autoload` varchar(20) NOT NULL DEFAULT 'yes'
) ENGINE=InnoDB COMMENT='it''s http://old.example';
LOCK TABLES `wp_options` WRITE;
/*!40000 ALTER TABLE `wp_options` DISABLE KEYS */;
INSERT INTO `wp_options` VALUES
(1,'siteurl','http://old.example','yes'),
(2,'home','https://old.example/','yes'),
(3,'widget_text','a:1:{i:2;a:1:{s:4:\"text\";s:35:\"<a href=\'http://old.example/\'>x</a>\";}}','yes'),
(4,'odd','tab	here nl\nx bs\\ nul\0 sub\Z q\" it\'s http://old.example','no'),
(5,'other','http://old.example.com and \'quoted\' ''doubled''','yes'),
(6,'broken','a:1:{s:3:\"url\";s:5:\"http://old.example\";}','yes'),
(7,'\"http://old.example\"','-- not a comment /* nor this */ # nor this','yes');
/*!40000 ALTER TABLE `wp_options` ENABLE KEYS */;
UNLOCK TABLES;
INSERT INTO `wp_postmeta` (`meta_id`, `post_id`, `meta_key`, `meta_value`) VALUES (1,2,'_url','//old.example/a'),(2,2,'_json','{\"u\":\"http:\\/\\/old.example\"}');
INSERT INTO `we``ird` VALUES (-1,'http://old.example');
-- Dump completed on 2026-11-26 19:09:41
)SQL";

constexpr std::string_view kRewritten = R"SQL(/*M!999999\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: localhost    Database: it's_wp
-- ------------------------------------------------------
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET TIME_ZONE='+00:00' */;
/* a plain comment: don't touch http://old.example */
# nor this one: it's http://old.example
DROP TABLE IF EXISTS `wp_options`;
CREATE TABLE `wp_options` (
  `option_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `option_name` varchar(191) NOT NULL DEFAULT '',
  `option_value` longtext NOT NULL,
  `autoload` varchar(20) NOT NULL DEFAULT 'yes'
) ENGINE=InnoDB COMMENT='it''s https://new.example';
LOCK TABLES `wp_options` WRITE;
/*!40000 ALTER TABLE `wp_options` DISABLE KEYS */;
INSERT INTO `wp_options` VALUES
(1,'siteurl','https://new.example','yes'),
(2,'home','https://new.example/','yes'),
(3,'widget_text','a:1:{i:2;a:1:{s:4:\"text\";s:36:\"<a href=\'https://new.example/\'>x</a>\";}}','yes'),
(4,'odd','tab	here nl\nx bs\\ nul\0 sub\Z q\" it\'s https://new.example','no'),
(5,'other','http://old.example.com and \'quoted\' ''doubled''','yes'),
(6,'broken','a:1:{s:3:\"url\";s:5:\"http://old.example\";}','yes'),
(7,'\"https://new.example\"','-- not a comment /* nor this */ # nor this','yes');
/*!40000 ALTER TABLE `wp_options` ENABLE KEYS */;
UNLOCK TABLES;
INSERT INTO `wp_postmeta` (`meta_id`, `post_id`, `meta_key`, `meta_value`) VALUES (1,2,'_url','//new.example/a'),(2,2,'_json','{\"u\":\"https:\\/\\/new.example\"}');
INSERT INTO `we``ird` VALUES (-1,'https://new.example');
-- Dump completed on 2026-11-26 19:09:41
)SQL";

Replacer old_to_new() {
  auto replacer = Replacer::create({{"http://old.example", "https://new.example"}});
  EXPECT_TRUE(replacer.ok());
  return std::move(replacer).value();
}

struct Rewritten {
  std::string sql;
  std::vector<ColumnCounts> counts;
  Status finished;
};

Rewritten rewrite_in_chunks(const Replacer& replacer, std::string_view dump, std::size_t chunk,
                            const DumpOptions& options = {}) {
  DumpRewriter rewriter(replacer, options);
  Rewritten result;
  for (std::size_t pos = 0; pos < dump.size(); pos += chunk) {
    rewriter.feed(dump.substr(pos, chunk), result.sql);
  }
  result.finished = rewriter.finish(result.sql);
  result.counts = rewriter.counts();
  return result;
}

// "table/column replacements/malformed/left alone" per entry, for readable comparisons.
std::vector<std::string> summary(const std::vector<ColumnCounts>& counts) {
  std::vector<std::string> lines;
  for (const auto& c : counts) {
    lines.push_back(c.table + "/" + c.column + " " + std::to_string(c.replacements) + "/" +
                    std::to_string(c.malformed) + "/" + std::to_string(c.left_alone));
  }
  return lines;
}

// Columns are named by the INSERT's list, else by the dump's CREATE TABLE, else by
// their position.
TEST(DumpRewriter, RewritesLiteralsOnlyAndCountsPerColumn) {
  const Rewritten result = rewrite_in_chunks(old_to_new(), kDump, kDump.size());
  ASSERT_TRUE(result.finished.ok()) << result.finished.error().message;
  EXPECT_EQ(result.sql, kRewritten);
  EXPECT_EQ(summary(result.counts), (std::vector<std::string>{
                                        "/ 1/0/0",
                                        "we`ird/2 1/0/0",
                                        "wp_options/option_name 1/0/0",
                                        "wp_options/option_value 4/1/1",
                                        "wp_postmeta/meta_value 2/0/0",
                                    }));
}

TEST(DumpRewriter, OutputDoesNotDependOnChunkSize) {
  const Replacer replacer = old_to_new();
  const Rewritten whole = rewrite_in_chunks(replacer, kDump, kDump.size());
  for (std::size_t chunk : {1, 2, 3, 7, 64}) {
    const Rewritten pieces = rewrite_in_chunks(replacer, kDump, chunk);
    EXPECT_TRUE(pieces.finished.ok());
    EXPECT_EQ(pieces.sql, whole.sql) << "chunk " << chunk;
    EXPECT_EQ(summary(pieces.counts), summary(whole.counts)) << "chunk " << chunk;
  }
}

// A 3 MiB post_content, with occurrences at its start, middle and end.
TEST(DumpRewriter, RewritesValuesLongerThanAChunk) {
  const std::string filler(3 << 19, ' ');
  const std::string old_url = "http://old.example", new_url = "https://new.example";
  const std::string body = old_url + filler + old_url + filler + old_url;
  const std::string expected = new_url + filler + new_url + filler + new_url;
  const std::string dump = "INSERT INTO `wp_posts` VALUES (1,'" + body + "');\n";
  const std::string want = "INSERT INTO `wp_posts` VALUES (1,'" + expected + "');\n";
  const Replacer replacer = old_to_new();
  for (std::size_t chunk : {std::size_t{7}, std::size_t{1} << 20}) {
    const Rewritten result = rewrite_in_chunks(replacer, dump, chunk);
    EXPECT_TRUE(result.sql == want) << "chunk " << chunk;
    EXPECT_EQ(summary(result.counts), (std::vector<std::string>{"wp_posts/2 3/0/0"}));
  }
}

TEST(DumpRewriter, CountsEveryRowOfAnExtendedInsert) {
  std::string dump = "INSERT INTO `wp_postmeta` VALUES ";
  for (int row = 1; row <= 1000; ++row) {
    dump += (row > 1 ? "," : "") + std::string("(") + std::to_string(row) +
            ",'_menu_item_url','http://old.example/" + std::to_string(row) + "')";
  }
  dump += ";\n";
  const Rewritten result = rewrite_in_chunks(old_to_new(), dump, 4096);
  EXPECT_EQ(summary(result.counts), (std::vector<std::string>{"wp_postmeta/3 1000/0/0"}));
  EXPECT_NE(result.sql.find("(1000,'_menu_item_url','https://new.example/1000')"),
            std::string::npos);
}

// A quote after an even number of backslashes ends the literal, after an odd one it
// does not, wherever the chunks split them.
TEST(DumpRewriter, TellsEscapedQuotesFromClosingOnes) {
  const std::string dump =
      R"(INSERT INTO t VALUES ('C:\\','it\'s \\\'http://old.example\\','x''y http://old.example');)";
  const std::string want =
      R"(INSERT INTO t VALUES ('C:\\','it\'s \\\'https://new.example\\','x''y https://new.example');)";
  for (std::size_t chunk = 1; chunk <= dump.size(); ++chunk) {
    const Rewritten result = rewrite_in_chunks(old_to_new(), dump, chunk);
    ASSERT_EQ(result.sql, want) << "chunk " << chunk;
    EXPECT_EQ(summary(result.counts), (std::vector<std::string>{"t/2 1/0/0", "t/3 1/0/0"}));
  }
}

TEST(DumpRewriter, PassesUnchangedLiteralsThroughByteForByte) {
  // Escapes mariadb-dump never writes (\t, '') are kept where nothing is replaced.
  const std::string dump = "INSERT INTO t VALUES ('a\\tb''c http://old.example.com');\n";
  EXPECT_EQ(rewrite_in_chunks(old_to_new(), dump, 5).sql, dump);
}

// Text keeps its escapes where nothing was replaced, and TO is escaped as mariadb-dump
// escapes; a serialized value, whose lengths change, is escaped again as a whole.
TEST(DumpRewriter, KeepsTheDumpsOwnEscapesAroundWhatItReplaces) {
  auto replacer = Replacer::create({{"http://old.example", "https://new.example/\"q\""}});
  ASSERT_TRUE(replacer.ok());
  const std::string dump =
      R"(INSERT INTO t VALUES ('a\tb''c http://old.example d''e','s:23:"it''s http://old.example";');)";
  const std::string want =
      R"(INSERT INTO t VALUES ('a\tb''c https://new.example/\"q\" d''e','s:28:\"it\'s https://new.example/\"q\"\";');)";
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, dump.size()}) {
    EXPECT_EQ(rewrite_in_chunks(*replacer, dump, chunk).sql, want) << "chunk " << chunk;
  }
}

TEST(DumpRewriter, ParsesOnlyValuesWithFrom) {
  const std::string dump = "INSERT INTO t VALUES ('s:99:\\\"broken\\\";');\n";
  const Rewritten result = rewrite_in_chunks(old_to_new(), dump, dump.size());
  EXPECT_EQ(result.sql, dump);
  EXPECT_TRUE(result.counts.empty());
}

TEST(DumpRewriter, ReportsADumpCutShortAndCopiesItsRest) {
  const std::string dump = "INSERT INTO t VALUES ('http://old.example";
  const Rewritten result = rewrite_in_chunks(old_to_new(), dump, 8);
  EXPECT_FALSE(result.finished.ok());
  EXPECT_NE(result.finished.error().message.find("cut short"), std::string::npos);
  EXPECT_EQ(result.sql, dump);
}

TEST(DumpRewriter, ALiteralMayEndTheDump) {
  const Rewritten result = rewrite_in_chunks(old_to_new(), "SELECT 'http://old.example'", 3);
  EXPECT_TRUE(result.finished.ok());
  EXPECT_EQ(result.sql, "SELECT 'https://new.example'");
}

// FROM and TO made of what SQL escapes (quotes, backslashes, NUL, ^Z, newlines) and of
// UTF-8 alone, in plain, JSON and serialized values: found through the SQL escaping and
// written back escaped as mariadb-dump does.
TEST(DumpRewriter, RewritesAnyBytesThroughTheSqlEscaping) {
  const std::string from = std::string("it's \"q\" C:\\x\0\x1a\n☀", 19);
  const std::string to = std::string("☆ \\ 'z'\0", 10);
  auto replacer = Replacer::create({{from, to, MatchMode::Text}});
  ASSERT_TRUE(replacer.ok()) << replacer.error().message;
  const auto insert = [](std::initializer_list<std::string> values) {
    std::string sql = "INSERT INTO `t` (`id`, `v`) VALUES ";
    for (const std::string& v : values) {
      sql += (sql.back() == ')' ? ",(1,'" : "(1,'");
      sql_escape(v, sql);
      sql += "')";
    }
    return sql + ";\n";
  };
  const auto serialized = [](const std::string& v) {
    return "a:1:{s:1:\"k\";s:" + std::to_string(v.size()) + ":\"" + v + "\";}";
  };
  // JSON as PHP writes it: \" \\ \u0000 \u001a \n, UTF-8 as \u2600.
  const std::string json_from = R"(["it's \"q\" C:\\x\u0000\u001a\n\u2600"])";
  const std::string json_to = R"(["\u2606 \\ 'z'\u0000"])";
  const std::string dump = insert({"a " + from + " b", serialized(from), json_from, "none"});
  const std::string expected = insert({"a " + to + " b", serialized(to), json_to, "none"});
  for (std::size_t chunk : {std::size_t{1}, std::size_t{5}, dump.size()}) {
    const Rewritten result = rewrite_in_chunks(*replacer, dump, chunk);
    ASSERT_TRUE(result.finished.ok());
    EXPECT_EQ(result.sql, expected) << "chunk " << chunk;
    EXPECT_EQ(summary(result.counts), (std::vector<std::string>{"t/v 3/0/0"}));
  }
}

TEST(DumpRewriter, CountsOccurrencesLeftAloneInUrlMode) {
  auto replacer = Replacer::create({{"hello", "goodbye", MatchMode::Url}});
  ASSERT_TRUE(replacer.ok());
  const Rewritten result = rewrite_in_chunks(
      *replacer, "INSERT INTO `t` VALUES (1,'hello-world'),(2,'hello'),(3,'hellos');\n", 64);
  EXPECT_EQ(result.sql, "INSERT INTO `t` VALUES (1,'hello-world'),(2,'goodbye'),(3,'hellos');\n");
  EXPECT_EQ(summary(result.counts), (std::vector<std::string>{"t/2 1/0/2"}));
}

// Three tables as mariadb-dump writes them by default: the INSERTs list no columns, the
// CREATE TABLEs name them.
constexpr std::string_view kTables = R"SQL(CREATE TABLE `wp_options` (
  `option_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `option_name` varchar(191) NOT NULL DEFAULT '',
  `option_value` longtext NOT NULL,
  `autoload` varchar(20) NOT NULL DEFAULT 'yes',
  PRIMARY KEY (`option_id`),
  UNIQUE KEY `option_name` (`option_name`),
  KEY `autoload` (`autoload`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='http://old.example';
INSERT INTO `wp_options` VALUES (1,'home','http://old.example','yes'),(2,'siteurl','http://old.example/','yes');
CREATE TABLE IF NOT EXISTS `wp_2_options` (
  `option_id` bigint(20) unsigned NOT NULL,
  `option_name` varchar(191) NOT NULL,
  `option_value` longtext NOT NULL,
  `autoload` varchar(20) NOT NULL
);
INSERT INTO `wp_2_options` VALUES (1,'home','http://old.example/two','yes');
CREATE TABLE `wp_posts` (
  `ID` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `post_content` longtext NOT NULL,
  `post_title` text NOT NULL,
  `post_status` enum('publish','draft') NOT NULL DEFAULT 'publish',
  `guid` varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY (`ID`),
  KEY `type_status_date` (`post_status`,`ID`),
  CONSTRAINT `c` CHECK (`ID` > 0)
) ENGINE=InnoDB;
INSERT INTO `wp_posts` VALUES (1,'<a href=\"http://old.example/a\">a</a>','Title','publish','http://old.example/?p=1');
)SQL";

Rewritten rewrite_tables(const DumpOptions& options) {
  return rewrite_in_chunks(old_to_new(), kTables, 5, options);
}

DumpOptions tables(std::vector<std::string> patterns) {
  DumpOptions options;
  options.tables = std::move(patterns);
  return options;
}

// Whether each value holding the URL was rewritten: 'home' rows, the post, its guid, the
// table comment.
std::string rewritten_parts(const std::string& sql) {
  std::string parts;
  for (const char* part : {"'home','https://new.example'", "'siteurl','https://new.example/'",
                           "'home','https://new.example/two'", "href=\\\"https://new.example/a",
                           "'https://new.example/?p=1'", "COMMENT='https://new.example'"}) {
    parts += sql.find(part) != std::string::npos ? '+' : '-';
  }
  return parts;
}

TEST(DumpRewriter, NamesColumnsByTheDumpsCreateTable) {
  const Rewritten result = rewrite_tables({});
  ASSERT_TRUE(result.finished.ok()) << result.finished.error().message;
  EXPECT_EQ(rewritten_parts(result.sql), "++++++");
  EXPECT_EQ(summary(result.counts), (std::vector<std::string>{
                                        "/ 1/0/0",
                                        "wp_2_options/option_value 1/0/0",
                                        "wp_options/option_value 2/0/0",
                                        "wp_posts/post_content 1/0/0",
                                        "wp_posts/guid 1/0/0",
                                    }));
}

TEST(DumpRewriter, SkipsColumnsByNameInAnyCase) {
  DumpOptions options;
  options.skip_columns = {"GUID", "post_title"};
  const Rewritten result = rewrite_tables(options);
  ASSERT_TRUE(result.finished.ok());
  EXPECT_EQ(rewritten_parts(result.sql), "++++-+");
  EXPECT_EQ(summary(result.counts).size(), 4u);
}

// Only the columns named; a literal outside rows (the table comment) belongs to none.
TEST(DumpRewriter, IncludesOnlyTheColumnsNamed) {
  DumpOptions options;
  options.include_columns = {"option_value", "guid"};
  options.skip_columns = {"guid"};
  const Rewritten result = rewrite_tables(options);
  ASSERT_TRUE(result.finished.ok());
  EXPECT_EQ(rewritten_parts(result.sql), "+++---");
}

TEST(DumpRewriter, ChoosesTablesByNameOrPattern) {
  EXPECT_EQ(rewritten_parts(rewrite_tables(tables({"wp_*options"})).sql), "+++---");
  EXPECT_EQ(rewritten_parts(rewrite_tables(tables({"wp_posts", "wp_options"})).sql), "++-++-");
  // A pattern that matches nothing is a mistake to say, not a silent no-op.
  const Rewritten typo = rewrite_tables(tables({"wp_post", "wp_*options"}));
  EXPECT_EQ(rewritten_parts(typo.sql), "+++---");
  ASSERT_FALSE(typo.finished.ok());
  EXPECT_NE(typo.finished.error().message.find("--tables wp_post matched no table with rows in "
                                               "the dump (it has wp_2_options, wp_options, "
                                               "wp_posts)"),
            std::string::npos)
      << typo.finished.error().message;
  for (auto [pattern, table] : {std::pair{"wp_*options", "wp_options"},
                                {"wp_*options", "wp_2_options"},
                                {"*", "x"},
                                {"*_options", "wp_2_options"},
                                {"a*b*c", "abxbc"},
                                {"wp_posts", "wp_posts"}}) {
    EXPECT_TRUE(matches_table_pattern(pattern, table)) << pattern << " " << table;
  }
  for (auto [pattern, table] : {std::pair{"wp_*options", "wp_options_x"},
                                {"wp_post", "wp_posts"},
                                {"a*b*c", "abxbcd"},
                                {"", "x"}}) {
    EXPECT_FALSE(matches_table_pattern(pattern, table)) << pattern << " " << table;
  }
}

// As WP-CLI's report: every column in scope holding strings, replaced in or not.
TEST(DumpRewriter, ListsEveryColumnExaminedWhenAsked) {
  DumpOptions options = tables({"wp_posts"});
  options.every_column = true;
  const Rewritten result = rewrite_tables(options);
  EXPECT_EQ(summary(result.counts), (std::vector<std::string>{
                                        "wp_posts/post_content 1/0/0",
                                        "wp_posts/post_title 0/0/0",
                                        "wp_posts/post_status 0/0/0",
                                        "wp_posts/guid 1/0/0",
                                    }));
}

// Columns chosen by name in a dump that names none of a table's: nothing of that table
// is rewritten, and the run fails saying why.
TEST(DumpRewriter, RefusesToGuessColumnsTheDumpDoesNotName) {
  const std::string dump = "INSERT INTO `t` VALUES (1,'http://old.example');\n";
  DumpOptions options;
  options.skip_columns = {"guid"};
  const Rewritten result = rewrite_in_chunks(old_to_new(), dump, 64, options);
  EXPECT_EQ(result.sql, dump);
  ASSERT_FALSE(result.finished.ok());
  EXPECT_NE(result.finished.error().message.find("does not name the columns of table t"),
            std::string::npos)
      << result.finished.error().message;
}

TEST(DumpRewriter, CountsSerializedKeysKeptPerColumn) {
  const std::string dump =
      "INSERT INTO `t` (`id`, `v`) VALUES (1,'a:2:{s:18:\\\"http://old.example\\\";i:1;"
      "s:19:\\\"https://new.example\\\";i:2;}');\n";
  const Rewritten result = rewrite_in_chunks(old_to_new(), dump, 64);
  EXPECT_EQ(result.sql, dump);
  ASSERT_EQ(result.counts.size(), 1u);
  EXPECT_EQ(result.counts[0].column, "v");
  EXPECT_EQ(result.counts[0].keys_kept, 1u);
  EXPECT_EQ(result.counts[0].replacements, 0u);
}

class RewriteDumpTest : public testing::Test {
 protected:
  void SetUp() override {
    char in[] = "/tmp/wpfleet-dump-in-XXXXXX";
    char out[] = "/tmp/wpfleet-dump-out-XXXXXX";
    in_fd_ = ::mkstemp(in);
    out_fd_ = ::mkstemp(out);
    ASSERT_GE(in_fd_, 0);
    ASSERT_GE(out_fd_, 0);
    ::unlink(in);
    ::unlink(out);
    ASSERT_EQ(::write(in_fd_, kDump.data(), kDump.size()), static_cast<ssize_t>(kDump.size()));
    ::lseek(in_fd_, 0, SEEK_SET);
  }
  void TearDown() override {
    ::close(in_fd_);
    ::close(out_fd_);
  }
  std::string written() {
    std::string content(1 << 16, '\0');
    ::lseek(out_fd_, 0, SEEK_SET);
    content.resize(static_cast<std::size_t>(::read(out_fd_, content.data(), content.size())));
    return content;
  }

  int in_fd_ = -1, out_fd_ = -1;
};

TEST_F(RewriteDumpTest, WritesTheRewrittenDump) {
  std::uint64_t progress = 0;
  auto counts = rewrite_dump(in_fd_, out_fd_, old_to_new(), {},
                             [&progress](std::uint64_t read) { progress = read; });
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(written(), kRewritten);
  EXPECT_EQ(progress, kDump.size());
  EXPECT_EQ(counts->size(), 5u);
}

TEST_F(RewriteDumpTest, DryRunOnlyCounts) {
  auto counts = rewrite_dump(in_fd_, std::nullopt, old_to_new(), {}, [](std::uint64_t) {});
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->size(), 5u);
  EXPECT_EQ(written(), "");
}

}  // namespace
}  // namespace wpfleet::content
