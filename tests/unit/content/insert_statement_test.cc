#include "content/insert_statement.h"

#include <gtest/gtest.h>

namespace wpfleet::content {
namespace {

using Names = std::vector<std::string>;

TEST(InsertStatement, ReadsTheTableAndColumnsOfAnInsert) {
  auto plain = parse_insert_head("INSERT INTO `wp_options` VALUES");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->table, "wp_options");
  EXPECT_TRUE(plain->columns.empty());
  auto listed = parse_insert_head("INSERT IGNORE INTO `db`.`t` (`a`, `b``c`) VALUES");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->table, "t");
  EXPECT_EQ(listed->columns, (Names{"a", "b`c"}));
  EXPECT_FALSE(parse_insert_head("UPDATE t SET a = VALUES"));
}

// As the statement reaches the dump rewriter: its literals' contents left out.
TEST(InsertStatement, ReadsTheColumnsOfACreateTable) {
  auto created = parse_create_table(
      "\nCREATE TABLE `wp_posts` (\n  `ID` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n"
      "  `post_status` enum(,) NOT NULL DEFAULT ,\n  `total` decimal(10,2) AS (`a` * (2)),\n"
      "  `guid` varchar(255) NOT NULL DEFAULT  COMMENT ,\n  PRIMARY KEY (`ID`),\n"
      "  KEY `s` (`post_status`(10),`ID`),\n  UNIQUE KEY `g` (`guid`),\n  FULLTEXT KEY `f` "
      "(`guid`),\n  CONSTRAINT `c` FOREIGN KEY (`ID`) REFERENCES `x` (`id`),\n  CHECK "
      "(`ID` > 0)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->table, "wp_posts");
  EXPECT_EQ(created->columns, (Names{"ID", "post_status", "total", "guid"}));
  auto if_not_exists =
      parse_create_table("CREATE OR REPLACE TABLE IF NOT EXISTS `db`.`t` (`a` int, b text)");
  ASSERT_TRUE(if_not_exists);
  EXPECT_EQ(if_not_exists->table, "t");
  EXPECT_EQ(if_not_exists->columns, (Names{"a", "b"}));
  for (const char* other :
       {"CREATE DATABASE `x`", "CREATE TABLE `t` LIKE `u`", "CREATE TABLE `t` (`a` int",
        "DROP TABLE IF EXISTS `t`", "/*!40101 SET character_set_client = utf8mb4 */"}) {
    EXPECT_FALSE(parse_create_table(other)) << other;
  }
}

}  // namespace
}  // namespace wpfleet::content
