#include "transfer/core_update.h"

#include <nlohmann/json.hpp>

#include "transfer/operations.h"
#include "util/unix_time.h"

namespace wpfleet::transfer {

namespace {
// Fails when the database is older than the core: WordPress's upgrade did not finish
// (the runtime runs it when the database is older; an older core leaves it alone).
constexpr char kDatabaseCurrent[] = R"php(
$current = (int) get_option('db_version');
if ($current < (int) $wp_db_version) {
    fwrite(STDERR, "the database is at version $current, older than the core's $wp_db_version: WordPress's upgrade did not finish\n");
    exit(1);
}
)php";

std::string placement(const OperationRecord& op) { return op.target_env + "/" + op.tenant; }
}  // namespace

std::string core_move_note(const CoreMove& move) {
  return nlohmann::json({{"core_from", move.from}, {"core_to", move.to}}).dump();
}

std::optional<CoreMove> core_move(const OperationRecord& op) {
  const auto note = nlohmann::json::parse(op.swap, nullptr, false);
  if (!note.is_object() || !note.contains("core_from")) return std::nullopt;
  return CoreMove{note.value("core_from", ""), note.value("core_to", "")};
}

Result<OperationRecord> Operations::update_core(const std::string& env, const std::string& tenant) {
  TRY_ASSIGN(TenantContext ctx, engine_.context(env, tenant));
  TRY(finish_interrupted(Scope{{env}, {tenant}, false}));
  OperationRecord op{new_operation_id("op"), kCoreUpdateKind, tenant, "", env, "", "running",
                     "snapshot", "", "", unix_now(), 0};
  TRY_ASSIGN(TenantData * data, engine_.tenant_data(env));
  op.swap = core_move_note({data->running_core(ctx), ctx.env.core});
  return run_core_move(std::move(op), ctx, [&](OperationRecord& moving) -> Status {
    // As apply converges it: the pool, nginx root and theme links follow the environment's
    // core, and the runtime brings the database up to it.
    TRY(engine_.converge_tenant(env, tenant, progress_));
    advance(moving, "checking");
    return check_core_moved(ctx);
  });
}

Result<OperationRecord> Operations::run_core_move(OperationRecord op, const TenantContext& ctx,
                                                  const std::function<Status(OperationRecord&)>& move) {
  // Without a pool there is no core to go back to: apply makes the tenant on its core.
  if (core_move(op)->from.empty()) {
    return make_error(placement(op) + " is not applied yet: `wpfleet apply` makes it");
  }
  TRY(session_.store->record_operation(op));
  if (Status snapshot = snapshot_before(ctx, op); !snapshot) {
    record_failure(op, "nothing changed: could not take a snapshot first (" +
                           snapshot.error().message + ")");
    return op;
  }
  advance(op, "switching");
  const Status moved = move(op);
  if (moved) {
    TRY_ASSIGN(TenantData * data, engine_.tenant_data(ctx.env.name));
    return finish(std::move(op), ctx, *data);
  }
  const CoreMove cores = *core_move(op);
  const std::string reason = "failed at step '" + op.step + "': " + moved.error().message;
  progress_(op.id + ": " + reason);
  advance(op, "undoing");
  if (Status undone = put_on_core(ctx, cores.from, op.snapshot_id); !undone) {
    // Still running: verify names it, and the next command on the tenant undoes it again.
    op.error = reason + "; putting it back on core " + cores.from + " failed too (" +
               undone.error().message + ")";
    (void)session_.store->record_operation(op);
    return op;
  }
  op.status = "rolled back";
  op.error = reason;
  op.finished_at = unix_now();
  (void)session_.store->record_operation(op);
  return op;
}

// What promote's settle checks (the site's options written by the new core, its home page
// answering 200 through the direct socket), that the upgrade finished, and the tenant's
// own health checks (verify's: runtime, route, site).
Status Operations::check_core_moved(const TenantContext& ctx) {
  TRY(engine_.refresh(ctx.env.name, ctx.tenant.id, ResourceKind::Site));
  TRY_ASSIGN(TenantData * data, engine_.tenant_data(ctx.env.name));
  TRY(data->run_php(ctx, kDatabaseCurrent));
  for (const TenantHealth& health : engine_.health(Scope{{ctx.env.name}, {ctx.tenant.id}, false}, 1)) {
    if (!health.problem.empty()) return make_error(health.problem);
  }
  return {};
}

