// The manifest of an export archive: what it holds and how to check it arrived whole.
//
// An archive is a tar file with manifest.json, database.sql.zst (a mariadb-dump of the
// tenant's database, zstd-compressed) and, unless exported without files, wp-content/.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "util/result.h"

namespace wpfleet::transfer {

inline constexpr int kArchiveFormat = 1;
inline constexpr const char* kManifestEntry = "manifest.json";
inline constexpr const char* kDatabaseEntry = "database.sql.zst";
inline constexpr const char* kFilesPrefix = "wp-content";

struct Manifest {
  int format = kArchiveFormat;
  std::string tenant;
  std::string env;
  std::string source_url;         // the site's address where it was exported
  std::string wordpress_version;
  std::string table_prefix = "wp_";
  std::vector<std::string> only_tables;            // empty = the whole database
  std::map<std::string, std::uint64_t> table_rows;  // counted in the dump itself
  std::string database_sha256;                      // of the uncompressed dump
  std::uint64_t database_bytes = 0;
  bool has_files = true;
  std::uint64_t file_count = 0;
  std::uint64_t file_bytes = 0;
  std::string content_fingerprint;  // of the live content when exported
  std::int64_t created_at = 0;
};

std::string manifest_json(const Manifest& manifest);
Result<Manifest> parse_manifest(const std::string& json);

}  // namespace wpfleet::transfer
