#include "util/parallel_dump.h"

#include <gtest/gtest.h>

namespace wpfleet {
namespace {

// SHOW CREATE TABLE of WordPress's wp_posts, shortened.
constexpr char kPosts[] =
    "CREATE TABLE `wp_posts` (\n"
    "  `ID` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n"
    "  `post_name` varchar(200) NOT NULL DEFAULT '',\n"
    "  `post_type` varchar(20) NOT NULL DEFAULT 'post',\n"
    "  `post_author` bigint(20) unsigned NOT NULL DEFAULT 0,\n"
    "  PRIMARY KEY (`ID`),\n"
    "  KEY `post_name` (`post_name`(191)),\n"
    "  UNIQUE KEY `type_author` (`post_type`,`post_author`),\n"
    "  FULLTEXT KEY `ft` (`post_name`)\n"
    ") ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4";

TEST(SplitSecondaryIndexes, MovesEveryIndexButThePrimaryKeyToOneAlterTable) {
  const SplitCreate split = split_secondary_indexes("wp_posts", kPosts);
  EXPECT_EQ(split.create,
            "CREATE TABLE `wp_posts` (\n"
            "  `ID` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n"
            "  `post_name` varchar(200) NOT NULL DEFAULT '',\n"
            "  `post_type` varchar(20) NOT NULL DEFAULT 'post',\n"
            "  `post_author` bigint(20) unsigned NOT NULL DEFAULT 0,\n"
            "  PRIMARY KEY (`ID`)\n"
            ") ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4");
  EXPECT_EQ(split.add_indexes,
            "ALTER TABLE `wp_posts` ADD KEY `post_name` (`post_name`(191)), ADD UNIQUE KEY "
            "`type_author` (`post_type`,`post_author`), ADD FULLTEXT KEY `ft` (`post_name`);\n");
}

TEST(SplitSecondaryIndexes, LeavesAloneWhatItCannotTakeApartSafely) {
  // No primary key: InnoDB would cluster the rows on the first unique index instead.
  const std::string no_primary =
      "CREATE TABLE `t` (\n  `a` int(11) NOT NULL,\n  UNIQUE KEY `a` (`a`)\n) ENGINE=InnoDB";
  EXPECT_EQ(split_secondary_indexes("t", no_primary).add_indexes, "");
  EXPECT_EQ(split_secondary_indexes("t", no_primary).create, no_primary);
  // Foreign keys need their indexes.
  const std::string foreign =
      "CREATE TABLE `t` (\n  `a` int(11) NOT NULL,\n  `b` int(11) NOT NULL,\n  PRIMARY KEY (`a`),\n"
      "  KEY `b` (`b`),\n  CONSTRAINT `f` FOREIGN KEY (`b`) REFERENCES `u` (`a`)\n) ENGINE=InnoDB";
  EXPECT_EQ(split_secondary_indexes("t", foreign).create, foreign);
  // A comment whose text spans lines, one of which looks like an index.
  const std::string comment =
      "CREATE TABLE `t` (\n  `a` int(11) NOT NULL COMMENT 'x\n  KEY `k` (`a`),\n',\n"
      "  PRIMARY KEY (`a`)\n) ENGINE=InnoDB";
  EXPECT_EQ(split_secondary_indexes("t", comment).create, comment);
  EXPECT_EQ(split_secondary_indexes("t", comment).add_indexes, "");
  // Only a primary key: nothing to defer.
  const std::string primary = "CREATE TABLE `t` (\n  `a` int(11) NOT NULL,\n  PRIMARY KEY (`a`)\n) ENGINE=InnoDB";
  EXPECT_EQ(split_secondary_indexes("t", primary).create, primary);
  EXPECT_EQ(split_secondary_indexes("t", primary).add_indexes, "");
}

TEST(SplitSecondaryIndexes, QuotesTheTableName) {
  const std::string create =
      "CREATE TABLE `we``ird` (\n  `a` int(11) NOT NULL,\n  PRIMARY KEY (`a`),\n  KEY `a2` (`a`)\n) ENGINE=InnoDB";
  EXPECT_EQ(split_secondary_indexes("we`ird", create).add_indexes,
            "ALTER TABLE `we``ird` ADD KEY `a2` (`a`);\n");
}

}  // namespace
}  // namespace wpfleet