Status Operations::put_on_core(const TenantContext& ctx, const std::string& core,
                               const std::string& snapshot_id) {
  const std::string& env = ctx.env.name;
  const std::string& tenant = ctx.tenant.id;
  TRY_ASSIGN(auto snapshot, session_.store->snapshot(snapshot_id));
  if (!snapshot) {
    return make_error("the snapshot " + snapshot_id + " of " + env + "/" + tenant +
                      " is no longer kept");
  }
  // The fleet file with the environment on `core`: converging the tenant on it is what
  // apply would do were that the file's core (an older core leaves the database alone).
  Fleet on_core = fleet_;
  on_core.environments.at(env).core = core;
  Engine engine(on_core, session_);
  progress_(env + "/" + tenant + ": back to core " + core + "…");
  TRY(engine.converge_tenant(env, tenant, progress_));
  // The apply of the move that failed or was killed is superseded: the tenant is converged.
  TRY_ASSIGN(auto unfinished, session_.store->unfinished_operations());
  for (const auto& entry : unfinished) {
    if (entry.operation == "apply" && entry.env == env && entry.tenant == tenant) {
      TRY(session_.store->journal_finish(entry.id));
    }
  }
  TRY_ASSIGN(TenantContext back, engine.context(env, tenant));
  TRY_ASSIGN(TenantData * data, engine.tenant_data(env));
  // From scratch every time: whatever an interrupted try left staged or aside goes, and
  // the snapshot is staged again and swapped in.
  progress_(env + "/" + tenant + ": restoring snapshot " + snapshot_id + "…");
  TRY(data->discard_staging(back));
  TRY(data->discard_previous(back));
  TRY_ASSIGN(Manifest manifest, read_manifest(snapshot->path));
  const BlobStore blobs = blob_store(snapshot->env);
  StageOptions options;
  options.files = manifest.has_files;
  options.blobs = &blobs;
  TRY(stage_archive(*data, back, snapshot->path, manifest, options, progress_));
  TRY(data->swap_in_staging(back, SwapScope{true, true, manifest.has_files}));
  TRY(data->discard_previous(back));
  // Settled as the core it runs now makes it: storage links, the site's options and its
  // home page. Not the admin password, which settle resets for content from elsewhere:
  // this is the tenant's own, and a password its users changed since stays as it was.
  TRY(engine.refresh(env, tenant, ResourceKind::Storage));
  return engine.refresh(env, tenant, ResourceKind::Site);
}

Status Operations::finish_interrupted_core_move(OperationRecord& op) {
  const std::string interrupted = "interrupted at step '" + op.step + "'";
  if (op.step == "snapshot") {
    record_failure(op, interrupted + "; nothing had changed");
    progress_(op.id + ": failed (" + op.error + ")");
    return {};
  }
  const CoreMove cores = *core_move(op);
  TRY_ASSIGN(TenantContext ctx, engine_.context(op.target_env, op.tenant));
  if (Status undone = put_on_core(ctx, cores.from, op.snapshot_id); !undone) {
    return make_error("operation " + op.id + " (" + op.kind + " of " + placement(op) + ") was " +
                      interrupted + " and could not be put back on core " + cores.from + ": " +
                      undone.error().message + "; fix that, then run the command again");
  }
  op.status = "rolled back after interruption";
  op.error = interrupted + "; it is back on core " + cores.from + " with the content it had before";
  op.finished_at = unix_now();
  progress_(op.id + ": " + op.status + " (" + op.error + ")");
  return session_.store->record_operation(op);
}

Result<OperationRecord> Operations::rollback_core_move(OperationRecord original) {
  if (original.status != "succeeded") {
    return make_error("operation " + original.id + " is '" + original.status +
                      "': its move did not stay, so there is nothing to roll back");
  }
  TRY_ASSIGN(TenantContext ctx, engine_.context(original.target_env, original.tenant));
  const CoreMove undone = *core_move(original);
  OperationRecord op{new_operation_id("op"), "rollback of " + original.id, original.tenant, "",
                     original.target_env, "", "running", "snapshot", "", "", unix_now(), 0};
  TRY_ASSIGN(TenantData * data, engine_.tenant_data(op.target_env));
  op.swap = core_move_note({data->running_core(ctx), undone.from});
  const RestoringSnapshot kept(*this, original.snapshot_id);
  TRY_ASSIGN(op, run_core_move(std::move(op), ctx, [&](OperationRecord&) {
               return put_on_core(ctx, undone.from, original.snapshot_id);
             }));
  if (op.status != "succeeded") {
    return make_error(op.kind + " of " + placement(op) + " " + op.error + " (operation " + op.id +
                      ", " + op.status + ")");
  }
  original.status = "rolled back by " + op.id;
  TRY(session_.store->record_operation(original));
  if (ctx.env.core != undone.from) {
    progress_(placement(op) + " runs core " + undone.from + " again, but the fleet file says core = \"" +
              ctx.env.core + "\" for " + op.target_env + ": `wpfleet plan` shows its runtime as a change, " +
              "and `wpfleet apply` or `wpfleet core update -e " + op.target_env +
              "` would move it again; to keep it, set core = \"" + undone.from + "\" in [environments." +
              op.target_env + "]");
  }
  return op;
}

}  // namespace wpfleet::transfer
