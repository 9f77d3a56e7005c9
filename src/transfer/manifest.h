// The manifest of an export archive: what it holds and how to check it arrived whole.
//
// An archive is a tar file with manifest.json, database.sql.zst (a mariadb-dump of the
// tenant's database, zstd-compressed) and, unless exported without files, wp-content/
// (format 1: what `export` writes, self-contained). A snapshot (format 2) holds, instead
// of wp-content/, files.jsonl: one line per directory and file (path, mode, size and
// SHA-256), whose content is in the environment's blob store (transfer/blob_store.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "util/result.h"

namespace wpfleet::transfer {

inline constexpr int kArchiveFormat = 1;
inline constexpr int kSnapshotFormat = 2;  // files by hash, in a blob store
inline constexpr const char* kManifestEntry = "manifest.json";
inline constexpr const char* kDatabaseEntry = "database.sql.zst";
inline constexpr const char* kFilesPrefix = "wp-content";
inline constexpr const char* kFileListEntry = "files.jsonl";

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

// A line of files.jsonl.
struct ListedFile {
  std::string path;  // below wp-content/, '/'-separated
  unsigned mode = 0;
  bool directory = false;
  std::uint64_t size = 0;  // files only
  std::string sha256;      // files only: the blob's name
};

std::string file_list_line(const ListedFile& file);  // with its newline
// The whole list; an error names the line that is not one.
Result<std::vector<ListedFile>> parse_file_list(std::string_view text);

}  // namespace wpfleet::transfer
