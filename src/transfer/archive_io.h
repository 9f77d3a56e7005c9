// Writing a tenant's content to an archive, and loading an archive into a tenant's
// staging area (rewriting its URLs on the way), with every check that it arrived whole.
// Nothing here touches live content: the caller swaps staging in once it verified.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "backends/tenant_data.h"
#include "content/dump_rewriter.h"
#include "transfer/blob_store.h"
#include "transfer/manifest.h"

namespace wpfleet::transfer {

using ProgressFn = std::function<void(const std::string&)>;

struct ExportOptions {
  std::vector<std::string> tables;  // empty = all
  bool files = true;
  // Record the content fingerprint (a full read of every table): wanted for snapshots
  // of production, where it detects edits made since.
  bool fingerprint = false;
  // Where the files go by content (a snapshot, format 2: the archive lists them); none
  // puts them in the archive itself (an export, self-contained).
  BlobStore* blobs = nullptr;
};

// Writes the archive to `out` (atomically: a crash leaves no half archive there).
Result<Manifest> export_archive(TenantData& data, const TenantContext& ctx,
                                const std::filesystem::path& out, const ExportOptions& options,
                                const std::string& wordpress_version, const ProgressFn& progress);

Result<Manifest> read_manifest(const std::filesystem::path& archive);
// The files a snapshot (format 2) lists; none for an archive that holds its files.
Result<std::vector<ListedFile>> read_file_list(const std::filesystem::path& archive);

// Streams for copying a database: two per CPU, 2 to 8. Each stream alternates between
// reading rows and waiting for the server to insert them, so two keep a core busy.
unsigned default_streams();

struct StageOptions {
  bool files = true;
  // URL pairs to rewrite in the database; empty = load it as it is.
  std::vector<content::Replacement> rewrite;
  content::DumpOptions rewrite_options = {};  // the tables and columns to rewrite
  // Connections that copy a live tenant's database at once (stage_from_tenant): more
  // than one reads one consistent snapshot in that many streams and loads it in as
  // many, where both backends offer it; one is mariadb-dump | mariadb.
  unsigned streams = 1;
  // Where a snapshot's (format 2) files are; an archive of format 1 needs none.
  const BlobStore* blobs = nullptr;
};

struct StageReport {
  std::vector<content::ColumnCounts> replacements;
  std::uint64_t files = 0;
  std::uint64_t skipped_links = 0;  // symlinks are never restored from an archive
};

// Loads the archive's database (through the rewriter) and files into the tenant's
// staging area and checks them against the manifest: the dump's checksum, every
// table's row count, the number and size of files.
Result<StageReport> stage_archive(TenantData& data, const TenantContext& ctx,
                                  const std::filesystem::path& archive, const Manifest& manifest,
                                  const StageOptions& options, const ProgressFn& progress);

// Streams a live tenant's content straight into another's staging area (database
// through the rewriter, files copied), with the same checks, and without an archive in
// between: the dump and the load run side by side, as in `mariadb-dump | mariadb`, or
// in several streams at once (StageOptions::streams), each through its own rewriter.
Result<StageReport> stage_from_tenant(TenantData& source_data, const TenantContext& source,
                                      TenantData& target_data, const TenantContext& target,
                                      const std::vector<std::string>& tables,
                                      const StageOptions& options, const ProgressFn& progress);

// What moving a live tenant's content would carry and what rewriting its database with
// `rewrite` would change: its dump streamed through the rewriter into nothing, its
// files counted. Writes nothing anywhere.
struct Survey {
  std::map<std::string, std::uint64_t> table_rows;
  std::uint64_t files = 0;
  std::vector<content::ColumnCounts> replacements;
};
Result<Survey> survey_tenant(TenantData& data, const TenantContext& ctx,
                             const std::vector<std::string>& tables, bool files,
                             const std::vector<content::Replacement>& rewrite,
                             const content::DumpOptions& rewrite_options = {});

// The URL pairs that move a site from `from_url` to `to_url`: the URL in all its
// encodings, and the bare host (as in e-mail addresses and host:port strings).
std::vector<content::Replacement> url_rewrite(const std::string& from_url, const std::string& to_url);

}  // namespace wpfleet::transfer
