#include "backends/content_summary.h"

#include <sstream>

#include "util/human.h"

namespace wpfleet {

std::string format_content_summary(const ContentSummary& summary) {
  std::string out;
  for (const auto& [name, table] : summary.tables) {
    out += "table " + name + " " + std::to_string(table.rows) + " " + table.checksum + "\n";
  }
  out += "files " + std::to_string(summary.files.count) + " " + std::to_string(summary.files.bytes) +
         " " + summary.files.digest + "\n";
  return out;
}

std::optional<ContentSummary> parse_content_summary(const std::string& text) {
  ContentSummary summary;
  bool has_files = false;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string kind, name;
    words >> kind;
    if (kind == "table") {
      TableSummary table;
      if (!(words >> name >> table.rows >> table.checksum)) return std::nullopt;
      summary.tables[name] = table;
    } else if (kind == "files") {
      if (!(words >> summary.files.count >> summary.files.bytes >> summary.files.digest)) return std::nullopt;
      has_files = true;
    } else {
      return std::nullopt;
    }
  }
  if (!has_files) return std::nullopt;
  return summary;
}

namespace {
std::string rows(std::uint64_t count) { return std::to_string(count) + (count == 1 ? " row" : " rows"); }
}  // namespace

std::vector<std::string> describe_content_changes(const ContentSummary& before,
                                                  const ContentSummary& now) {
  std::vector<std::string> changes;
  for (const auto& [name, table] : now.tables) {
    const auto old = before.tables.find(name);
    if (old == before.tables.end()) {
      changes.push_back("new table " + name + " (" + rows(table.rows) + ")");
    } else if (old->second.rows != table.rows) {
      changes.push_back(name + ": " + rows(old->second.rows) + " -> " + std::to_string(table.rows));
    } else if (old->second.checksum != table.checksum) {
      changes.push_back(name + " changed (same rows)");
    }
  }
  for (const auto& [name, table] : before.tables) {
    if (!now.tables.count(name)) changes.push_back("table " + name + " removed");
  }
  const FilesSummary& a = before.files;
  const FilesSummary& b = now.files;
  if (a.count != b.count || a.bytes != b.bytes) {
    const bool grew = b.bytes >= a.bytes;
    changes.push_back("files: " + std::to_string(a.count) + " -> " + std::to_string(b.count) + " (" +
                      (grew ? "+" : "-") + human_bytes(grew ? b.bytes - a.bytes : a.bytes - b.bytes) + ")");
  } else if (a.digest != b.digest) {
    changes.push_back("files changed in place (same count and size)");
  }
  return changes;
}

}  // namespace wpfleet
