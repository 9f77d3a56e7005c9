// Content operations on tenants, each with an id, a journal entry (`wpfleet history`)
// and a snapshot of the target taken first, so that any of them can be undone with
// `wpfleet rollback OP_ID`:
//
//   import   an archive into a tenant (provisioning it if needed), URLs rewritten to
//            the target's
//   promote  one tenant's content from one environment to another: snapshot target ->
//            export source -> rewrite -> stage -> verify -> swap -> hooks -> verify; any
//            failure leaves the target as it was
//   restore  a snapshot
//
// New content reaches the live site in one atomic swap, and only after it verified
// (checksums and row counts); after the swap, the site must answer 200 and the
// environment's hooks must succeed, or the previous content is swapped back.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "state/store.h"
#include "transfer/archive_io.h"

namespace wpfleet::transfer {

struct PromoteOptions {
  bool dry_run = false;
  std::vector<std::string> tables;  // only these tables (empty = the whole database)
  bool files = true;
  bool approve = false;  // required to promote into a production environment
  bool force = false;    // promote into production even if it changed since its last snapshot
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
  // Rewrites a live tenant's database: its snapshot is taken, loaded through the
  // rewriter into staging, verified and swapped in. A dry run only counts.
  Result<OperationRecord> search_replace(const std::string& env, const std::string& tenant,
                                         const std::vector<content::Replacement>& pairs);
  Result<Survey> search_replace_dry_run(
      const std::string& env, const std::string& tenant,
      const std::vector<content::Replacement>& pairs);
  Result<SnapshotRecord> create_snapshot(const std::string& env, const std::string& tenant,
                                         const std::string& reason);
  Result<OperationRecord> restore_snapshot(const std::string& env, const std::string& tenant,
                                           const std::string& snapshot_id);
  Result<OperationRecord> rollback(const std::string& operation_id);

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
  Status check_production_unchanged(const TenantContext& ctx, TenantData& data);
  Result<std::string> snapshot_before(const TenantContext& ctx, const std::string& op_id);
  Status prune_snapshots(const TenantContext& ctx);
  std::string wordpress_version(const std::string& env, const std::string& tenant) const;

  const Fleet& fleet_;
  Session& session_;
  Engine& engine_;
  ProgressFn progress_;
};

std::string new_operation_id(const std::string& prefix);

}  // namespace wpfleet::transfer
