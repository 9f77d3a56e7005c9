#include "transfer/operations.h"

#include "backends/content_summary.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <nlohmann/json.hpp>

#include "transfer/core_update.h"
#include "transfer/snapshot_space.h"
#include "util/crypto.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/safe_tree.h"
#include "util/unix_time.h"

namespace wpfleet::transfer {

namespace fs = std::filesystem;

struct Operations::Replacement {
  std::vector<content::Replacement> rewrite;
  SwapScope scope;
  bool run_hooks = false;
  // Where the rewrite's counts go, for a caller that reports them.
  std::vector<content::ColumnCounts>* counts = nullptr;
  content::DumpOptions rewrite_options = {};
};

namespace {
std::string when(std::int64_t unix_seconds) { return utc_text(unix_seconds, "%Y-%m-%d %H:%M:%S UTC"); }

Status run_hooks(TenantData& data, const TenantContext& ctx) {
  for (const Hook& hook : ctx.env.after_promote) {
    Status ran = hook.language == Hook::Language::Sql ? data.run_sql(ctx, hook.code)
                                                       : data.run_php(ctx, hook.code);
    if (!ran) {
      return make_error("the after_promote hook '" + hook.code.substr(0, 60) + "' of " +
                        ctx.env.name + " failed: " + ran.error().message +
                        "; fix it in the fleet file");
    }
  }
  return {};
}
std::string size_text(std::int64_t bytes) {
  const char* units[] = {"bytes", "KB", "MB", "GB", "TB"};
  double size = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (size >= 1000 && unit + 1 < std::size(units)) {
    size /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", size, units[unit]);
  return text;
}

// Whether the live content may have changed by the time the operation reached `step`
// ("stage" is the name of staging in states written before these steps).
bool swap_began(const std::string& step) {
  return step != "snapshot" && step != "staging" && step != "stage";
}

// What put_previous_back needs to know, recorded before the swap starts.
std::string swap_note(const SwapScope& scope) {
  return nlohmann::json({{"database", scope.database},
                         {"replace_all_tables", scope.replace_all_tables},
                         {"files", scope.files}})
      .dump();
}
}  // namespace

std::string new_operation_id(const std::string& prefix) {
  const std::string stamp = utc_text(unix_now(), "%Y%m%d-%H%M%S");
  auto suffix = random_bytes(2);
  std::string hex = sha256_hex(suffix ? std::string(suffix->begin(), suffix->end()) : stamp);
  return prefix + "-" + stamp + "-" + hex.substr(0, 4);
}

// The journal keeps the failure; the caller reports it (the error it returns says more).
void Operations::record_failure(OperationRecord& op, const std::string& error) {
  op.status = "failed";
  op.error = error;
  op.finished_at = unix_now();
  (void)session_.store->record_operation(op);
}

std::string describe(const SnapshotDisposal& disposal, const std::string& env,
                     const std::string& tenant) {
  std::string text;
  if (disposal.kept) {
    text = "kept the newest snapshot of " + env + "/" + tenant + ", " + disposal.kept->id + " (" +
           size_text(disposal.kept->bytes) + "), at " + disposal.kept->path +
           ": production content is kept until you delete it (`wpfleet snapshot delete " + tenant +
           " -e " + env + " --id " + disposal.kept->id + " --approve`); ";
  }
  return text + "deleted " + std::to_string(disposal.deleted) + (disposal.kept ? " older" : "") +
         " snapshot" + (disposal.deleted == 1 ? "" : "s") + " of " + env + "/" + tenant + " (" +
         size_text(disposal.freed_bytes) + " freed)";
}

Operations::Operations(const Fleet& fleet, Session& session, Engine& engine, ProgressFn progress)
    : fleet_(fleet), session_(session), engine_(engine), progress_(std::move(progress)) {}


std::string Operations::wordpress_version(const std::string& env, const std::string& tenant) const {
  auto records = session_.store->resources(env);
  if (!records) return "";
  for (const auto& record : *records) {
    if (record.tenant != tenant || record.kind != kind_name(ResourceKind::Site)) continue;
    const auto detail = nlohmann::json::parse(record.detail, nullptr, false);
    if (detail.is_object()) return detail.value("wordpress", "");
  }
  return "";
}

Result<Manifest> Operations::export_tenant(const std::string& env, const std::string& tenant,
                                           const fs::path& out, const ExportOptions& options) {
  TRY_ASSIGN(TenantContext ctx, engine_.context(env, tenant));
  TRY_ASSIGN(TenantData * data, engine_.tenant_data(env));
  return export_archive(*data, ctx, fs::absolute(out), options, wordpress_version(env, tenant),
                        progress_);
}

Result<SnapshotRecord> Operations::create_snapshot(const std::string& env, const std::string& tenant,
                                                   const std::string& reason) {
  TRY_ASSIGN(TenantContext ctx, engine_.context(env, tenant));
  return take_snapshot(ctx, reason, nullptr);
}

Result<SnapshotRecord> Operations::snapshot_before_delete(const std::string& env,
                                                          const std::string& tenant) {
  if (auto ctx = engine_.context(env, tenant)) return take_snapshot(*ctx, "before delete", nullptr);
  // Pruned: the tenant has left the fleet file, but its environment says where it lived.
  const Environment* environment = fleet_.find_environment(env);
  if (!environment) return make_error("environment '" + env + "' is not in the fleet file");
  const Tenant leaving{tenant, tenant, "", {env}, {}};
  return take_snapshot(make_tenant_context(leaving, *environment), "before delete", nullptr);
}

Result<SnapshotRecord> Operations::take_snapshot(const TenantContext& ctx, const std::string& reason,
                                                 OperationRecord* needed_by) {
  const std::string& env = ctx.env.name;
  const std::string& tenant = ctx.tenant.id;
  TRY_ASSIGN(TenantData * data, engine_.tenant_data(env));
  SnapshotRecord snapshot;
  snapshot.id = new_operation_id("snap");
  snapshot.env = env;
  snapshot.tenant = tenant;
  snapshot.reason = reason;
  const fs::path dir = snapshot_dir(env) / tenant;
  TRY(make_dirs(dir, 0700));
  snapshot.path = (dir / (snapshot.id + ".tar")).string();
  // The files go by content into the environment's blob store, shared with its other
  // snapshots. The fingerprint (a full read of every table) serves the production edit
  // check.
  {
    std::shared_lock writing(store_mutex_);
    BlobStore blobs = blob_store(env);
    const ExportOptions everything{{}, true, ctx.env.production, &blobs};
    TRY_ASSIGN(Manifest manifest, export_archive(*data, ctx, snapshot.path, everything,
                                                 wordpress_version(env, tenant), progress_));
    snapshot.fingerprint = manifest.content_fingerprint;
    std::error_code ec;
    // What it cost: its archive and the files no earlier snapshot had.
    snapshot.bytes = static_cast<std::int64_t>(fs::file_size(snapshot.path, ec) + blobs.added_bytes());
    // Recorded only once complete: until then it is an unrecorded archive (or a partial
    // one) and blobs nothing lists, which collect_garbage removes.
    TRY(session_.store->record_snapshot(snapshot));
    // The operation names it before anything can delete again (another thread's budget
    // under promote --all): what an operation goes back to is spared.
    if (needed_by) {
      needed_by->snapshot_id = snapshot.id;
      TRY(session_.store->record_operation(*needed_by));
    }
  }
  // The snapshot is made: tidying up after it must not fail the operation it serves.
  std::unique_lock deleting(store_mutex_);
  // The snapshots' file lists are read at most once (by the budget), and blobs are swept
  // only when something could have left garbage (collect_garbage).
  std::optional<std::vector<SnapshotContent>> contents;
  for (Status tidied : {prune_snapshots(ctx), enforce_budget(ctx.env, snapshot.id, contents),
                        collect_garbage(env, contents ? &*contents : nullptr)}) {
    if (!tidied) progress_("warning: " + tidied.error().message);
  }
  return snapshot;
}

BlobStore Operations::blob_store(const std::string& env) const {
  return BlobStore(session_.layout.root / "blobs" / env);
}

fs::path Operations::snapshot_dir(const std::string& env) const {
  return session_.layout.root / "snapshots" / env;
}

// The record first: a crash in between leaves an unrecorded archive, which garbage
// collection removes, never a record whose archive is gone.
Status Operations::remove_snapshot(const SnapshotRecord& snapshot) {
  TRY(blob_store(snapshot.env).owe_sweep());
  TRY(session_.store->forget_snapshot(snapshot.id));
  std::error_code error;
  fs::remove(snapshot.path, error);
  if (error) return make_error("cannot delete " + snapshot.path + ": " + error.message());
  return {};
}

Result<std::map<std::string, OperationRecord>> Operations::needed_snapshots(const std::string& env) {
  TRY_ASSIGN(auto operations, session_.store->operations());
  std::map<std::string, OperationRecord> needed;
  for (const auto& op : operations) {
    if (op.status == "running" && op.target_env == env && !op.snapshot_id.empty()) {
      needed.emplace(op.snapshot_id, op);
    }
  }
  return needed;
}

Result<std::set<std::string>> Operations::spared_snapshots(const std::string& env) {
  TRY_ASSIGN(const auto needed, needed_snapshots(env));
  std::set<std::string> spared(restoring_.begin(), restoring_.end());
  for (const auto& [id, op] : needed) spared.insert(id);
  return spared;
}

Operations::RestoringSnapshot::RestoringSnapshot(Operations& operations, std::string snapshot_id)
    : operations_(operations), snapshot_id_(std::move(snapshot_id)) {
  std::unique_lock lock(operations_.store_mutex_);
  operations_.restoring_.insert(snapshot_id_);
}

Operations::RestoringSnapshot::~RestoringSnapshot() {
  std::unique_lock lock(operations_.store_mutex_);
  operations_.restoring_.erase(operations_.restoring_.find(snapshot_id_));
}

Status Operations::enforce_budget(const Environment& env, const std::string& taken,
                                  std::optional<std::vector<SnapshotContent>>& current) {
  if (!env.snapshot_budget) return {};
  const std::uint64_t budget = *env.snapshot_budget;
  TRY_ASSIGN(auto records, session_.store->snapshots(env.name, ""));
  auto contents = read_snapshot_contents(records);
  if (disk_used(contents) <= budget) {
    current = std::move(contents);
    return {};
  }
  TRY_ASSIGN(const auto needed, spared_snapshots(env.name));
  const auto spared = spared_by_budget(records, env.production, needed, taken);
  std::set<std::string> deleted;
  for (const SnapshotRecord& doomed : over_budget(contents, budget, spared)) {
    TRY(remove_snapshot(doomed));
    deleted.insert(doomed.id);
    deleted_by_budget_.push_back(doomed);
    progress_("deleted snapshot " + doomed.id + " of " + env.name + "/" + doomed.tenant + " (taken " +
              when(doomed.created_at) + ", " + doomed.reason + ") to keep the snapshots of " +
              env.name + " within its snapshot_budget of " + human_bytes(budget));
  }
  std::erase_if(contents, [&](const SnapshotContent& c) { return deleted.count(c.record.id) > 0; });
  if (const std::uint64_t used = disk_used(contents); used > budget) {
    progress_("warning: the snapshots of " + env.name + " take " + human_bytes(used) +
              ", more than its snapshot_budget of " + human_bytes(budget) +
              ", and the rest are needed (the newest, a production tenant's newest, or an unfinished "
              "operation's): raise snapshot_budget in the fleet file");
  }
  current = std::move(contents);
  return {};
}

Status Operations::collect_garbage(const std::string& env, const std::vector<SnapshotContent>* current) {
  TRY_ASSIGN(auto records, session_.store->snapshots(env, ""));
  BlobStore blobs = blob_store(env);
  // By id, not path: a state directory that was moved still holds its snapshots.
  std::set<std::string> recorded;
  for (const auto& record : records) recorded.insert(record.id);
  // What a snapshot interrupted before it was recorded left: its work directory, or its
  // archive. Nothing else writes here, and this runs under the state lock.
  std::uint64_t leftovers = 0;
  const fs::path dir = snapshot_dir(env);
  std::error_code missing;
  if (fs::exists(dir, missing)) {
    TRY_ASSIGN(UniqueFd top, open_dir(dir));
    TRY_ASSIGN(auto tenants, list_dir(top.get()));
    for (const std::string& tenant : tenants) {
      TRY_ASSIGN(UniqueFd tenant_dir, in_dir(dir, open_dir_beneath(top.get(), tenant)));
      TRY_ASSIGN(auto names, list_dir(tenant_dir.get()));
      for (const std::string& name : names) {
        const bool partial = name.starts_with(".") && name.ends_with(".parts");
        const bool unrecorded = name.ends_with(".tar") && !recorded.count(name.substr(0, name.size() - 4));
        if (!partial && !unrecorded) continue;
        // Its blobs are garbage once it is gone, whether or not this run gets that far.
        if (leftovers == 0) TRY(blobs.owe_sweep());
        TRY(in_dir(dir / tenant, remove_tree_at(tenant_dir.get(), name)));
        ++leftovers;
      }
    }
  }
  if (!blobs.sweep_owed()) return {};
  TRY_ASSIGN(const auto referenced,
             referenced_blobs(current ? *current : read_snapshot_contents(records)));
  TRY_ASSIGN(GarbageReport report, blobs.collect_garbage(referenced));
  leftovers += report.leftovers;
  if (leftovers) {
    progress_("removed " + std::to_string(leftovers) + " leftover" + (leftovers == 1 ? "" : "s") +
              " of interrupted snapshots of " + env);
  }
  if (report.blobs) {
    progress_("removed " + std::to_string(report.blobs) + " stored file" + (report.blobs == 1 ? "" : "s") +
              " no snapshot of " + env + " lists (" + human_bytes(report.bytes) + ")");
  }
  return {};
}

Result<SnapshotDeletion> Operations::delete_snapshot(const SnapshotRecord& snapshot) {
  std::unique_lock deleting(store_mutex_);
  const std::string& env = snapshot.env;
  const std::string& tenant = snapshot.tenant;
  const std::string& snapshot_id = snapshot.id;
  TRY_ASSIGN(auto records, session_.store->snapshots(env, ""));
  TRY_ASSIGN(auto needed, needed_snapshots(env));
  if (const auto it = needed.find(snapshot_id); it != needed.end()) {
    const OperationRecord& op = it->second;
    return make_error("snapshot " + snapshot_id + " is needed by operation " + op.id + " (" + op.kind +
                      " of " + env + "/" + tenant + ", interrupted at step '" + op.step +
                      "'): it is what that operation goes back to. Let it finish or be undone "
                      "first: `wpfleet apply` does, as does the next content command on " + tenant +
                      "; then delete the snapshot");
  }
  SnapshotDeletion deletion{snapshot, 0};
  auto contents = read_snapshot_contents(records);
  for (const auto& space : space_of(contents)) {
    if (space.record.id == snapshot_id) deletion.freed_bytes = space.own_bytes;
  }
  TRY(remove_snapshot(snapshot));
  std::erase_if(contents, [&](const SnapshotContent& c) { return c.record.id == snapshot_id; });
  TRY(collect_garbage(env, &contents));
  return deletion;
}

Status Operations::prune_snapshots(const TenantContext& ctx) {
  TRY(delete_snapshots(ctx.env.name, ctx.tenant.id,
                       static_cast<std::size_t>(ctx.env.snapshot_retention)));
  return {};
}

// Deletes the tenant's snapshots but the newest `keep`; returns what went.
Result<SnapshotDisposal> Operations::delete_snapshots(const std::string& env,
                                                      const std::string& tenant, std::size_t keep) {
  TRY_ASSIGN(auto snapshots, session_.store->snapshots(env, tenant));
  TRY_ASSIGN(const auto spared, spared_snapshots(env));
  SnapshotDisposal disposal;
  for (std::size_t i = keep; i < snapshots.size(); ++i) {
    // What an unfinished operation would go back to stays until it is finished.
    if (spared.count(snapshots[i].id)) continue;
    TRY(remove_snapshot(snapshots[i]));
    ++disposal.deleted;
  }
  if (keep > 0 && !snapshots.empty()) disposal.kept = snapshots.front();
  return disposal;
}

Result<SnapshotDisposal> Operations::dispose_snapshots(const std::string& env,
                                                       const std::string& tenant) {
  // An environment gone from the fleet file may have been production: keep to be safe.
  const Environment* environment = fleet_.find_environment(env);
  const bool production = !environment || environment->production;
  std::unique_lock deleting(store_mutex_);
  // What deleting them frees: blobs other snapshots list stay.
  TRY_ASSIGN(auto before, session_.store->snapshots(env, ""));
  const std::uint64_t used = disk_used(read_snapshot_contents(before));
  TRY_ASSIGN(SnapshotDisposal disposal, delete_snapshots(env, tenant, production ? 1 : 0));
  TRY_ASSIGN(auto after, session_.store->snapshots(env, ""));
  const auto contents = read_snapshot_contents(after);
  disposal.freed_bytes = static_cast<std::int64_t>(used - disk_used(contents));
  TRY(collect_garbage(env, &contents));
  return disposal;
}

Status Operations::snapshot_before(const TenantContext& ctx, OperationRecord& op) {
  TRY(take_snapshot(ctx, "before " + op.id, &op));
  return {};
}

// Production may have been edited since wpfleet last knew its content (the newest of
// its snapshots and of the operations that changed it): promoting would overwrite that.
Status Operations::check_production_unchanged(const TenantContext& ctx, TenantData& data) {
  std::int64_t known_at = 0;
  std::string known, what;
  TRY_ASSIGN(auto snapshots, session_.store->snapshots(ctx.env.name, ctx.tenant.id));
  if (!snapshots.empty()) {
    known_at = snapshots.front().created_at;
    known = snapshots.front().fingerprint;
    what = "its last snapshot " + snapshots.front().id;
  }
  TRY_ASSIGN(auto operations, session_.store->operations());
  for (const auto& op : operations) {
    if (op.target_env != ctx.env.name || op.tenant != ctx.tenant.id || op.status != "succeeded" ||
        op.result_fingerprint.empty() || op.finished_at < known_at) {
      continue;
    }
    known_at = op.finished_at;
    known = op.result_fingerprint;
    what = "operation " + op.id;
  }
  // Never snapshotted or promoted, or recorded by an older wpfleet whose fingerprint tells
  // no detail: nothing to compare with.
  const auto before = parse_content_summary(known);
  if (!before) return {};
  TRY_ASSIGN(std::string now, data.content_fingerprint(ctx));
  const auto after = parse_content_summary(now);
  const auto changes = after ? describe_content_changes(*before, *after) : std::vector<std::string>{};
  if (after && changes.empty()) return {};
  std::string changed;
  for (const auto& change : changes) changed += (changed.empty() ? "" : "; ") + change;
  return make_error(ctx.env.name + "/" + ctx.tenant.id + " has changed since " + what + " (" +
                    when(known_at) + "): someone edited production (" + changed +
                    "). Keep those changes by promoting them back first, or overwrite them with "
                    "--force (a snapshot is taken before anything changes)");
}

Result<OperationRecord> Operations::replace_from_archive(OperationRecord op,
                                                         const TenantContext& ctx,
                                                         const fs::path& archive,
                                                         const Replacement& replacement) {
  auto manifest = read_manifest(archive);
  if (manifest && manifest->table_prefix != "wp_") {
    manifest = make_error("the archive's tables use the prefix '" + manifest->table_prefix +
                          "'; wpfleet sites use 'wp_'");
  }
  if (!manifest) {
    record_failure(op, manifest.error().message);
    return make_error(op.kind + " of " + ctx.env.name + "/" + ctx.tenant.id + " failed: " +
                      manifest.error().message + "; its content was not touched (operation " +
                      op.id + ")");
  }
  TRY_ASSIGN(TenantData * data, engine_.tenant_data(ctx.env.name));
  // A snapshot's files are in the blob store of the environment it was taken in. Only a
  // snapshot this state recorded reads from a store: an archive from elsewhere (an
  // import) could otherwise list any stored file of any environment by its hash.
  std::optional<BlobStore> blobs;
  TRY_ASSIGN(auto recorded, session_.store->snapshots(manifest->env, ""));
  std::error_code ignored;
  const fs::path asked = fs::weakly_canonical(archive, ignored);
  const bool ours = std::any_of(recorded.begin(), recorded.end(), [&](const SnapshotRecord& s) {
    return fs::weakly_canonical(s.path, ignored) == asked;
  });
  if (ours) blobs.emplace(blob_store(manifest->env));
  auto stage = [&, data](StageOptions options) {
    options.blobs = blobs ? &*blobs : nullptr;
    return stage_archive(*data, ctx, archive, *manifest, options, progress_);
  };
  return replace_content(std::move(op), ctx, stage, replacement);
}

void Operations::advance(OperationRecord& op, const std::string& step) {
  op.step = step;
  (void)session_.store->record_operation(op);
  progress_(op.id + ": " + step + "…");
}

Result<OperationRecord> Operations::fail_operation(OperationRecord& op, const TenantContext& ctx,
                                                   const Error& error, bool touched) {
  record_failure(op, error.message);
  return make_error(
      op.kind + " of " + ctx.env.name + "/" + ctx.tenant.id + " failed at step '" + op.step +
      "': " + error.message + "; " +
      (touched ? "its previous content was put back" : "its content was not touched") +
      " (operation " + op.id + ")");
}

Result<OperationRecord> Operations::replace_content(OperationRecord op, const TenantContext& ctx,
                                                    const Stager& stage,
                                                    const Replacement& replacement) {
  TRY_ASSIGN(TenantData * data, engine_.tenant_data(ctx.env.name));
  advance(op, "staging");
  // A "previous" left over would be taken for this swap's when undoing it.
  Status ready = data->discard_previous(ctx);
  auto staged = ready ? stage(StageOptions{replacement.scope.files, replacement.rewrite,
                                           replacement.rewrite_options})
                      : Result<StageReport>(ready.error());
  if (!staged) {
    (void)data->discard_staging(ctx);
    return fail_operation(op, ctx, staged.error(), false);
  }
  if (replacement.counts) *replacement.counts = staged->replacements;
  op.swap = swap_note(replacement.scope);
  advance(op, "swapping");
  Status swapped = data->swap_in_staging(ctx, replacement.scope);
  if (swapped) {
    advance(op, "settling");
    swapped = settle(ctx, *data, replacement.run_hooks);
  }
  if (!swapped) {
    progress_(op.id + ": putting the previous content back…");
    if (Status undone = put_previous_back(ctx, *data, op); !undone) {
      return fail_operation(op, ctx,
                            make_error(swapped.error().message + "; putting the previous content " +
                                       "back failed too (" + undone.error().message +
                                       "): restore snapshot " + op.snapshot_id),
                            false);
    }
    return fail_operation(op, ctx, swapped.error(), true);
  }
  advance(op, "settled");
  return finish(std::move(op), ctx, *data);
}

// What makes new content a working site of this environment: storage links, the
// environment's admin password, the fleet file's options (title, admin e-mail,
// search-engine visibility, the completion marker) with the health check (the home page
// must answer 200), then the environment's hooks.
Status Operations::settle(const TenantContext& ctx, TenantData& data, bool hooks) {
  TRY(engine_.refresh(ctx.env.name, ctx.tenant.id, ResourceKind::Storage));
  TRY(data.reset_admin_password(ctx));
  TRY(engine_.refresh(ctx.env.name, ctx.tenant.id, ResourceKind::Site));
  if (hooks) TRY(run_hooks(data, ctx));
  return {};
}

Result<OperationRecord> Operations::finish(OperationRecord op, const TenantContext& ctx,
                                           TenantData& data) {
  (void)data.discard_previous(ctx);
  if (ctx.env.production) {  // the baseline of the next production edit check
    auto fingerprint = data.content_fingerprint(ctx);
    op.result_fingerprint = fingerprint ? *fingerprint : "";
  }
  op.status = "succeeded";
  op.step = "done";
  op.finished_at = unix_now();
  (void)session_.store->record_operation(op);
  return op;
}

// Undoes as much of the swap as happened, whichever point it reached: the database
// moves in one step, and the backend's restore_previous tells from what each side holds
// how far the files went. An operation recorded before swaps were noted gets the scope
// that cannot take away a table it did not bring.
Status Operations::put_previous_back(const TenantContext& ctx, TenantData& data,
                                     const OperationRecord& op) {
  auto note = nlohmann::json::parse(op.swap, nullptr, false);
  if (!note.is_object()) note = nlohmann::json::parse(swap_note(SwapScope{true, false, true}));
  SwapScope scope{note.value("database", false), note.value("replace_all_tables", false),
                  note.value("files", false)};
  if (scope.database) {
    // Tables still staged: the swap stopped before it moved the database (in one step),
    // so the live tables are still the previous ones.
    TRY_ASSIGN(auto staged, data.staged_row_counts(ctx));
    scope.database = staged.empty();
  }
  TRY(data.restore_previous(ctx, scope));
  TRY(data.discard_staging(ctx));
  TRY(data.discard_previous(ctx));
  return engine_.refresh(ctx.env.name, ctx.tenant.id, ResourceKind::Storage);
}

Status Operations::finish_interrupted(const Scope& scope) {
  const auto listed = [](const std::vector<std::string>& filter, const std::string& value) {
    return filter.empty() || std::find(filter.begin(), filter.end(), value) != filter.end();
  };
  TRY_ASSIGN(auto operations, session_.store->operations());
  for (auto& op : operations) {
    if (op.status != "running" || !listed(scope.envs, op.target_env) ||
        !listed(scope.tenants, op.tenant)) {
      continue;
    }
    progress_("resuming: operation " + op.id + " (" + op.kind + " of " + op.target_env + "/" +
              op.tenant + ") was interrupted at step '" + op.step + "'");
    TRY(finish_interrupted(op));
  }
  return {};
}

Status Operations::finish_interrupted(OperationRecord& op) {
  if (core_move(op)) return finish_interrupted_core_move(op);
  TRY_ASSIGN(TenantContext ctx, engine_.context(op.target_env, op.tenant));
  TRY_ASSIGN(TenantData * data, engine_.tenant_data(op.target_env));
  const std::string interrupted = "interrupted at step '" + op.step + "'";
  op.finished_at = unix_now();
  if (op.step == "settled") {
    TRY_ASSIGN(op, finish(op, ctx, *data));
    progress_(op.id + ": finished (it had settled before the interruption)");
    return {};
  }
  if (!swap_began(op.step)) {
    TRY(data->discard_staging(ctx));
    op.status = "failed";
    op.error = interrupted + "; its content was not touched";
  } else {
    if (Status undone = put_previous_back(ctx, *data, op); !undone) {
      // Recorded as failed, so that it does not block the restore it asks for.
      record_failure(op, interrupted + " and its previous content could not be put back (" +
                             undone.error().message +
                             "): restore the snapshot taken before it "
                             "with `wpfleet snapshot restore " +
                             op.tenant + " -e " + op.target_env + " --id " + op.snapshot_id + "`");
      return make_error("operation " + op.id + " of " + op.target_env + "/" + op.tenant + " was " +
                        op.error);
    }
    op.status = "rolled back after interruption";
    op.error = interrupted + "; the previous content was put back";
  }
  progress_(op.id + ": " + op.status + " (" + op.error + ")");
  return session_.store->record_operation(op);
}

Result<OperationRecord> Operations::import_archive(const fs::path& archive, const std::string& env,
                                                   const std::string& tenant_or_empty) {
  TRY_ASSIGN(Manifest manifest, read_manifest(archive));
  const std::string tenant = tenant_or_empty.empty() ? manifest.tenant : tenant_or_empty;
  TRY_ASSIGN(TenantContext ctx, engine_.context(env, tenant));
  TRY(finish_interrupted(Scope{{env}, {tenant}, false}));
  TRY(engine_.converge_tenant(env, tenant, progress_));
  return load_archive("import", manifest.env, ctx, fs::absolute(archive), manifest, true);
}

Result<OperationRecord> Operations::load_archive(const std::string& kind, const std::string& source_env,
                                                 const TenantContext& ctx, const fs::path& archive,
                                                 const Manifest& manifest, bool run_hooks) {
  OperationRecord op{new_operation_id("op"), kind, ctx.tenant.id, source_env, ctx.env.name, "",
                     "running", "snapshot", "", "", unix_now(), 0};
  TRY(session_.store->record_operation(op));
  TRY(snapshot_before(ctx, op));
  Replacement replacement;
  if (manifest.source_url != ctx.home_url) replacement.rewrite = url_rewrite(manifest.source_url, ctx.home_url);
  replacement.scope = SwapScope{true, manifest.only_tables.empty(), manifest.has_files};
  replacement.run_hooks = run_hooks;
  return replace_from_archive(op, ctx, archive, replacement);
}

Result<Survey> Operations::promote_dry_run(const std::string& tenant, const std::string& from,
                                           const std::string& to, const PromoteOptions& options) {
  TRY_ASSIGN(TenantContext source, engine_.context(from, tenant));
  TRY_ASSIGN(TenantContext target, engine_.context(to, tenant));
  TRY_ASSIGN(TenantData * data, engine_.tenant_data(from));
  return survey_tenant(*data, source, options.tables, options.files,
                       url_rewrite(source.home_url, target.home_url));
}

Result<OperationRecord> Operations::promote(const std::string& tenant, const std::string& from,
                                            const std::string& to, const PromoteOptions& options) {
  if (from == to) return make_error("promote needs two different environments");
  TRY_ASSIGN(TenantContext source, engine_.context(from, tenant));
  TRY_ASSIGN(TenantContext target, engine_.context(to, tenant));
  if (target.env.production && !options.approve) {
    return make_error("'" + to + "' is a production environment: promoting into it needs --approve");
  }
  TRY(finish_interrupted(Scope{{to}, {tenant}, false}));
  TRY(engine_.converge_tenant(to, tenant, progress_));
  TRY_ASSIGN(TenantData * target_data, engine_.tenant_data(to));
  if (target.env.production && !options.force) TRY(check_production_unchanged(target, *target_data));

  OperationRecord op{new_operation_id("op"), "promote", tenant, from, to, "", "running",
                     "snapshot", "", "", unix_now(), 0};
  TRY(session_.store->record_operation(op));
  if (Status snapshot = snapshot_before(target, op); !snapshot) {
    record_failure(op, snapshot.error().message);
    return make_error("promote of " + tenant + " failed before anything changed: could not take "
                      "a snapshot of " + to + "/" + tenant + ": " + snapshot.error().message);
  }
  TRY_ASSIGN(TenantData * source_data, engine_.tenant_data(from));
  // Source straight into the target's staging area: no archive in between.
  auto stage = [&](StageOptions stage_options) {
    stage_options.streams = options.streams;
    return stage_from_tenant(*source_data, source, *target_data, target, options.tables,
                             stage_options, progress_);
  };
  Replacement replacement{url_rewrite(source.home_url, target.home_url),
                          SwapScope{true, options.tables.empty(), options.files}, true};
  return replace_content(op, target, stage, replacement);
}

Result<SearchReplaceOutcome> Operations::search_replace(
    const std::string& env, const std::string& tenant,
    const std::vector<content::Replacement>& pairs, const content::DumpOptions& options) {
  TRY_ASSIGN(TenantContext ctx, engine_.context(env, tenant));
  TRY(content::Replacer::create(pairs));  // refuse bad pairs before anything happens
  TRY(finish_interrupted(Scope{{env}, {tenant}, false}));
  OperationRecord op{new_operation_id("op"), "search-replace", tenant, "", env, "", "running",
                     "snapshot", "", "", unix_now(), 0};
  TRY(session_.store->record_operation(op));
  TRY(snapshot_before(ctx, op));
  TRY_ASSIGN(auto snapshot, session_.store->snapshot(op.snapshot_id));
  // The snapshot is also the source: its database goes through the rewriter.
  SearchReplaceOutcome outcome;
  Replacement replacement{pairs, SwapScope{true, true, false}, false, &outcome.replacements,
                          options};
  TRY_ASSIGN(outcome.operation, replace_from_archive(op, ctx, snapshot->path, replacement));
  return outcome;
}

Result<Survey> Operations::search_replace_dry_run(const std::string& env, const std::string& tenant,
                                                  const std::vector<content::Replacement>& pairs,
                                                  const content::DumpOptions& options) {
  TRY_ASSIGN(TenantContext ctx, engine_.context(env, tenant));
  TRY_ASSIGN(TenantData * data, engine_.tenant_data(env));
  return survey_tenant(*data, ctx, {}, false, pairs, options);
}

Result<OperationRecord> Operations::restore_snapshot(const std::string& env, const std::string& tenant,
                                                     const std::string& snapshot_id) {
  TRY_ASSIGN(TenantContext ctx, engine_.context(env, tenant));
  TRY(finish_interrupted(Scope{{env}, {tenant}, false}));
  TRY_ASSIGN(auto snapshots, session_.store->snapshots(env, tenant));
  if (snapshots.empty()) return make_error(env + "/" + tenant + " has no snapshots");
  const SnapshotRecord* chosen = &snapshots.front();
  if (!snapshot_id.empty()) {
    chosen = nullptr;
    for (const auto& s : snapshots) {
      if (s.id == snapshot_id) chosen = &s;
    }
    if (!chosen) {
      return make_error("no snapshot " + snapshot_id + " of " + env + "/" + tenant +
                        " (see `wpfleet snapshot list " + tenant + " -e " + env + "`)");
    }
  }
  const SnapshotRecord restored = *chosen;
  const RestoringSnapshot kept(*this, restored.id);
  TRY_ASSIGN(Manifest manifest, read_manifest(restored.path));
  return load_archive("restore", "", ctx, restored.path, manifest, false);
}

Result<OperationRecord> Operations::rollback(const std::string& operation_id) {
  TRY_ASSIGN(auto found, session_.store->operations(operation_id));
  if (found.empty()) {
    return make_error("no operation " + operation_id + " (see `wpfleet history`)");
  }
  TRY(finish_interrupted(Scope{{found.front().target_env}, {found.front().tenant}, false}));
  TRY_ASSIGN(found, session_.store->operations(operation_id));
  OperationRecord original = found.front();
  if (original.snapshot_id.empty()) {
    return make_error("operation " + operation_id + " has no snapshot to go back to");
  }
  TRY_ASSIGN(auto snapshot, session_.store->snapshot(original.snapshot_id));
  if (!snapshot || !fs::exists(snapshot->path)) {
    return make_error("the snapshot " + original.snapshot_id + " taken before " + operation_id +
                      " is no longer kept (snapshot_retention of " + original.target_env + ")");
  }
  if (core_move(original)) return rollback_core_move(std::move(original));
  TRY_ASSIGN(OperationRecord restored,
             restore_snapshot(original.target_env, original.tenant, original.snapshot_id));
  restored.kind = "rollback of " + operation_id;
  TRY(session_.store->record_operation(restored));
  original.status = "rolled back by " + restored.id;
  TRY(session_.store->record_operation(original));
  return restored;
}

}  // namespace wpfleet::transfer
