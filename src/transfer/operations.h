// Content operations on tenants, each with an id, a journal entry (`wpfleet history`)
// and a snapshot of the target taken first, so that any of them can be undone with
// `wpfleet rollback OP_ID`:
//
//   import   an archive into a tenant (provisioning it if needed), URLs rewritten to
//            the target's
//   promote  one tenant's content from one environment to another: snapshot target ->
//            export source -> rewrite -> stage -> verify -> swap -> hooks -> verify; any
//            failure leaves the target as it was
//
// Each operation's step is in its row as it advances (snapshot, staging, swapping,
// settling, settled, done), so that one a crash interrupted is finished or undone by
// the next command on its tenant (finish_interrupted).
//   restore  a snapshot
//
// New content reaches the live site in one atomic swap, and only after it verified
// (checksums and row counts); after the swap, the site must answer 200 and the
// environment's hooks must succeed, or the previous content is swapped back.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "state/store.h"
#include "transfer/archive_io.h"
#include "transfer/snapshot_space.h"

namespace wpfleet::transfer {

struct PromoteOptions {
  bool dry_run = false;
  std::vector<std::string> tables;  // only these tables (empty = the whole database)
  bool files = true;
  bool approve = false;  // required to promote into a production environment
  bool force = false;    // promote into production even if it changed since its last snapshot
  unsigned streams = default_streams();  // see StageOptions::streams
};

// What deleting a tenant did with its snapshots.
struct SnapshotDisposal {
  std::size_t deleted = 0;
  std::int64_t freed_bytes = 0;  // the disk the environment's snapshots take less
  std::optional<SnapshotRecord> kept;  // production only: the newest, kept until deleted by hand
};

// What `snapshot delete` did.
struct SnapshotDeletion {
  SnapshotRecord snapshot;
  std::uint64_t freed_bytes = 0;  // its archive and the files no other snapshot had
};

// "deleted 3 snapshots of dev/beta (1.1 GB freed)", and where the kept one is.
std::string describe(const SnapshotDisposal& disposal, const std::string& env,
                     const std::string& tenant);

// A live search-replace: the operation (for rollback) and what the rewrite replaced and
// left alone, per column.
struct SearchReplaceOutcome {
  OperationRecord operation;
  std::vector<content::ColumnCounts> replacements;
};

class Operations {
 public:
  Operations(const Fleet& fleet, Session& session, Engine& engine, ProgressFn progress);

  Result<Manifest> export_tenant(const std::string& env, const std::string& tenant,
                                 const std::filesystem::path& out, const ExportOptions& options);
  Result<OperationRecord> import_archive(const std::filesystem::path& archive,
                                         const std::string& env, const std::string& tenant);
  Result<OperationRecord> promote(const std::string& tenant, const std::string& from,
                                  const std::string& to, const PromoteOptions& options);
  Result<Survey> promote_dry_run(const std::string& tenant, const std::string& from,
                                 const std::string& to, const PromoteOptions& options);
  // Rewrites a live tenant's database (the tables and columns `options` chooses): its
  // snapshot is taken, loaded through the rewriter into staging, verified and swapped
  // in. A dry run only counts.
  Result<SearchReplaceOutcome> search_replace(const std::string& env, const std::string& tenant,
                                              const std::vector<content::Replacement>& pairs,
                                              const content::DumpOptions& options);
  Result<Survey> search_replace_dry_run(const std::string& env, const std::string& tenant,
                                        const std::vector<content::Replacement>& pairs,
                                        const content::DumpOptions& options);
  Result<SnapshotRecord> create_snapshot(const std::string& env, const std::string& tenant,
                                         const std::string& reason);
  // The snapshot kept when a production tenant is deleted, also when it has already
  // left the fleet file (apply --prune).
  Result<SnapshotRecord> snapshot_before_delete(const std::string& env, const std::string& tenant);
  Result<OperationRecord> restore_snapshot(const std::string& env, const std::string& tenant,
                                           const std::string& snapshot_id);
  Result<OperationRecord> rollback(const std::string& operation_id);

  // Moves a local tenant to its environment's core (core_update.h): the operation as it
  // ended, "succeeded", or "rolled back" (back on its former core with the snapshot's
  // content) or "failed" (before anything changed) with the reason in its error, or still
  // "running" when putting it back failed too (the next command undoes it). An error
  // only when no operation could be recorded.
  Result<OperationRecord> update_core(const std::string& env, const std::string& tenant);

  // Deletes one snapshot and the files only it had, refusing one an unfinished
  // operation needs. Whether it may be deleted at all (production) is the caller's.
  Result<SnapshotDeletion> delete_snapshot(const SnapshotRecord& snapshot);
  // The snapshots snapshot_budget made room by deleting since this object was made,
  // oldest first.
  const std::vector<SnapshotRecord>& deleted_by_budget() const { return deleted_by_budget_; }

  // Finishes or undoes the content operations a crash left "running" on the tenants
  // in `scope`: one that had settled is finished; one interrupted after its
  // swap began gets its previous content back; earlier, only staging is thrown away.
  // Needs the state lock (no other command can be running them).
  Status finish_interrupted(const Scope& scope);

  // After its tenant was deleted: its snapshots go too (they can be large), except in a
  // production environment, where the newest is kept as the last copy of its content
  // until someone deletes it.
  Result<SnapshotDisposal> dispose_snapshots(const std::string& env, const std::string& tenant);

