#include "cli/pasteable.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "cli/context.h"

namespace wpfleet::cli {

namespace {
// A word a POSIX shell reads back unchanged, in single quotes when it holds anything
// but letters, digits and punctuation the shell leaves alone.
std::string shell_word(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](unsigned char c) {
    return std::isalnum(c) ||
           std::string_view("_-./:@%+,=").find(static_cast<char>(c)) != std::string_view::npos;
  });
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

constexpr std::string_view kQuotedCommand = "`wpfleet ";
}  // namespace

std::string fleet_options(const GlobalOptions& options) {
  std::string text;
  if (std::filesystem::path(options.fleet_file).lexically_normal() != kDefaultFleetFile) {
    text += " -f " + shell_word(options.fleet_file);
  }
  if (!options.state_dir.empty()) text += " --state-dir " + shell_word(options.state_dir);
  return text;
}

std::string pasteable(const GlobalOptions& options, std::string_view text) {
  const std::string added = fleet_options(options);
  if (added.empty()) return std::string(text);
  std::string out;
  std::size_t from = 0;
  for (auto start = text.find(kQuotedCommand); start != std::string_view::npos;
       start = text.find(kQuotedCommand, from)) {
    const auto end = text.find('`', start + 1);
    if (end == std::string_view::npos) break;
    const std::string_view command = text.substr(start + 1, end - start - 1);
    std::size_t insert_at = end;
    if (const auto dashes = command.find(" -- "); dashes != std::string_view::npos) {
      insert_at = start + 1 + dashes;
    }
    out += text.substr(from, insert_at - from);
    if (command.find(added) == std::string_view::npos) out += added;
    from = insert_at;
  }
  out += text.substr(from);
  return out;
}

}  // namespace wpfleet::cli
