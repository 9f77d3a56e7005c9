// export, import, promote, snapshot, rollback, history: moving tenants' content.
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/workbench.h"
#include "engine/engine.h"
#include "platform/platform.h"
#include "transfer/operations.h"
#include "transfer/snapshot_space.h"
#include "util/human.h"

namespace wpfleet::cli {

namespace {
struct ContentOptions {
  std::string tenant;
  std::string env;
  std::string from;
  std::string to;
  std::string file;
  std::string as;
  std::string id;
  std::vector<std::string> tables;
  bool no_files = false;
  bool dry_run = false;
  bool approve = false;
  bool force = false;
  bool all = false;
  unsigned streams = transfer::default_streams();
};

nlohmann::json operation_json(const OperationRecord& op) {
  return {{"id", op.id},         {"kind", op.kind},     {"tenant", op.tenant},
          {"from", op.source_env}, {"to", op.target_env}, {"snapshot", op.snapshot_id},
          {"status", op.status}, {"step", op.step},     {"error", op.error},
          {"started_at", op.started_at}, {"finished_at", op.finished_at}};
}

int report_operation(Context& ctx, const Result<OperationRecord>& op) {
  if (!op) return fail(op.error(), kExitFailure);
  if (ctx.options().json()) {
    ctx.print_json(operation_json(*op));
  } else {
    std::cout << op->kind << " of " << op->target_env << "/" << op->tenant << " succeeded: "
              << ready_to_paste(op->id + " (undo with `wpfleet rollback " + op->id + "`)") << "\n";
  }
  return kExitOk;
}

int export_command(Context& ctx, const ContentOptions& o) {
  int exit_code = kExitFailure;
  auto opened = open_workbench(ctx, "export", LockMode::Exclusive, exit_code);
  if (!opened) return exit_code;
  auto manifest = opened->operations->export_tenant(o.env, o.tenant, o.file,
                                                    transfer::ExportOptions{o.tables, !o.no_files});
  if (!manifest) return fail(manifest.error(), kExitFailure);
  if (ctx.options().json()) {
    ctx.print_json(nlohmann::json::parse(transfer::manifest_json(*manifest)));
  } else {
    std::cout << "exported " << o.env << "/" << o.tenant << " to " << o.file << " ("
              << counted(manifest->table_rows.size(), "table") << ", "
              << counted(manifest->file_count, "file") << ")\n";
  }
  return kExitOk;
}

// An archive goes to a tenant the fleet file runs in the environment (its own, or the
// one --as names): apply makes the tenant first, so it must know it.
Status import_target_placed(Workbench& bench, const ContentOptions& o) {
  TRY(bench.engine->validate_scope(Scope{{o.env}, {}, false}));
  std::string tenant = o.as;
  if (tenant.empty()) {
    TRY_ASSIGN(transfer::Manifest manifest, transfer::read_manifest(o.file));
    tenant = manifest.tenant;
  }
  if (!bench.fleet.find_tenant(tenant)) {
    return make_error("tenant '" + tenant + "' is not in the fleet file " +
                      bench.fleet.source_path + ": add a [[tenants]] entry with id = \"" +
                      tenant + "\" and \"" + o.env + "\" in its environments, then import again" +
                      (o.as.empty() ? " (or pass --as with a tenant the file has)" : ""));
  }
  TRY(bench.engine->context(o.env, tenant));
  return {};
}

int import_command(Context& ctx, const ContentOptions& o) {
  int exit_code = kExitFailure;
  auto opened = open_workbench(ctx, "import", LockMode::Exclusive, exit_code);
  if (!opened) return exit_code;
  Workbench& bench = *opened;
  if (Status placed = import_target_placed(bench, o); !placed) {
    return fail(placed.error(), kExitInvalidInput);
  }
  return report_operation(ctx, bench.operations->import_archive(o.file, o.env, o.as));
}

int print_dry_run(Context& ctx, const transfer::Survey& dry, const ContentOptions& o,
                  const std::string& tenant) {
  const nlohmann::json counts = replacement_counts_json(dry.replacements);
  if (ctx.options().json()) {
    ctx.print_json({{"tenant", tenant}, {"from", o.from}, {"to", o.to},
                    {"tables", dry.table_rows}, {"files", dry.files},
                    {"replacements", counts["columns"]}});
    return kExitOk;
  }
  std::cout << "would promote " << tenant << " from " << o.from << " to " << o.to << ": "
            << counted(dry.table_rows.size(), "table") << ", " << counted(dry.files, "file")
            << "; a snapshot of the target first\n";
  print_replacement_counts(std::cout, counts);
  return kExitOk;
}

int promote_command(Context& ctx, const ContentOptions& o) {
  if (o.all == !o.tenant.empty()) {
    return fail("name one tenant or pass --all", kExitInvalidInput);
  }
  int exit_code = kExitFailure;
  auto opened = open_workbench(ctx, "promote", o.dry_run ? LockMode::None : LockMode::Exclusive, exit_code);
  if (!opened) return exit_code;
  Workbench& bench = *opened;
  const transfer::PromoteOptions options{o.dry_run, o.tables, !o.no_files, o.approve, o.force,
                                         o.streams};
  std::vector<std::string> tenants;
  if (o.all) {
    for (const auto& t : bench.fleet.tenants) {
      const bool in_from = std::find(t.environments.begin(), t.environments.end(), o.from) != t.environments.end();
      const bool in_to = std::find(t.environments.begin(), t.environments.end(), o.to) != t.environments.end();
      if (in_from && in_to) tenants.push_back(t.id);
    }
    if (tenants.empty()) return fail("no tenant is in both " + o.from + " and " + o.to, kExitInvalidInput);
  } else {
    tenants.push_back(o.tenant);
  }
  if (o.dry_run) {
    for (const auto& tenant : tenants) {
      auto dry = bench.operations->promote_dry_run(tenant, o.from, o.to, options);
      if (!dry) return fail(dry.error(), kExitFailure);
      print_dry_run(ctx, *dry, o, tenant);
    }
    return kExitOk;
  }
  if (!o.all) return report_operation(ctx, bench.operations->promote(tenants[0], o.from, o.to, options));

  // --all: provision the targets in one apply, then promote each tenant on its own.
  auto plan = bench.engine->plan(Scope{{o.to}, tenants, false});
  if (!plan) return fail(plan.error(), kExitFailure);
  if (!bench.engine->apply(*plan, 4, &Context::progress).ok()) {
    return fail("could not provision every tenant in " + o.to + ": see above", kExitFailure);
  }
  std::vector<Result<OperationRecord>> results(tenants.size(), make_error("not run"));
  run_parallel(tenants.size(), 2, [&](std::size_t i) {
    results[i] = bench.operations->promote(tenants[i], o.from, o.to, options);
  });
  nlohmann::json all = nlohmann::json::array();
  bool ok = true;
  for (std::size_t i = 0; i < tenants.size(); ++i) {
    if (results[i]) {
      all.push_back(operation_json(*results[i]));
      if (!ctx.options().json()) std::cout << tenants[i] << ": promoted (" << results[i]->id << ")\n";
    } else {
      ok = false;
      const std::string error = ready_to_paste(results[i].error().message);
      all.push_back({{"tenant", tenants[i]}, {"error", error}});
      if (!ctx.options().json()) std::cout << tenants[i] << ": FAILED: " << error << "\n";
    }
  }
  if (ctx.options().json()) ctx.print_json(all);
  return ok ? kExitOk : kExitFailure;
}

int snapshot_create_command(Context& ctx, const ContentOptions& o) {
  int exit_code = kExitFailure;
  auto opened = open_workbench(ctx, "snapshot create", LockMode::Exclusive, exit_code);
  if (!opened) return exit_code;
  auto snapshot = opened->operations->create_snapshot(o.env, o.tenant, "manual");
  if (!snapshot) return fail(snapshot.error(), kExitFailure);
  const auto& deleted = opened->operations->deleted_by_budget();
  if (ctx.options().json()) {
    nlohmann::json by_budget = nlohmann::json::array();
    for (const auto& s : deleted) by_budget.push_back({{"id", s.id}, {"tenant", s.tenant}});
    ctx.print_json({{"id", snapshot->id}, {"path", snapshot->path}, {"bytes", snapshot->bytes},
                    {"deleted_by_budget", by_budget}});
  } else {
    // Its cost: the dump and the files no earlier snapshot of the environment had.
    std::cout << "snapshot " << snapshot->id << " of " << o.env << "/" << o.tenant << " ("
              << human_bytes(static_cast<std::uint64_t>(snapshot->bytes)) << " new)\n";
    for (const auto& s : deleted) {
      std::cout << "deleted snapshot " << s.id << " of " << o.env << "/" << s.tenant
                << " (taken " << utc_time(s.created_at) << ") to stay within snapshot_budget\n";
    }
  }
  return kExitOk;
}

int snapshot_list_command(Context& ctx, const ContentOptions& o) {
  auto session = ctx.open(LockMode::None, "snapshot list");
  if (!session) return fail(session.error(), kExitFailure);
  // Every tenant's of the environment: they share its stored files.
  auto snapshots = session->store->snapshots(o.env, "");
  if (!snapshots) return fail(snapshots.error(), kExitFailure);
  const auto contents = transfer::read_snapshot_contents(*snapshots);
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& space : transfer::space_of(contents)) {
    const SnapshotRecord& s = space.record;
    if (s.tenant != o.tenant) continue;
    out.push_back({{"id", s.id}, {"created_at", s.created_at}, {"taken", utc_time(s.created_at)},
                   {"bytes", s.bytes}, {"own_bytes", space.own_bytes},
                   {"shared_bytes", space.shared_bytes}, {"reason", s.reason}, {"path", s.path}});
    rows.push_back({s.id, utc_time(s.created_at), human_bytes(space.own_bytes),
                    human_bytes(space.shared_bytes), s.reason});
  }
  if (ctx.options().json()) {
    ctx.print_json(out);
  } else if (rows.empty()) {
    std::cout << "no snapshots of " << o.env << "/" << o.tenant << "\n";
  } else {
    // OWN goes with the snapshot; SHARED is files other snapshots of the environment list too.
    print_table({"SNAPSHOT", "TAKEN", "OWN", "SHARED", "REASON"}, rows);
    // What snapshot_budget is measured against.
    std::cout << "the snapshots of every tenant of " << o.env << " take "
              << human_bytes(transfer::disk_used(contents)) << " on disk\n";
  }
  return kExitOk;
}

int snapshot_delete_command(Context& ctx, const ContentOptions& o) {
  int exit_code = kExitFailure;
  auto opened = open_workbench(ctx, "snapshot delete", LockMode::Exclusive, exit_code);
  if (!opened) return exit_code;
  // An environment gone from the fleet file may have been production: ask to be safe.
  const Environment* env = opened->fleet.find_environment(o.env);
  if ((!env || env->production) && !o.approve) {
    return fail("'" + o.env + "' is a production environment (or no longer in the fleet file): "
                "deleting its snapshots needs --approve", kExitInvalidInput);
  }
  auto found = opened->session.store->snapshot(o.id);
  if (!found) return fail(found.error(), kExitFailure);
  if (!*found || (*found)->env != o.env || (*found)->tenant != o.tenant) {
    return fail("no snapshot " + o.id + " of " + o.env + "/" + o.tenant + " (see `wpfleet snapshot list " +
                o.tenant + " -e " + o.env + "`)", kExitInvalidInput);
  }
  auto deleted = opened->operations->delete_snapshot(**found);
  if (!deleted) return fail(deleted.error(), kExitFailure);
  if (ctx.options().json()) {
    ctx.print_json({{"id", deleted->snapshot.id}, {"freed_bytes", deleted->freed_bytes}});
  } else {
    std::cout << "deleted snapshot " << deleted->snapshot.id << " of " << o.env << "/" << o.tenant
              << " (taken " << utc_time(deleted->snapshot.created_at) << "), freeing "
              << human_bytes(deleted->freed_bytes) << "\n";
  }
  return kExitOk;
}

int snapshot_restore_command(Context& ctx, const ContentOptions& o) {
  int exit_code = kExitFailure;
  auto opened = open_workbench(ctx, "snapshot restore", LockMode::Exclusive, exit_code);
  if (!opened) return exit_code;
  Workbench& bench = *opened;
  return report_operation(ctx, bench.operations->restore_snapshot(o.env, o.tenant, o.id));
}

// An operation rolled back already has its content gone: rolling it back again would
// put its snapshot over whatever changed since, with nothing gained.
Status not_rolled_back(StateStore& store, const std::string& id) {
  TRY_ASSIGN(auto found, store.operations(id));
  // A mistyped id is invalid input too, as an unknown tenant is.
  if (found.empty()) return make_error("no operation " + id + " (see `wpfleet history`)");
  const OperationRecord& op = found.front();
  constexpr std::string_view kRolledBackBy = "rolled back by ";
  if (op.status.starts_with(kRolledBackBy)) {
    const std::string by = op.status.substr(kRolledBackBy.size());
    TRY_ASSIGN(auto rollbacks, store.operations(by));
    const std::string at = rollbacks.empty() ? "" : " on " + utc_time(rollbacks.front().started_at);
    return make_error("operation " + id + " was already rolled back" + at + " by " + by +
                      "; to undo that rollback instead, run `wpfleet rollback " + by + "`");
  }
  if (op.status == "rolled back after interruption") {
    return make_error("operation " + id + " was interrupted and rolled back" +
                      (op.finished_at ? " on " + utc_time(op.finished_at) : std::string()) +
                      ", so its content never stayed: there is nothing to roll back");
  }
  return {};
}

int rollback_command(Context& ctx, const ContentOptions& o) {
  int exit_code = kExitFailure;
  auto opened = open_workbench(ctx, "rollback", LockMode::Exclusive, exit_code);
  if (!opened) return exit_code;
  Workbench& bench = *opened;
  if (Status open = not_rolled_back(*bench.session.store, o.id); !open) {
    return fail(open.error(), kExitInvalidInput);
  }
  return report_operation(ctx, bench.operations->rollback(o.id));
}

int history_command(Context& ctx) {
  auto session = ctx.open(LockMode::None, "history");
  if (!session) return fail(session.error(), kExitFailure);
  auto operations = session->store->operations();
  if (!operations) return fail(operations.error(), kExitFailure);
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& op : *operations) {
    out.push_back(operation_json(op));
    const std::string where = (op.source_env.empty() ? "" : op.source_env + " -> ") + op.target_env;
    rows.push_back({op.id, utc_time(op.started_at), op.kind, op.tenant, where, op.status,
                    op.error.empty() ? "" : op.error.substr(0, 80)});
  }
  if (ctx.options().json()) {
    ctx.print_json(out);
  } else if (rows.empty()) {
    std::cout << "no operations yet\n";
  } else {
    print_table({"OPERATION", "STARTED", "KIND", "TENANT", "ENV", "STATUS", "ERROR"}, rows);
  }
  return kExitOk;
}

