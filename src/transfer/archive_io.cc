#include "transfer/archive_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "transfer/row_counter.h"
#include "util/archive.h"
#include "util/crypto.h"
#include "util/fs.h"
#include "util/parallel_dump.h"
#include "util/parallel_load.h"
#include "util/safe_tree.h"
#include "util/unix_time.h"

namespace wpfleet::transfer {

namespace fs = std::filesystem;

namespace {
// Regular files only: what an archive carries (symlinks are left out on purpose).
void count_regular(const TreeEntry& entry, TreeTotals& totals) {
  if (!S_ISREG(entry.st.st_mode)) return;
  ++totals.files;
  totals.bytes += static_cast<std::uint64_t>(entry.st.st_size);
}

Result<TreeTotals> live_regular_files(TenantData& data, const TenantContext& ctx) {
  TreeTotals totals;
  TRY(data.read_files(ctx, [&](const TreeEntry& entry) -> Status {
    count_regular(entry, totals);
    return {};
  }));
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

// A file of the archive into the staging directory `root` (root's alone while it fills).
Status write_entry_file(int root, const fs::path& relative, unsigned mode, const auto& read_data) {
  TRY(make_dirs_beneath(root, relative.parent_path(), 0755));
  TRY_ASSIGN(UniqueFd file, create_file_beneath(root, relative, (mode & 0777) ? (mode & 0777) : 0644));
  return read_data([&](std::string_view piece) -> Status {
    if (Status written = write_all(file.get(), piece); !written) {
      return make_error("cannot write " + relative.string() + ": " + written.error().message);
    }
    return {};
  });
}

// A snapshot's entry: a directory is listed; a regular file goes into the blob store
// (from the descriptor the walk opened and checked) and is listed by its hash.
Status list_entry(const TreeEntry& entry, BlobStore& blobs, Manifest& manifest, std::string& list) {
  ListedFile listed{entry.path, static_cast<unsigned>(entry.st.st_mode & 07777), false, 0, ""};
  if (S_ISDIR(entry.st.st_mode)) {
    listed.directory = true;
  } else if (S_ISREG(entry.st.st_mode)) {
    TRY_ASSIGN(StoredBlob blob, blobs.put(entry.fd, static_cast<std::uint64_t>(entry.st.st_size)));
    listed.size = blob.size;
    listed.sha256 = blob.sha256;
    ++manifest.file_count;
    manifest.file_bytes += blob.size;
  } else {
    return {};
  }
  list += file_list_line(listed);
  return {};
}
}  // namespace

unsigned default_streams() {
  return std::clamp(2 * std::thread::hardware_concurrency(), 2U, 8U);
}

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
  std::string file_list;
  if (options.files && options.blobs) {
    progress("storing the files of " + ctx.env.name + "/" + ctx.tenant.id + " by content…");
    TRY(data.read_files(ctx, [&](const TreeEntry& entry) -> Status {
      return list_entry(entry, *options.blobs, manifest, file_list);
    }));
    TRY(options.blobs->sync());
    manifest.format = kSnapshotFormat;
  } else if (options.files) {
    TRY_ASSIGN(TreeTotals totals, live_regular_files(data, ctx));
    manifest.file_count = totals.files;
    manifest.file_bytes = totals.bytes;
  }

