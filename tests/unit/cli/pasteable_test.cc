// The wpfleet commands hints advise carry the global options of the command that
// printed them, so that pasted they act on the same fleet file and state.
#include "cli/pasteable.h"

#include <gtest/gtest.h>

#include "cli/context.h"

namespace wpfleet::cli {
namespace {

GlobalOptions with_file(std::string file, std::string state_dir = "") {
  GlobalOptions options;
  options.fleet_file = std::move(file);
  options.state_dir = std::move(state_dir);
  return options;
}

TEST(PasteableTest, TheDefaultFleetFileNeedsNoOption) {
  EXPECT_EQ(fleet_options(GlobalOptions{}), "");
  EXPECT_EQ(fleet_options(with_file("./fleet.toml")), "");
  const std::string hint = "undo with `wpfleet rollback op-1`";
  EXPECT_EQ(pasteable(GlobalOptions{}, hint), hint);
}

TEST(PasteableTest, AnotherFleetFileIsNamedInEveryCommand) {
  const GlobalOptions options = with_file("some/dir/fleet.toml");
  EXPECT_EQ(pasteable(options, "undo with `wpfleet rollback op-1`"),
            "undo with `wpfleet rollback op-1 -f some/dir/fleet.toml`");
  EXPECT_EQ(
      pasteable(options, "run `wpfleet up`, then `wpfleet apply`."),
      "run `wpfleet up -f some/dir/fleet.toml`, then `wpfleet apply -f some/dir/fleet.toml`.");
}

TEST(PasteableTest, TheStateDirectoryIsNamedWhenGiven) {
  EXPECT_EQ(fleet_options(with_file("fleet.toml", "/srv/state")), " --state-dir /srv/state");
  EXPECT_EQ(fleet_options(with_file("a.toml", "/srv/state")), " -f a.toml --state-dir /srv/state");
}

TEST(PasteableTest, PathsAreQuotedForTheShell) {
  EXPECT_EQ(fleet_options(with_file("my fleet/fleet.toml")), " -f 'my fleet/fleet.toml'");
  EXPECT_EQ(fleet_options(with_file("it's.toml")), " -f 'it'\\''s.toml'");
  EXPECT_EQ(fleet_options(with_file("$HOME/f.toml")), " -f '$HOME/f.toml'");
}

TEST(PasteableTest, OptionsGoBeforeTheEndOfOptions) {
  EXPECT_EQ(pasteable(with_file("b.toml"), "try `wpfleet search-replace -e dev a -- -x y`"),
            "try `wpfleet search-replace -e dev a -f b.toml -- -x y`");
}

TEST(PasteableTest, OnlyQuotedCommandsChangeAndOnlyOnce) {
  const GlobalOptions options = with_file("b.toml");
  // Prose that mentions wpfleet, the name alone, or an unclosed quote: nothing to paste.
  EXPECT_EQ(pasteable(options, "wpfleet apply failed; see `wpfleet`"),
            "wpfleet apply failed; see `wpfleet`");
  EXPECT_EQ(pasteable(options, "see `wpfleet apply"), "see `wpfleet apply");
  const std::string once = pasteable(options, "see `wpfleet logs a -e dev` and `wpfleet status`");
  EXPECT_EQ(once, "see `wpfleet logs a -e dev -f b.toml` and `wpfleet status -f b.toml`");
  EXPECT_EQ(pasteable(options, once), once);
}

TEST(CountedTest, OneIsSingular) {
  EXPECT_EQ(counted(1, "tenant"), "1 tenant");
  EXPECT_EQ(counted(0, "tenant"), "0 tenants");
  EXPECT_EQ(counted(13, "file"), "13 files");
}

}  // namespace
}  // namespace wpfleet::cli
