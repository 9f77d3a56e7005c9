// Every command's --help lists the global options (CLI11 shows only a command's own).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "captured_run.h"
#include "cli/app.h"

namespace wpfleet::cli {
namespace {

// The names under "Subcommands:" in a help text.
std::vector<std::string> subcommands(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream lines(help.substr(help.find("Subcommands:")));
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line) && line.starts_with("  ") && !line.starts_with("   ")) {
    names.push_back(line.substr(2, line.find(' ', 2) - 2));
  }
  return names;
}

TEST(HelpTest, EveryCommandListsTheGlobalOptions) {
  auto [code, top] = run_captured({"--help"});
  ASSERT_EQ(code, kExitOk);
  const auto commands = subcommands(top);
  ASSERT_GT(commands.size(), 20u) << top;
  std::vector<std::vector<std::string>> checked;
  for (const auto& command : commands) {
    auto [sub_code, help] = run_captured({command, "--help"});
    ASSERT_EQ(sub_code, kExitOk) << command;
    checked.push_back({command});
    if (help.find("Subcommands:") != std::string::npos) {
      for (const auto& sub : subcommands(help)) checked.push_back({command, sub});
    }
  }
  for (auto args : checked) {
    std::string name;
    for (const auto& a : args) name += " " + a;
    args.push_back("--help");
    const std::string help = run_captured(args).second;
    EXPECT_NE(help.find("Global options"), std::string::npos) << "wpfleet" << name << " --help";
    EXPECT_NE(help.find("-f,--file"), std::string::npos) << "wpfleet" << name << " --help";
    EXPECT_NE(help.find("--state-dir"), std::string::npos) << "wpfleet" << name << " --help";
    EXPECT_NE(help.find("WPFLEET_FILE"), std::string::npos) << "wpfleet" << name << " --help";
    EXPECT_NE(help.find("-o,--output"), std::string::npos) << "wpfleet" << name << " --help";
    EXPECT_NE(help.find("Exit codes"), std::string::npos) << "wpfleet" << name << " --help";
  }
}

TEST(HelpTest, TheTopLevelHelpListsThemOnce) {
  const std::string help = run_captured({"--help"}).second;
  const auto first = help.find("--state-dir");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(help.find("--state-dir", first + 1), std::string::npos) << help;
}

}  // namespace
}  // namespace wpfleet::cli
