#include "cli/context.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "cli/pasteable.h"
#include "fleet/parse.h"
#include "util/unix_time.h"

namespace wpfleet::cli {

namespace fs = std::filesystem;

namespace {
// ready_to_paste() is free, like fail() and progress() (which every command and the
// engine, as its progress callback, call): it learns the run's options from its Context.
const GlobalOptions* run_options = nullptr;
// Whether this run printed its JSON document (or data) on stdout, after which fail()
// prints none.
bool stdout_taken = false;
}  // namespace

std::string ready_to_paste(std::string_view text) {
  return run_options ? pasteable(*run_options, text) : std::string(text);
}

Context::Context(GlobalOptions& options) : options_(options) {
  run_options = &options_;
  stdout_taken = false;
}

Context::~Context() {
  if (run_options == &options_) run_options = nullptr;
}

fs::path Context::state_dir() const {
  if (!options_.state_dir.empty()) return fs::absolute(options_.state_dir);
  return fs::absolute(fs::path(options_.fleet_file)).parent_path() / ".wpfleet";
}

Result<Fleet> Context::load_fleet() const { return load_fleet_file(options_.fleet_file); }

Result<Session> Context::open(LockMode mode, const std::string& command) const {
  return open_session(state_dir(), mode, command, &Context::progress);
}

void Context::progress(const std::string& line) { std::cerr << ready_to_paste(line) << std::endl; }

void Context::print_json(const nlohmann::json& value) const {
  std::cout << value.dump(2) << "\n";
  stdout_taken = true;
}

void Context::stdout_holds_data() { stdout_taken = true; }

void print_failure_json(const std::string& message, int exit_code) {
  if (!run_options || !run_options->json() || stdout_taken) return;
  std::cout << nlohmann::json{{"ok", false}, {"error", message}, {"exit_code", exit_code}}.dump(2)
            << "\n";
  stdout_taken = true;
}

int fail(const std::string& message, int exit_code) {
  const std::string text = ready_to_paste(message);
  std::cerr << "wpfleet: " << text << "\n";
  print_failure_json(text, exit_code);
  return exit_code;
}

int fail(const Error& error, int exit_code) { return fail(error.message, exit_code); }

void print_table(const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows) {
  print_table(std::cout, headers, rows);
}

void print_table(std::ostream& out, const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(headers.size());
  for (std::size_t i = 0; i < headers.size(); ++i) widths[i] = headers[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  };
  print_row(headers);
  for (const auto& row : rows) print_row(row);
}

std::string counted(std::uint64_t count, std::string_view noun) {
  return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

std::string utc_time(std::int64_t unix_seconds) { return utc_text(unix_seconds, "%Y-%m-%d %H:%M:%S UTC"); }

bool confirm(const std::string& question) {
  if (!isatty(STDIN_FILENO)) return false;
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

std::string self_executable() {
  std::error_code ec;
  auto path = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("wpfleet") : path.string();
}

PlatformOptions platform_options(const Fleet& fleet) {
  PlatformOptions options{self_executable(), {}, {}};
  for (const auto& [name, env] : fleet.environments) {
    options.listen.push_back(env.listen);
    if (env.edge.tls) options.tls_listen.push_back(env.listen);
  }
  return options;
}

}  // namespace wpfleet::cli
