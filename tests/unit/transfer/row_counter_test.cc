#include "transfer/row_counter.h"

#include <gtest/gtest.h>

namespace wpfleet::transfer {
namespace {

const std::string kDump = R"(-- MariaDB dump 10.19  Distrib 10.11.14-MariaDB
/*!40101 SET NAMES utf8mb4 */;
DROP TABLE IF EXISTS `wp_options`;
CREATE TABLE `wp_options` (
  `option_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `option_value` longtext NOT NULL COMMENT 'it''s (a) value',
  PRIMARY KEY (`option_id`)
) ENGINE=InnoDB;
-- Dumping data for table `wp_options`
INSERT INTO `wp_options` VALUES (1,'siteurl','http://a (b)'),(2,'x','it\'s ),( not a row'),(3,'y','two '' quotes (');
INSERT INTO `wp_posts` VALUES (1,'<p>(hello)</p>');
INSERT INTO `wp_options` VALUES (4,'z','w');
)";

TEST(RowCounter, CountsRowsPerTableIgnoringParenthesesInLiterals) {
  RowCounter counter;
  counter.feed(kDump);
  EXPECT_EQ(counter.rows().at("wp_options"), 4u);
  EXPECT_EQ(counter.rows().at("wp_posts"), 1u);
  EXPECT_EQ(counter.rows().size(), 2u);
}

TEST(RowCounter, ChunkBoundariesDoNotMatter) {
  for (std::size_t size : {1u, 2u, 7u, 64u}) {
    RowCounter counter;
    for (std::size_t at = 0; at < kDump.size(); at += size) {
      counter.feed(std::string_view(kDump).substr(at, size));
    }
    EXPECT_EQ(counter.rows().at("wp_options"), 4u) << size;
    EXPECT_EQ(counter.rows().at("wp_posts"), 1u) << size;
  }
}

}  // namespace
}  // namespace wpfleet::transfer