  progress("writing " + out.string() + "…");
  const fs::path partial = work / "archive.tar";
  TRY_ASSIGN(TarWriter tar, TarWriter::create(partial));
  TRY(tar.add_bytes(kManifestEntry, manifest_json(manifest)));
  // Before the dump, so that reading the list stops early (read_file_list).
  if (manifest.format == kSnapshotFormat) TRY(tar.add_bytes(kFileListEntry, file_list));
  TRY(tar.add_file(kDatabaseEntry, dump_file));
  // Symlinks stay behind: on `local` they are links into the shared WordPress core,
  // which the target makes for itself; from an archive they could point anywhere.
  if (options.files && !options.blobs) {
    TRY(data.read_files(ctx, [&](const TreeEntry& entry) -> Status {
      const std::string name = std::string(kFilesPrefix) + "/" + entry.path;
      if (S_ISDIR(entry.st.st_mode)) return tar.add_directory(name, entry.st);
      if (S_ISREG(entry.st.st_mode)) return tar.add_file(name, entry.fd, entry.st);
      return {};
    }));
  }
  TRY(tar.close());
  // Whole before it gets its name: a snapshot exists once its archive does.
  const UniqueFd written(::open(partial.c_str(), O_RDONLY | O_CLOEXEC));
  if (!written.valid() || ::fsync(written.get()) != 0) {
    return make_error("cannot write " + out.string() + ": " + std::strerror(errno));
  }
  std::error_code ec;
  fs::rename(partial, out, ec);
  if (ec) return make_error("cannot write " + out.string() + ": " + ec.message());
  // Its name on disk too, before the caller records it anywhere.
  const UniqueFd parent(::open(out.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent.valid() || ::fsync(parent.get()) != 0) {
    return make_error("cannot write " + out.string() + ": " + std::strerror(errno));
  }
  TRY(remove_tree(work));
  return manifest;
}

Result<std::vector<ListedFile>> read_file_list(const fs::path& archive) {
  TRY_ASSIGN(auto text, TarReader::read_entry(archive, kFileListEntry));
  if (!text) return std::vector<ListedFile>();
  return parse_file_list(*text);
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

// Every table of staging must hold as many rows as the dump carried.
Status check_staged_rows(TenantData& data, const TenantContext& ctx,
                         const std::map<std::string, std::uint64_t>& dumped) {
  TRY_ASSIGN(auto loaded, data.staged_row_counts(ctx));
  for (const auto& [table, rows] : dumped) {
    const auto it = loaded.find(table);
    const std::uint64_t got = it == loaded.end() ? 0 : it->second;
    if (got != rows) {
      return make_error("table " + table + " has " + std::to_string(got) + " rows after loading; " +
                        "the dump had " + std::to_string(rows));
    }
  }
  return {};
}

// Loads SQL from `produce` into the staging database through the rewriter, then checks
// that every table holds as many rows as the stream carried.
Result<StagedDatabase> stage_database(TenantData& data, const TenantContext& ctx,
                                      const std::function<Status(const ByteSink&)>& produce,
                                      const std::vector<content::Replacement>& rewrite,
                                      const content::DumpOptions& rewrite_options) {
  std::optional<content::Replacer> replacer;
  if (!rewrite.empty()) {
    TRY_ASSIGN(content::Replacer made, content::Replacer::create(rewrite));
    replacer.emplace(std::move(made));
  }
  std::optional<content::DumpRewriter> rewriter;
  if (replacer) rewriter.emplace(*replacer, rewrite_options);
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
  TRY(check_staged_rows(data, ctx, staged.rows));
  return staged;
}

// One stream of a parallel copy into staging: the schema's statements through a dump
// rewriter (their defaults and comments, as in a dump), each row's string values through
// a value rewriter, as a dump rewriter rewrites the literals of a dump's INSERTs.
class StreamIntoStaging final : public DumpSink {
 public:
  StreamIntoStaging(LoadConnection& load, const content::Replacer* replacer)
      : load_(load), replacer_(replacer) {
    if (replacer_) {
      statements_.emplace(*replacer_);
      values_.emplace(*replacer_);
    }
  }

  Status statement(std::string_view sql) override {
    if (!statements_) return load_.execute(sql);
    rewritten_.clear();
    statements_->feed(sql, rewritten_);
    return load_.execute(rewritten_);
  }

  Status row(const DumpColumns& columns, const RawRow& row) override {
    if (&columns.table != table_) {
      TRY(load_.start_rows(columns.table, columns.columns));
      table_ = &columns.table;
    }
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (!row[i]) {
        load_.add_null();
      } else if (values_ && columns.kinds[i] == ValueKind::String && replacer_->may_occur_in(*row[i])) {
        record(columns.table, columns.columns[i], values_->rewrite(*row[i], load_.add()));
      } else {
        load_.add().append(*row[i]);
      }
    }
    return load_.end_row();
  }

  Status end_rows() override {
    table_ = nullptr;
    return load_.flush();
  }

  // What was replaced, per table and column; the statements' literals under no table.
  Result<std::vector<content::ColumnCounts>> finish() {
    if (statements_) {
      rewritten_.clear();
      TRY(statements_->finish(rewritten_));  // every statement was whole: nothing is left
      for (const auto& counts : statements_->counts()) add(counts);
    }
    std::vector<content::ColumnCounts> out;
    for (auto& [key, counts] : counts_) out.push_back(counts);
    return out;
  }

  // Adds another stream's counts to these.
  void add(const content::ColumnCounts& counts) {
    auto [it, added] = counts_.try_emplace({counts.table, counts.column}, counts);
    if (added) return;
    it->second.replacements += counts.replacements;
    it->second.malformed += counts.malformed;
    it->second.left_alone += counts.left_alone;
    it->second.keys_kept += counts.keys_kept;
  }

 private:
  void record(const std::string& table, const std::string& column, const content::ValueCounts& counts) {
    if (!counts.replacements && !counts.malformed && !counts.left_alone && !counts.keys_kept) return;
    add(content::ColumnCounts{table, column, counts.replacements, counts.malformed,
                              counts.left_alone, counts.keys_kept});
  }

  LoadConnection& load_;
  const content::Replacer* replacer_;
  std::optional<content::DumpRewriter> statements_;
  std::optional<content::ValueRewriter> values_;
  std::string rewritten_;
  const std::string* table_ = nullptr;  // whose rows the load has started
  std::map<std::pair<std::string, std::string>, content::ColumnCounts> counts_;
};

// stage_database for a live source read in several streams at once (util/parallel_dump.h)
// and loaded in as many (util/parallel_load.h); nothing (and nothing done) when a
// backend offers no endpoints for it or the database holds what only the single stream
// carries, so that the caller takes that.
Result<std::optional<StagedDatabase>> stage_database_in_streams(
    TenantData& source_data, const TenantContext& source, TenantData& target_data,
    const TenantContext& target, const std::vector<std::string>& tables, const StageOptions& options,
    const ProgressFn& progress) {
  TRY_ASSIGN(std::optional<MysqlEndpoint> from, source_data.database_endpoint(source));
  if (!from) return std::optional<StagedDatabase>();
  TRY_ASSIGN(auto dump, ParallelDump::open(*from, ParallelDumpOptions{options.streams, tables}));
  if (!dump->unsupported().empty()) {
    progress("copying the database in one stream: " + dump->unsupported());
    return std::optional<StagedDatabase>();
  }
  TRY_ASSIGN(std::unique_ptr<StagingDatabase> staging, target_data.open_staging_database(target));
  if (!staging) return std::optional<StagedDatabase>();
  TRY_ASSIGN(ParallelLoad load, ParallelLoad::open(staging->endpoint(), options.streams));
  progress("copying the database in " + std::to_string(options.streams) +
           " streams from one snapshot…");

  std::optional<content::Replacer> replacer;
  if (!options.rewrite.empty()) {
    TRY_ASSIGN(content::Replacer made, content::Replacer::create(options.rewrite));
    replacer.emplace(std::move(made));
  }
  std::vector<std::unique_ptr<StreamIntoStaging>> streams;
  std::vector<DumpSink*> sinks;
  for (unsigned i = 0; i < options.streams; ++i) {
    streams.push_back(std::make_unique<StreamIntoStaging>(load.connection(i),
                                                          replacer ? &*replacer : nullptr));
    sinks.push_back(streams.back().get());
  }
  StagedDatabase staged;
  TRY_ASSIGN(staged.rows, dump->run(sinks));
  for (std::size_t i = 1; i < streams.size(); ++i) {
    TRY_ASSIGN(auto counts, streams[i]->finish());
    for (const auto& c : counts) streams[0]->add(c);
  }
  TRY_ASSIGN(staged.replacements, streams[0]->finish());
  TRY(staging->finish());
  TRY(check_staged_rows(target_data, target, staged.rows));
  return std::optional<StagedDatabase>(std::move(staged));
}

Status check_staged_files(TenantData& data, const TenantContext& ctx, int root,
                          std::uint64_t count, std::uint64_t bytes) {
  TreeTotals totals;
  TRY(walk_tree(root, [&](const TreeEntry& entry) -> Status {
    count_regular(entry, totals);
    return {};
  }));
  if (totals.files != count || totals.bytes != bytes) {
    return make_error("the files arrived incomplete (" + std::to_string(totals.files) + " files, " +
                      std::to_string(totals.bytes) + " bytes; expected " + std::to_string(count) +
                      ", " + std::to_string(bytes) + ")");
  }
  return data.adopt_staged_files(ctx);
}

// A snapshot's listed entry into the staging directory: a file is copied out of the blob
// store (never linked: the tenant gets the staged files, and would get the blob).
Status stage_listed(int root, const ListedFile& file, const BlobStore& blobs, StageReport& report) {
  TRY_ASSIGN(fs::path relative, contained_path(file.path));
  if (file.directory) {
    TRY(make_dirs_beneath(root, relative, 0755));
    return {};
  }
  ++report.files;
  Status staged = write_entry_file(root, relative, file.mode, [&](const auto& sink) {
    return blobs.read(file.sha256, sink);
  });
  if (!staged) return make_error("cannot restore " + file.path + ": " + staged.error().message);
  return {};
}

// The database entry of `archive` must be what its manifest describes (checksum and
// rows) before a single statement of it runs: a damaged or altered dump is refused
// while nothing has been touched.
Status check_dump(const fs::path& archive, const Manifest& manifest) {
  Sha256 hash;
  RowCounter rows;
  bool found = false;
  Status read = TarReader::for_each(archive, [&](const TarReader::Entry& entry, const auto& read_data) -> Status {
    if (entry.name != kDatabaseEntry) return {};
    found = true;
    ZstdDecoder decoder([&](std::string_view sql) -> Status {
      hash.update(sql);
      rows.feed(sql);
      return {};
    });
    TRY(read_data([&](std::string_view piece) { return decoder.feed(piece); }));
    return decoder.finish();
  });
  TRY(read);
  if (!found) return make_error(archive.string() + " holds no database dump: the archive is damaged");
  if (hash.hex_digest() != manifest.database_sha256 || rows.rows() != manifest.table_rows) {
    return make_error("the database dump in " + archive.string() +
                      " does not match its manifest: the archive is damaged");
  }
  return {};
}
}  // namespace

Result<StageReport> stage_archive(TenantData& data, const TenantContext& ctx, const fs::path& archive,
                                  const Manifest& manifest, const StageOptions& options,
                                  const ProgressFn& progress) {
  progress("loading " + archive.string() + " into the staging area of " + ctx.env.name + "/" +
           ctx.tenant.id + "…");
  TRY(check_dump(archive, manifest));
  StageReport report;
  UniqueFd files_root;
  const bool by_hash = manifest.format == kSnapshotFormat;
  if (options.files && manifest.has_files) {
    if (by_hash && !options.blobs) {
      return make_error(archive.string() + " is a snapshot whose files are kept in the state "
                        "directory of the wpfleet that took it; restore it there, or export the "
                        "tenant (`wpfleet export`) to move its content");
    }
    TRY_ASSIGN(files_root, data.staging_files(ctx));
  }
  // One pass over the archive: the database entry feeds the staging load, the files
  // land in the staging directory.
  auto stream_archive = [&](const ByteSink& sql_sink) -> Status {
    return TarReader::for_each(archive, [&](const TarReader::Entry& entry,
                                            const auto& read_data) -> Status {
      if (entry.name == kDatabaseEntry) {
        ZstdDecoder decoder(sql_sink);
        TRY(read_data([&](std::string_view piece) { return decoder.feed(piece); }));
        return decoder.finish();
      }
      if (entry.name == kFileListEntry && files_root.valid() && by_hash) {
        std::string text;
        TRY(read_data([&](std::string_view piece) -> Status {
          text.append(piece);
          return {};
        }));
        TRY_ASSIGN(auto files, parse_file_list(text));
        for (const ListedFile& file : files) TRY(stage_listed(files_root.get(), file, *options.blobs, report));
        return {};
      }
      const std::string prefix = std::string(kFilesPrefix) + "/";
      if (!files_root.valid() || by_hash || entry.name.rfind(prefix, 0) != 0 || entry.name == prefix) return {};
      TRY_ASSIGN(fs::path relative, contained_path(entry.name.substr(prefix.size())));
      if (entry.is_symlink) {
        ++report.skipped_links;
        return {};
      }
      if (entry.is_directory) {
        TRY(make_dirs_beneath(files_root.get(), relative, 0755));
        return {};
      }
      ++report.files;
      return write_entry_file(files_root.get(), relative, entry.mode, read_data);
    });
  };
  TRY_ASSIGN(StagedDatabase staged, stage_database(data, ctx, stream_archive, options.rewrite,
                                                   options.rewrite_options));
  // Checked before loading; again here in case the archive changed in between.
  if (staged.sha256 != manifest.database_sha256 || staged.rows != manifest.table_rows) {
    return make_error("the database dump in " + archive.string() +
                      " does not match its manifest: the archive is damaged");
  }
  report.replacements = std::move(staged.replacements);
  if (files_root.valid()) {
    TRY(check_staged_files(data, ctx, files_root.get(), manifest.file_count, manifest.file_bytes));
  }
  return report;
}

Result<StageReport> stage_from_tenant(TenantData& source_data, const TenantContext& source,
                                      TenantData& target_data, const TenantContext& target,
                                      const std::vector<std::string>& tables,
                                      const StageOptions& options, const ProgressFn& progress) {
  progress("copying " + source.env.name + "/" + source.tenant.id + " into the staging area of " +
           target.env.name + "/" + target.tenant.id + "…");
  std::optional<StagedDatabase> staged;
  // The streams rewrite every value and count what changed: choosing tables or columns,
  // or listing every column, is the dump rewriter's, in one stream.
  const content::DumpOptions& scope = options.rewrite_options;
  const bool every_value = scope.tables.empty() && scope.include_columns.empty() &&
                           scope.skip_columns.empty() && !scope.every_column;
  if (options.streams > 1 && every_value) {
    TRY_ASSIGN(staged, stage_database_in_streams(source_data, source, target_data, target, tables,
                                                 options, progress));
  }
  if (!staged) {
    auto dump = [&](const ByteSink& sink) { return source_data.dump_database(source, tables, sink); };
    TRY_ASSIGN(staged, stage_database(target_data, target, dump, options.rewrite,
                                      options.rewrite_options));
  }
  StageReport report;
  report.replacements = std::move(staged->replacements);
  if (options.files) {
    TRY_ASSIGN(UniqueFd files_root, target_data.staging_files(target));
    // Every file is copied from the descriptor the walk opened and checked: a name the
    // source's PHP swaps for a symlink meanwhile is never followed.
    TreeTotals copied;
    TRY(source_data.read_files(source, [&](const TreeEntry& entry) {
      return copy_entry(entry, files_root.get(), copied);
    }));
    report.files = copied.files;
    // What was read from the source must be what landed in staging.
    TRY(check_staged_files(target_data, target, files_root.get(), copied.files, copied.bytes));
  }
  return report;
}

Result<Survey> survey_tenant(TenantData& data, const TenantContext& ctx,
                             const std::vector<std::string>& tables, bool files,
                             const std::vector<content::Replacement>& rewrite,
                             const content::DumpOptions& rewrite_options) {
  TRY_ASSIGN(content::Replacer replacer, content::Replacer::create(rewrite));
  content::DumpRewriter rewriter(replacer, rewrite_options);
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
    TRY_ASSIGN(TreeTotals totals, live_regular_files(data, ctx));
    survey.files = totals.files;
  }
  return survey;
}

}  // namespace wpfleet::transfer
