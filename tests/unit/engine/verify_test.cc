#include "engine/verify.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

namespace wpfleet {
namespace {

namespace fs = std::filesystem;

EdgePolicy allowing(std::vector<std::string> allow) {
  EdgePolicy edge;
  edge.basic_auth_user = "bbws-sit";
  edge.allow = std::move(allow);
  return edge;
}

TEST(SkipsPassword, OnlyForAddressesInAnAllowedRange) {
  EXPECT_FALSE(skips_password(allowing({}), "127.0.0.1"));
  EXPECT_TRUE(skips_password(allowing({"127.0.0.1/32"}), "127.0.0.1"));
  EXPECT_TRUE(skips_password(allowing({"127.0.0.1"}), "127.0.0.1"));
  EXPECT_FALSE(skips_password(allowing({"127.0.0.2"}), "127.0.0.1"));
  EXPECT_TRUE(skips_password(allowing({"10.0.0.0/8"}), "10.200.3.4"));
  EXPECT_FALSE(skips_password(allowing({"10.0.0.0/8"}), "11.0.0.1"));
  EXPECT_TRUE(skips_password(allowing({"192.168.4.0/22"}), "192.168.7.255"));
  EXPECT_FALSE(skips_password(allowing({"192.168.4.0/22"}), "192.168.8.0"));
  EXPECT_TRUE(skips_password(allowing({"0.0.0.0/0"}), "203.0.113.9"));
}

TEST(SkipsPassword, Ipv6AndBracketedAddresses) {
  EXPECT_TRUE(skips_password(allowing({"::1"}), "[::1]"));
  EXPECT_TRUE(skips_password(allowing({"2001:db8::/32"}), "2001:db8:1::5"));
  EXPECT_FALSE(skips_password(allowing({"2001:db8::/32"}), "2001:db9::5"));
  // An IPv4 range never covers an IPv6 address, nor the other way round.
  EXPECT_FALSE(skips_password(allowing({"0.0.0.0/0"}), "::1"));
  EXPECT_FALSE(skips_password(allowing({"::/0"}), "127.0.0.1"));
  EXPECT_FALSE(skips_password(allowing({"127.0.0.1"}), "localhost"));
}

TEST(SplitAdvice, TheLastTopLevelPartNamingAWpfleetCommandIsTheAdvice) {
  Diagnosis d = split_advice(
      "the tenant's own database login fails (connect: Access denied for user 'x'@'localhost' "
      "(using password: YES)): run `wpfleet apply` to restore its user and grants");
  EXPECT_EQ(d.problem,
            "the tenant's own database login fails (connect: Access denied for user "
            "'x'@'localhost' (using password: YES))");
  EXPECT_EQ(d.advice, "run `wpfleet apply` to restore its user and grants");

  d = split_advice("pool down: check `wpfleet status`, then `wpfleet apply`");
  EXPECT_EQ(d.problem, "pool down");
  EXPECT_EQ(d.advice, "check `wpfleet status`, then `wpfleet apply`");

  // Colons inside backquotes belong to the advice.
  d = split_advice("no route: try `wpfleet logs a -e dev: now`");
  EXPECT_EQ(d.problem, "no route");
}

TEST(SplitAdvice, WithoutAWpfleetCommandAllOfItIsTheProblem) {
  for (const std::string message : {"cannot read secret db-password: database is locked",
                                    "something failed", "ends with a colon:"}) {
    Diagnosis d = split_advice(message);
    EXPECT_EQ(d.problem, message);
    EXPECT_EQ(d.advice, "");
  }
}

class LastLogLines : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "wpfleet-log-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& text) {
    const fs::path path = dir_ / "test.log";
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  fs::path dir_;
};

TEST_F(LastLogLines, MissingLogHasNoLines) {
  auto lines = last_log_lines(dir_ / "absent.log", 5);
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_TRUE(lines->empty());
}

TEST_F(LastLogLines, LastLinesOldestFirst) {
  auto lines = last_log_lines(write("one\ntwo\n\nfour\nfive\n"), 3);
  ASSERT_TRUE(lines.ok());
  EXPECT_EQ(*lines, (std::vector<std::string>{"", "four", "five"}));
  EXPECT_EQ(*last_log_lines(write("one\ntwo\n"), 10), (std::vector<std::string>{"one", "two"}));
}

TEST_F(LastLogLines, UnfinishedLastLineIsShown) {
  EXPECT_EQ(*last_log_lines(write("one\ntwo\nthr"), 2), (std::vector<std::string>{"two", "thr"}));
}

TEST_F(LastLogLines, ReadsOnlyTheEndOfALargeLogAcrossChunks) {
  std::string text;
  for (int i = 0; i < 50000; ++i) text += "line " + std::to_string(i) + " of a long log\n";
  auto lines = last_log_lines(write(text), 3);
  ASSERT_TRUE(lines.ok());
  EXPECT_EQ(*lines,
            (std::vector<std::string>{"line 49997 of a long log", "line 49998 of a long log",
                                      "line 49999 of a long log"}));
  // A line longer than a read chunk comes out whole.
  const std::string long_line(200 * 1024, 'x');
  EXPECT_EQ(*last_log_lines(write("first\n" + long_line + "\nlast\n"), 2),
            (std::vector<std::string>{long_line, "last"}));
}

}  // namespace
}  // namespace wpfleet
