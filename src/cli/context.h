// What every command shares: the global options and the helpers that turn them into a
// fleet, a state session and output.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/session.h"
#include "fleet/model.h"
#include "platform/platform.h"
#include "util/result.h"

namespace wpfleet::cli {

inline constexpr const char* kDefaultFleetFile = "fleet.toml";

// Set by -f/--file and --state-dir, or else by WPFLEET_FILE and WPFLEET_STATE_DIR.
struct GlobalOptions {
  std::string fleet_file = kDefaultFleetFile;
  std::string state_dir;  // default: .wpfleet next to the fleet file
  std::string output = "table";
  bool json() const { return output == "json"; }
};

// A failure to report: the message and the exit code it maps to.
struct CommandError {
  std::string message;
  int exit_code;
};

// The run's global options. While it exists, ready_to_paste() (and so fail() and
// progress()) gives the wpfleet commands that messages advise these options.
class Context {
 public:
  explicit Context(GlobalOptions& options);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  const GlobalOptions& options() const { return options_; }

  std::filesystem::path state_dir() const;
  Result<Fleet> load_fleet() const;
  Result<Session> open(LockMode mode, const std::string& command) const;

  // Progress on stderr, so stdout stays clean for tables and JSON.
  static void progress(const std::string& line);
  // With --output json a command prints one JSON document on stdout: its result, or the
  // error fail() reports (unless a document, or data, went to stdout already).
  void print_json(const nlohmann::json& value) const;
  // For a command whose stdout carries data (search-replace's rewritten dump): no JSON
  // document may follow it there.
  static void stdout_holds_data();

 private:
  GlobalOptions& options_;
};

// A command's body: returns an exit code. Failures are printed by the caller.
using CommandBody = std::function<int()>;

// Each command group adds its subcommands to `app`; the callback it sets stores the
// body to run in `selected`.
using CommandRegistrar = void (*)(CLI::App& app, Context& ctx, CommandBody& selected);

// `text` with each "`wpfleet ...`" it advises given the run's global options, so that it
// works when pasted (see pasteable.h). For every hint a command prints: fail() and
// progress() apply it; what a command prints itself (stdout, tables, JSON) must too.
std::string ready_to_paste(std::string_view text);

// Prints "wpfleet: <message>" to stderr (ready to paste) and returns the code. With
// --output json, stdout gets the document {"ok": false, "error": message, "exit_code"}
// too, unless the command printed one already.
int fail(const std::string& message, int exit_code);
int fail(const Error& error, int exit_code);
// That document alone, for a failure reported on stderr otherwise (a bad command line).
void print_failure_json(const std::string& message, int exit_code);

// Rows as an aligned table on `out` (stdout by default).
void print_table(std::ostream& out, const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows);
void print_table(const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows);

// "1 tenant", "3 tenants": a count and its noun, in the singular for one.
std::string counted(std::uint64_t count, std::string_view noun);

// "2026-11-30 03:05:12 UTC".
std::string utc_time(std::int64_t unix_seconds);

// Asks on the terminal; false without a terminal (then the caller needs --yes).
bool confirm(const std::string& question);

std::string self_executable();

// What the platform must serve for this fleet: every environment's listen address.
PlatformOptions platform_options(const Fleet& fleet);

}  // namespace wpfleet::cli
