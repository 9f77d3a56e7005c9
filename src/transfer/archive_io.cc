#include "transfer/archive_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "transfer/row_counter.h"
#include "util/archive.h"
#include "util/crypto.h"
#include "util/fs.h"

namespace wpfleet::transfer {

namespace fs = std::filesystem;

namespace {
std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct FileTotals {
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
};

// Regular files only: what an archive carries (symlinks are left out on purpose).
Result<FileTotals> regular_files(const fs::path& dir) {
  FileTotals totals;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    ++totals.count;
    totals.bytes += it->file_size(ec);
  }
  if (ec) return make_error("cannot read " + dir.string() + ": " + ec.message());
  return totals;
}

std::string host_of(const std::string& url) {
  const auto start = url.find("://");
  const std::string rest = start == std::string::npos ? url : url.substr(start + 3);
  return rest.substr(0, rest.find_first_of(":/"));
}

// `name` below wp-content/, refusing anything that would land outside it.
Result<fs::path> contained_path(const std::string& name) {
  const fs::path relative = fs::path(name).lexically_normal();
  if (relative.is_absolute() || relative.empty() || *relative.begin() == "..") {
    return make_error("the archive entry '" + name + "' points outside wp-content: refusing it");
  }
  return relative;
}

Status write_entry_file(const fs::path& path, unsigned mode, const auto& read_data) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        (mode & 0777) ? (mode & 0777) : 0644);
  if (fd < 0) return make_error("cannot create " + path.string() + ": " + std::strerror(errno));
  Status written = read_data([&](std::string_view piece) -> Status {
    while (!piece.empty()) {
      const ssize_t n = ::write(fd, piece.data(), piece.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return make_error("cannot write " + path.string() + ": " + std::strerror(errno));
      piece.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
  });
  ::close(fd);
  return written;
}
}  // namespace

std::vector<content::Replacement> url_rewrite(const std::string& from_url, const std::string& to_url) {
  std::vector<content::Replacement> pairs = {{from_url, to_url}};
  const std::string from_host = host_of(from_url), to_host = host_of(to_url);
  if (from_host != to_host) pairs.push_back({from_host, to_host});
  return pairs;
}

Result<Manifest> export_archive(TenantData& data, const TenantContext& ctx, const fs::path& out,
                                const ExportOptions& options, const std::string& wordpress_version,
                                const ProgressFn& progress) {
  const fs::path work = out.parent_path() / ("." + out.filename().string() + ".parts");
  TRY(remove_tree(work));
  TRY(make_dirs(work, 0700));
  Manifest manifest;
  manifest.tenant = ctx.tenant.id;
  manifest.env = ctx.env.name;
  manifest.source_url = ctx.home_url;
  manifest.wordpress_version = wordpress_version;
  manifest.only_tables = options.tables;
  manifest.has_files = options.files;
  manifest.created_at = unix_now();
  if (options.fingerprint) {
    TRY_ASSIGN(manifest.content_fingerprint, data.content_fingerprint(ctx));
  }

  progress("exporting the database of " + ctx.env.name + "/" + ctx.tenant.id + "…");
  const fs::path dump_file = work / kDatabaseEntry;
  {
    TRY_ASSIGN(ZstdFileWriter dump, ZstdFileWriter::create(dump_file));
    Sha256 hash;
    RowCounter rows;
    TRY(data.dump_database(ctx, options.tables, [&](std::string_view piece) -> Status {
      hash.update(piece);
      rows.feed(piece);
      manifest.database_bytes += piece.size();
      return dump.write(piece);
    }));
    TRY(dump.close());
    manifest.database_sha256 = hash.hex_digest();
    manifest.table_rows = rows.rows();
  }
  const fs::path files = data.files_dir(ctx);
  if (options.files) {
    TRY_ASSIGN(FileTotals totals, regular_files(files));
    manifest.file_count = totals.count;
    manifest.file_bytes = totals.bytes;
  }

  progress("writing " + out.string() + "…");
  const fs::path partial = work / "archive.tar";
  TRY_ASSIGN(TarWriter tar, TarWriter::create(partial));
  TRY(tar.add_bytes(kManifestEntry, manifest_json(manifest)));
  TRY(tar.add_file(kDatabaseEntry, dump_file));
  // Symlinks stay behind: on `local` they are links into the shared WordPress core,
  // which the target makes for itself; from an archive they could point anywhere.
  if (options.files) TRY(tar.add_tree(kFilesPrefix, files, /*skip_symlinks=*/true));
  TRY(tar.close());
  std::error_code ec;
  fs::rename(partial, out, ec);
  if (ec) return make_error("cannot write " + out.string() + ": " + ec.message());
  TRY(remove_tree(work));
  return manifest;
}

