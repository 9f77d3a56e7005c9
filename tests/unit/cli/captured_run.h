// Runs the command line in this process, as `wpfleet ARGS`, with stdout captured.
#pragma once

#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/app.h"

namespace wpfleet::cli {

// What `wpfleet ARGS` prints on stdout, and its exit code.
inline std::pair<int, std::string> run_captured(std::vector<std::string> args) {
  args.insert(args.begin(), "wpfleet");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  std::ostringstream out;
  std::streambuf* saved = std::cout.rdbuf(out.rdbuf());
  const int code = run(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(saved);
  return {code, out.str()};
}

}  // namespace wpfleet::cli
