// What a tenant's content fingerprint holds (TenantData::content_fingerprint): each
// table's rows and checksum and the files' count, bytes and digest, one line each, so
// that "production was edited" can say what changed rather than only that something did.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wpfleet {

struct TableSummary {
  std::uint64_t rows = 0;
  std::string checksum;
};

struct FilesSummary {
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  std::string digest;  // of every path, size and modification time
};

struct ContentSummary {
  std::map<std::string, TableSummary> tables;
  FilesSummary files;
};

// "table <name> <rows> <checksum>" lines, then "files <count> <bytes> <digest>".
std::string format_content_summary(const ContentSummary& summary);
// nullopt for a fingerprint of the older kind (one hash), which tells no detail.
std::optional<ContentSummary> parse_content_summary(const std::string& text);

// What differs, one phrase each: "wp_posts: 12 rows -> 13", "wp_options changed (same
// rows)", "new table wp_x (4 rows)", "table wp_y removed", "files: 120 -> 123 (+1.2 MiB)".
std::vector<std::string> describe_content_changes(const ContentSummary& before,
                                                  const ContentSummary& now);

}  // namespace wpfleet
