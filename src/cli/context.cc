#include "cli/context.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "fleet/parse.h"

namespace wpfleet::cli {

namespace fs = std::filesystem;

fs::path Context::state_dir() const {
  if (!options_.state_dir.empty()) return fs::absolute(options_.state_dir);
  return fs::absolute(fs::path(options_.fleet_file)).parent_path() / ".wpfleet";
}

Result<Fleet> Context::load_fleet() const { return load_fleet_file(options_.fleet_file); }

Result<Session> Context::open(LockMode mode, const std::string& command) const {
  return open_session(state_dir(), mode, command, &Context::progress);
}

void Context::progress(const std::string& line) { std::cerr << line << std::endl; }

void Context::print_json(const nlohmann::json& value) const { std::cout << value.dump(2) << "\n"; }

int fail(const std::string& message, int exit_code) {
  std::cerr << "wpfleet: " << message << "\n";
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
