// What every command shares: the global options and the helpers that turn them into a
// fleet, a state session and output.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/session.h"
#include "fleet/model.h"
#include "platform/platform.h"
#include "util/result.h"

namespace wpfleet::cli {

struct GlobalOptions {
  std::string fleet_file = "fleet.toml";
  std::string state_dir;  // default: .wpfleet next to the fleet file
  std::string output = "table";
  bool json() const { return output == "json"; }
};

// A failure to report: the message and the exit code it maps to.
struct CommandError {
  std::string message;
  int exit_code;
};

class Context {
 public:
  explicit Context(GlobalOptions& options) : options_(options) {}
  const GlobalOptions& options() const { return options_; }

  std::filesystem::path state_dir() const;
  Result<Fleet> load_fleet() const;
  Result<Session> open(LockMode mode, const std::string& command) const;

  // Progress on stderr, so stdout stays clean for tables and JSON.
  static void progress(const std::string& line);
  void print_json(const nlohmann::json& value) const;

 private:
  GlobalOptions& options_;
};

// A command's body: returns an exit code. Failures are printed by the caller.
using CommandBody = std::function<int()>;

// Each command group adds its subcommands to `app`; the callback it sets stores the
// body to run in `selected`.
using CommandRegistrar = void (*)(CLI::App& app, Context& ctx, CommandBody& selected);

// Prints "wpfleet: <message>" to stderr and returns the code.
int fail(const std::string& message, int exit_code);
int fail(const Error& error, int exit_code);

// Rows as an aligned table on `out` (stdout by default).
void print_table(std::ostream& out, const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows);
void print_table(const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows);

// Asks on the terminal; false without a terminal (then the caller needs --yes).
bool confirm(const std::string& question);

std::string self_executable();

// What the platform must serve for this fleet: every environment's listen address.
PlatformOptions platform_options(const Fleet& fleet);

}  // namespace wpfleet::cli