Result<Manifest> read_manifest(const fs::path& archive) {
  if (!fs::exists(archive)) return make_error("there is no archive " + archive.string());
  TRY_ASSIGN(auto json, TarReader::read_entry(archive, kManifestEntry));
  if (!json) return make_error(archive.string() + " is not a wpfleet archive: it has no manifest.json");
  return parse_manifest(*json);
}

namespace {
struct StagedDatabase {
  std::vector<content::ColumnCounts> replacements;
  std::map<std::string, std::uint64_t> rows;  // counted in the stream as it came
  std::string sha256;                         // of the stream as it came
};

// Loads SQL from `produce` into the staging database through the rewriter, then checks
// that every table holds as many rows as the stream carried.
Result<StagedDatabase> stage_database(TenantData& data, const TenantContext& ctx,
                                      const std::function<Status(const ByteSink&)>& produce,
                                      const std::vector<content::Replacement>& rewrite) {
  std::optional<content::Replacer> replacer;
  if (!rewrite.empty()) {
    TRY_ASSIGN(content::Replacer made, content::Replacer::create(rewrite));
    replacer.emplace(std::move(made));
  }
  std::optional<content::DumpRewriter> rewriter;
  if (replacer) rewriter.emplace(*replacer);
  TRY_ASSIGN(std::unique_ptr<SqlLoad> load, data.load_staging_database(ctx));

  Sha256 hash;
  RowCounter counter;
  std::string rewritten;
  TRY(produce([&](std::string_view sql) -> Status {
    hash.update(sql);
    counter.feed(sql);
    if (!rewriter) return load->write(sql);
    rewritten.clear();
    rewriter->feed(sql, rewritten);
    return load->write(rewritten);
  }));
  StagedDatabase staged;
  if (rewriter) {
    rewritten.clear();
    TRY(rewriter->finish(rewritten));
    TRY(load->write(rewritten));
    staged.replacements = rewriter->counts();
  }
  TRY(load->finish());
  staged.sha256 = hash.hex_digest();
  staged.rows = counter.rows();
  TRY_ASSIGN(auto loaded, data.staged_row_counts(ctx));
  for (const auto& [table, rows] : staged.rows) {
    const auto it = loaded.find(table);
    const std::uint64_t got = it == loaded.end() ? 0 : it->second;
    if (got != rows) {
      return make_error("table " + table + " has " + std::to_string(got) + " rows after loading; " +
                        "the dump had " + std::to_string(rows));
    }
  }
  return staged;
}

Status check_staged_files(TenantData& data, const TenantContext& ctx, const fs::path& root,
                          std::uint64_t count, std::uint64_t bytes) {
  TRY_ASSIGN(FileTotals totals, regular_files(root));
  if (totals.count != count || totals.bytes != bytes) {
    return make_error("the files arrived incomplete (" + std::to_string(totals.count) + " files, " +
                      std::to_string(totals.bytes) + " bytes; expected " + std::to_string(count) +
                      ", " + std::to_string(bytes) + ")");
  }
  return data.adopt_staged_files(ctx);
}

// Regular files and directories of `from` into `to` (symlinks stay behind, as in export).
Result<FileTotals> copy_files(const fs::path& from, const fs::path& to) {
  FileTotals totals;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(from, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path target = to / it->path().lexically_relative(from);
    if (it->is_symlink(ec)) continue;
    if (it->is_directory(ec)) {
      fs::create_directories(target, ec);
    } else if (it->is_regular_file(ec)) {
      fs::copy_file(it->path(), target, fs::copy_options::overwrite_existing, ec);
      ++totals.count;
      totals.bytes += it->file_size();
    }
    if (ec) return make_error("cannot copy " + it->path().string() + ": " + ec.message());
  }
  if (ec) return make_error("cannot read " + from.string() + ": " + ec.message());
  return totals;
}
}  // namespace