 private:
  struct Replacement;  // what replace_content needs to know
  using Stager = std::function<Result<StageReport>(const StageOptions&)>;
  Result<OperationRecord> replace_content(OperationRecord op, const TenantContext& ctx,
                                          const Stager& stage, const Replacement& replacement);
  // An operation of `kind` that replaces the tenant's content with an archive's (URLs
  // rewritten to the tenant's), after a snapshot.
  Result<OperationRecord> load_archive(const std::string& kind, const std::string& source_env,
                                       const TenantContext& ctx, const std::filesystem::path& archive,
                                       const Manifest& manifest, bool run_hooks);
  // Stages an archive (checking it is a wpfleet site's) and replaces the content with it.
  Result<OperationRecord> replace_from_archive(OperationRecord op, const TenantContext& ctx,
                                               const std::filesystem::path& archive,
                                               const Replacement& replacement);
  void record_failure(OperationRecord& op, const std::string& error);
  // Records the step the operation starts, so that after a crash the next command
  // knows how far it got.
  void advance(OperationRecord& op, const std::string& step);
  Result<OperationRecord> fail_operation(OperationRecord& op, const TenantContext& ctx,
                                         const Error& error, bool touched);
  Status settle(const TenantContext& ctx, TenantData& data, bool hooks);
  Result<OperationRecord> finish(OperationRecord op, const TenantContext& ctx, TenantData& data);
  Status put_previous_back(const TenantContext& ctx, TenantData& data, const OperationRecord& op);
  Status finish_interrupted(OperationRecord& op);
  Status check_production_unchanged(const TenantContext& ctx, TenantData& data);
  // Core moves (core_update.cc). run_core_move records `op`, takes its snapshot, runs
  // `move` (which may advance it) and, when that fails, puts the tenant back as it found it.
  Result<OperationRecord> run_core_move(OperationRecord op, const TenantContext& ctx,
                                        const std::function<Status(OperationRecord&)>& move);
  Status check_core_moved(const TenantContext& ctx);
  // The tenant converged on `core` with the content of snapshot `snapshot_id`.
  Status put_on_core(const TenantContext& ctx, const std::string& core,
                     const std::string& snapshot_id);
  Status finish_interrupted_core_move(OperationRecord& op);
  Result<OperationRecord> rollback_core_move(OperationRecord original);
  // Takes the snapshot `op` goes back to and records it as op's (snapshot_id).
  Status snapshot_before(const TenantContext& ctx, OperationRecord& op);
  Status prune_snapshots(const TenantContext& ctx);
  // `needed_by`, when given, is the operation that goes back to the snapshot: it names
  // it in the store as soon as the snapshot is recorded.
  Result<SnapshotRecord> take_snapshot(const TenantContext& ctx, const std::string& reason,
                                       OperationRecord* needed_by);
  Result<SnapshotDisposal> delete_snapshots(const std::string& env, const std::string& tenant,
                                            std::size_t keep);
  // The helpers below that delete from the snapshot store (budget, retention, garbage)
  // run with store_mutex_ held exclusively.
  // After a new snapshot of the environment: its oldest go until the rest fit in
  // snapshot_budget, sparing `taken`, those unfinished operations need and each
  // production tenant's newest. `current` gets the contents of the snapshots left, when
  // it read them.
  Status enforce_budget(const Environment& env, const std::string& taken,
                        std::optional<std::vector<SnapshotContent>>& current);
  // The ids of snapshots unfinished operations of `env` need, each with the operation.
  Result<std::map<std::string, OperationRecord>> needed_snapshots(const std::string& env);
  // What retention and the budget must leave: those snapshots, and those being restored.
  Result<std::set<std::string>> spared_snapshots(const std::string& env);
  // Keeps a snapshot from retention and the budget while it is alive: the snapshot a
  // restore takes first would otherwise delete the very one being restored (the oldest
  // kept, say), which no unfinished operation names.
  class RestoringSnapshot {
   public:
    RestoringSnapshot(Operations& operations, std::string snapshot_id);
    ~RestoringSnapshot();
    RestoringSnapshot(const RestoringSnapshot&) = delete;
    RestoringSnapshot& operator=(const RestoringSnapshot&) = delete;

   private:
    Operations& operations_;
    std::string snapshot_id_;
  };
  Status remove_snapshot(const SnapshotRecord& snapshot);
  // Removes what interrupted snapshots of `env` left (partial archives, archives never
  // recorded) and, when a sweep is owed (BlobStore::owe_sweep), the blobs no snapshot
  // lists. `current`, when given, is what every snapshot recorded now lists (read once by
  // the caller). Under the state lock.
  Status collect_garbage(const std::string& env,
                         const std::vector<SnapshotContent>* current = nullptr);
  BlobStore blob_store(const std::string& env) const;
  std::filesystem::path snapshot_dir(const std::string& env) const;
  std::string wordpress_version(const std::string& env, const std::string& tenant) const;

  const Fleet& fleet_;
  Session& session_;
  Engine& engine_;
  ProgressFn progress_;
  std::vector<SnapshotRecord> deleted_by_budget_;
  // Snapshots are written while it is held shared (promote --all takes several at once),
  // and it is held exclusively to delete from the store: garbage collection must never
  // see the blobs or work directory of a snapshot not yet recorded.
  std::shared_mutex store_mutex_;
  std::multiset<std::string> restoring_;  // by RestoringSnapshot, under store_mutex_
};

std::string new_operation_id(const std::string& prefix);

}  // namespace wpfleet::transfer