template <class Body>
void on_run(CLI::App* cmd, Context& ctx, CommandBody& selected, std::shared_ptr<ContentOptions> o,
            Body body) {
  cmd->callback([&ctx, &selected, o, body] { selected = [&ctx, o, body] { return body(ctx, *o); }; });
}
}  // namespace

void register_content(CLI::App& app, Context& ctx, CommandBody& selected) {
  // An empty name (--tables '') would reach the dump as one.
  const CLI::Validator table_name(
      [](const std::string& name) -> std::string {
        return name.find_first_not_of(" \t,") == std::string::npos
                   ? "--tables has an empty name: name tables one per argument, e.g. --tables wp_options wp_posts"
                   : "";
      },
      "TABLE");
  auto o = std::make_shared<ContentOptions>();

  auto* exp = app.add_subcommand("export", "Write a tenant's database and files to one archive");
  exp->add_option("tenant", o->tenant, "Tenant id")->required();
  exp->add_option("-e,--env", o->env, "Environment")->required();
  exp->add_option("-o,--out", o->file, "Archive file to write")->required();
  exp->add_option("--tables", o->tables, "Only these tables")->check(table_name);
  exp->add_flag("--no-files", o->no_files, "Leave wp-content out");
  on_run(exp, ctx, selected, o, export_command);

  auto* imp = app.add_subcommand(
      "import", "Load an archive into a tenant (URLs rewritten; a snapshot is taken first)");
  imp->add_option("file", o->file, "Archive from `wpfleet export`")->required()->check(CLI::ExistingFile);
  imp->add_option("-e,--env", o->env, "Environment")->required();
  imp->add_option("--as", o->as, "Tenant id (default: the archive's)");
  on_run(imp, ctx, selected, o, import_command);

  auto* promote = app.add_subcommand(
      "promote", "Copy a tenant's content to another environment, with automatic rollback");
  promote->add_option("tenant", o->tenant, "Tenant id (or --all)");
  promote->add_option("--from", o->from, "Source environment")->required();
  promote->add_option("--to", o->to, "Target environment")->required();
  promote->add_flag("--all", o->all, "Every tenant in both environments, in parallel");
  promote->add_flag("--dry-run", o->dry_run, "Show what would move and the URL rewrites; change nothing");
  promote->add_option("--tables", o->tables, "Only these tables")->check(table_name);
  promote->add_flag("--no-files", o->no_files, "Leave wp-content as it is");
  promote->add_flag("--approve", o->approve, "Required to promote into a production environment");
  promote->add_flag("--force", o->force, "Overwrite production even if it changed since its last snapshot");
  promote
      ->add_option("--streams", o->streams,
                   "Connections that copy the database at once, from one consistent snapshot "
                   "(default: two per CPU, 2 to 8; 1 is a single mariadb-dump | mariadb)")
      ->check(CLI::Range(1U, 16U));
  on_run(promote, ctx, selected, o, promote_command);

  auto* snapshot = app.add_subcommand("snapshot", "Snapshots of a tenant's content");
  snapshot->require_subcommand(1);
  auto* create = snapshot->add_subcommand("create", "Take a snapshot now");
  auto* list = snapshot->add_subcommand("list", "List a tenant's snapshots, newest first");
  auto* restore = snapshot->add_subcommand("restore", "Restore a snapshot (default: the newest)");
  auto* remove = snapshot->add_subcommand(
      "delete", "Delete a snapshot and the stored files no other snapshot lists");
  for (CLI::App* cmd : {create, list, restore, remove}) {
    cmd->add_option("tenant", o->tenant, "Tenant id")->required();
    cmd->add_option("-e,--env", o->env, "Environment")->required();
  }
  restore->add_option("--id", o->id, "Snapshot id (see `snapshot list`)");
  remove->add_option("--id", o->id, "Snapshot id (see `snapshot list`)")->required();
  remove->add_flag("--approve", o->approve, "Required to delete a production environment's snapshot");
  on_run(create, ctx, selected, o, snapshot_create_command);
  on_run(list, ctx, selected, o, snapshot_list_command);
  on_run(restore, ctx, selected, o, snapshot_restore_command);
  on_run(remove, ctx, selected, o, snapshot_delete_command);

  auto* rollback = app.add_subcommand("rollback", "Undo an operation: restore the snapshot taken before it");
  rollback->add_option("operation", o->id, "Operation id (see `wpfleet history`)")->required();
  on_run(rollback, ctx, selected, o, rollback_command);

  app.add_subcommand("history", "Content operations, newest first")
      ->callback([&ctx, &selected] { selected = [&ctx] { return history_command(ctx); }; });
}

}  // namespace wpfleet::cli