Result<StageReport> stage_archive(TenantData& data, const TenantContext& ctx, const fs::path& archive,
                                  const Manifest& manifest, const StageOptions& options,
                                  const ProgressFn& progress) {
  progress("loading " + archive.string() + " into the staging area of " + ctx.env.name + "/" +
           ctx.tenant.id + "…");
  bool saw_database = false;
  StageReport report;
  fs::path files_root;
  if (options.files && manifest.has_files) {
    TRY_ASSIGN(files_root, data.staging_files_dir(ctx));
  }
  // One pass over the archive: the database entry feeds the staging load, the files
  // land in the staging directory.
  auto stream_archive = [&](const ByteSink& sql_sink) -> Status {
    return TarReader::for_each(archive, [&](const TarReader::Entry& entry,
                                            const auto& read_data) -> Status {
      if (entry.name == kDatabaseEntry) {
        saw_database = true;
        ZstdDecoder decoder(sql_sink);
        TRY(read_data([&](std::string_view piece) { return decoder.feed(piece); }));
        return decoder.finish();
      }
      const std::string prefix = std::string(kFilesPrefix) + "/";
      if (files_root.empty() || entry.name.rfind(prefix, 0) != 0 || entry.name == prefix) return {};
      TRY_ASSIGN(fs::path relative, contained_path(entry.name.substr(prefix.size())));
      if (entry.is_symlink) {
        ++report.skipped_links;
        return {};
      }
      if (entry.is_directory) return make_dirs(files_root / relative, 0755);
      ++report.files;
      return write_entry_file(files_root / relative, entry.mode, read_data);
    });
  };
  TRY_ASSIGN(StagedDatabase staged, stage_database(data, ctx, stream_archive, options.rewrite));
  if (!saw_database) return make_error(archive.string() + " holds no database dump");
  if (staged.sha256 != manifest.database_sha256 || staged.rows != manifest.table_rows) {
    return make_error("the database dump in " + archive.string() +
                      " does not match its manifest: the archive is damaged");
  }
  report.replacements = std::move(staged.replacements);
  if (!files_root.empty()) {
    TRY(check_staged_files(data, ctx, files_root, manifest.file_count, manifest.file_bytes));
  }
  return report;
}

Result<StageReport> stage_from_tenant(TenantData& source_data, const TenantContext& source,
                                      TenantData& target_data, const TenantContext& target,
                                      const std::vector<std::string>& tables,
                                      const StageOptions& options, const ProgressFn& progress) {
  progress("copying " + source.env.name + "/" + source.tenant.id + " into the staging area of " +
           target.env.name + "/" + target.tenant.id + "…");
  auto dump = [&](const ByteSink& sink) { return source_data.dump_database(source, tables, sink); };
  TRY_ASSIGN(StagedDatabase staged, stage_database(target_data, target, dump, options.rewrite));
  StageReport report;
  report.replacements = std::move(staged.replacements);
  if (options.files) {
    TRY_ASSIGN(fs::path files_root, target_data.staging_files_dir(target));
    // What was read from the source must be what landed in staging.
    TRY_ASSIGN(FileTotals copied, copy_files(source_data.files_dir(source), files_root));
    report.files = copied.count;
    TRY(check_staged_files(target_data, target, files_root, copied.count, copied.bytes));
  }
  return report;
}

Result<Survey> survey_tenant(TenantData& data, const TenantContext& ctx,
                             const std::vector<std::string>& tables, bool files,
                             const std::vector<content::Replacement>& rewrite) {
  TRY_ASSIGN(content::Replacer replacer, content::Replacer::create(rewrite));
  content::DumpRewriter rewriter(replacer);
  RowCounter rows;
  std::string discarded;
  TRY(data.dump_database(ctx, tables, [&](std::string_view sql) -> Status {
    rows.feed(sql);
    discarded.clear();
    rewriter.feed(sql, discarded);
    return {};
  }));
  discarded.clear();
  TRY(rewriter.finish(discarded));
  Survey survey{rows.rows(), 0, rewriter.counts()};
  if (files) {
    TRY_ASSIGN(FileTotals totals, regular_files(data.files_dir(ctx)));
    survey.files = totals.count;
  }
  return survey;
}

}  // namespace wpfleet::transfer
