// backup run | list | restore: the environment's scheduled backups (transfer/backups.h).
// The supervisor runs `backup run --due --applied-fleet` every minute.
#include <iostream>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/workbench.h"
#include "engine/watch.h"
#include "fleet/parse.h"
#include "transfer/backups.h"
#include "util/human.h"
#include "util/unix_time.h"

namespace wpfleet::cli {

namespace {

struct BackupOptions {
  std::string env;
  std::vector<std::string> tenants;
  bool due = false;
  bool applied_fleet = false;
  bool approve = false;
  std::string tenant;  // restore: the one tenant
  std::string backup;  // restore: its name (time) or path
};

Result<Fleet> fleet_for(Context& ctx, const BackupOptions& o) {
  if (!o.applied_fleet) return ctx.load_fleet();
  TRY_ASSIGN(std::optional<std::string> path, applied_fleet_file(ctx.state_dir()));
  if (!path) return make_error("no `wpfleet apply` has run with this state directory yet");
  return load_fleet_file(*path);
}

// The placements a backup command covers: every tenant (or those named) of `-e ENV`, or
// of every environment with backup settings, that has been applied.
Result<std::vector<Placement>> covered(const Fleet& fleet, StateStore& store, const BackupOptions& o) {
  if (!o.env.empty()) {
    const Environment* env = fleet.find_environment(o.env);
    if (!env) return make_error("unknown environment '" + o.env + "': use one the fleet file defines");
    if (!env->backup) {
      return make_error("environment '" + o.env + "' has no backup settings: add backup = { every = "
                        "\"24h\", keep = 14, to = \"/var/backups/wpfleet\" } to it in the fleet file");
    }
  }
  TRY_ASSIGN(const auto applied, applied_tenants(store));
  std::vector<Placement> out;
  for (const Placement& p : placements(fleet, o.env.empty() ? std::vector<std::string>{} : std::vector{o.env},
                                       o.tenants)) {
    if (p.environment->backup && applied.count({p.environment->name, p.tenant->id})) out.push_back(p);
  }
  for (const std::string& id : o.tenants) {
    if (!fleet.find_tenant(id)) return make_error("unknown tenant '" + id + "': use one the fleet file defines");
  }
  return out;
}

nlohmann::json backup_json(const transfer::BackupRecord& b) {
  return {{"env", b.env},         {"tenant", b.tenant},   {"name", b.name},
          {"path", b.location}, {"created_at", utc_time(b.created_at)},
          {"unix_time", b.created_at}, {"bytes", b.bytes}, {"verified", b.verified}};
}

// Whether any covered tenant is due, read without the state lock: the supervisor asks
// every minute, and must not hold the lock that user commands need when nothing is due.
Result<bool> anything_due(const Fleet& fleet, Context& ctx, const BackupOptions& o) {
  auto session = ctx.open(LockMode::None, "backup run");
  if (!session) return std::move(session).error();
  TRY_ASSIGN(const auto wanted, covered(fleet, *session->store, o));
  transfer::BackupStores stores(ctx.state_dir());
  for (const Placement& p : wanted) {
    TRY_ASSIGN(const auto existing, stores.list(*p.environment, p.tenant->id));
    if (transfer::backup_due(existing, *p.environment->backup, unix_now())) return true;
  }
  return false;
}

int run_command(Context& ctx, const BackupOptions& o) {
  auto fleet = fleet_for(ctx, o);
  if (!fleet) return o.applied_fleet ? kExitOk : fail(fleet.error(), kExitInvalidInput);
  if (o.due) {
    auto due = anything_due(*fleet, ctx, o);
    if (!due) return fail(due.error(), kExitInvalidInput);
    if (!*due) {
      if (ctx.options().json()) ctx.print_json({{"backups", nlohmann::json::array()}, {"failed", 0}});
      return kExitOk;
    }
  }
  int exit_code = kExitFailure;
  auto bench = open_workbench(ctx, std::move(*fleet), "backup run", LockMode::Exclusive, exit_code,
                              o.env.empty() ? std::vector<std::string>{} : std::vector{o.env});
  if (!bench) return exit_code;
  auto wanted = covered(bench->fleet, *bench->session.store, o);
  if (!wanted) return fail(wanted.error(), kExitInvalidInput);
  transfer::Backups backups(*bench->operations, *bench->engine, &Context::progress);
  transfer::BackupStores stores(ctx.state_dir());
  nlohmann::json taken = nlohmann::json::array();
  int failures = 0;
  for (const Placement& p : *wanted) {
    const BackupPolicy& policy = *p.environment->backup;
    if (o.due) {
      auto existing = stores.list(*p.environment, p.tenant->id);
      if (existing && !transfer::backup_due(*existing, policy, unix_now())) continue;
    }
    auto store = stores.of(*p.environment);
    auto backup = store ? backups.take(*p.environment, p.tenant->id, **store)
                        : Result<transfer::BackupRecord>(store.error());
    if (!backup) {
      ++failures;
      std::cerr << "wpfleet: " << ready_to_paste(backup.error().message) << "\n";
      continue;
    }
    taken.push_back(backup_json(*backup));
    if (!ctx.options().json()) {
      std::cout << "backed up " << backup->env << "/" << backup->tenant << ": " << backup->name << " ("
                << human_bytes(backup->bytes) << ", checked) " << backup->location << "\n";
    }
  }
  if (ctx.options().json()) ctx.print_json({{"backups", taken}, {"failed", failures}});
  return failures == 0 ? kExitOk : kExitFailure;
}

int list_command(Context& ctx, const BackupOptions& o) {
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  auto session = ctx.open(LockMode::None, "backup list");
  if (!session) return fail(session.error(), kExitFailure);
  auto wanted = covered(*fleet, *session->store, o);
  if (!wanted) return fail(wanted.error(), kExitInvalidInput);
  nlohmann::json listed = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  transfer::BackupStores stores(ctx.state_dir());
  for (const Placement& p : *wanted) {
    auto backups = stores.list(*p.environment, p.tenant->id);
    if (!backups) return fail(backups.error(), kExitFailure);
    for (const auto& b : *backups) {
      listed.push_back(backup_json(b));
      rows.push_back({b.name, b.env, b.tenant, utc_time(b.created_at), human_bytes(b.bytes),
                      b.verified ? "yes" : "NO (failed or interrupted)", b.location});
    }
  }
  if (ctx.options().json()) {
    ctx.print_json({{"backups", listed}});
  } else if (rows.empty()) {
    std::cout << "no backups yet: the supervisor takes them when due, or run "
              << ready_to_paste("`wpfleet backup run" + (o.env.empty() ? "" : " -e " + o.env) + "`") << "\n";
  } else {
    print_table({"BACKUP", "ENV", "TENANT", "TAKEN", "SIZE", "CHECKED", "PATH"}, rows);
  }
  return kExitOk;
}

int restore_command(Context& ctx, const BackupOptions& o) {
  int exit_code = kExitFailure;
  auto bench = open_workbench(ctx, "backup restore", LockMode::Exclusive, exit_code, {o.env});
  if (!bench) return exit_code;
  const Environment* env = bench->fleet.find_environment(o.env);
  if (!env || !env->backup) {
    return fail("environment '" + o.env + "' has no backup settings in the fleet file", kExitInvalidInput);
  }
  const std::string& tenant = o.tenant;
  auto store = transfer::open_backup_store(*env, transfer::backup_scratch(ctx.state_dir()));
  if (!store) return fail(store.error(), kExitFailure);
  auto backups = (*store)->list(o.env, tenant);
  if (!backups) return fail(backups.error(), kExitFailure);
  const auto found = std::find_if(backups->begin(), backups->end(), [&](const transfer::BackupRecord& b) {
    return b.name == o.backup || b.location == o.backup;
  });
  if (found == backups->end()) {
    return fail("no backup '" + o.backup + "' of " + o.env + "/" + tenant + ": list them with `wpfleet backup list " +
                    tenant + " -e " + o.env + "`",
                kExitInvalidInput);
  }
  if (!found->verified) {
    return fail("backup " + found->name + " did not pass its check after writing: restore another "
                "(`wpfleet backup list " + tenant + " -e " + o.env + "`)",
                kExitInvalidInput);
  }
  if (env->production && !o.approve) {
    return fail("not restored: restoring replaces the content of production; that needs --approve "
                "(a snapshot is taken first, so `wpfleet rollback` can undo it)",
                kExitInvalidInput);
  }
  auto archive = (*store)->fetch(*found);
  if (!archive) return fail(archive.error(), kExitFailure);
  auto op = bench->operations->import_archive(*archive, o.env, tenant);
  (*store)->release(*archive);
  if (!op) return fail(op.error(), kExitFailure);
  if (ctx.options().json()) {
    ctx.print_json({{"operation", op->id}, {"backup", backup_json(*found)}, {"snapshot", op->snapshot_id}});
  } else {
    std::cout << "restored " << o.env << "/" << tenant << " from backup " << found->name << ": "
              << ready_to_paste(op->id + " (undo with `wpfleet rollback " + op->id + "`)") << "\n";
  }
  return kExitOk;
}

}  // namespace

void register_backup(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto o = std::make_shared<BackupOptions>();
  auto* backup = app.add_subcommand(
      "backup", "Backups on the schedule of each environment's backup = { every, keep, to }");
  backup->require_subcommand(1);

  auto* run = backup->add_subcommand(
      "run", "Back up now, check each backup by loading it where the site cannot see it, and "
             "delete those beyond `keep`");
  run->add_option("tenant", o->tenants, "Tenant ids (default: every applied tenant)");
  run->add_option("-e,--env", o->env, "Environment (default: every one with backup settings)");
  run->add_flag("--due", o->due, "Only tenants whose last checked backup is `every` old");
  run->add_flag("--applied-fleet", o->applied_fleet,
                "Use the fleet file `wpfleet apply` last applied with this state directory");
  run->callback([&ctx, &selected, o] { selected = [&ctx, o] { return run_command(ctx, *o); }; });

  auto* list = backup->add_subcommand("list", "Backups with their time, size and whether they passed their check");
  list->add_option("tenant", o->tenants, "Tenant ids (default: every applied tenant)");
  list->add_option("-e,--env", o->env, "Environment (default: every one with backup settings)");
  list->callback([&ctx, &selected, o] { selected = [&ctx, o] { return list_command(ctx, *o); }; });

  auto* restore = backup->add_subcommand(
      "restore", "Replace a tenant's content with a backup's (a snapshot first: `wpfleet rollback` undoes it)");
  restore->add_option("tenant", o->tenant, "Tenant id")->required();
  restore->add_option("backup", o->backup, "The backup: its name (e.g. 20261130T064500Z) or path")->required();
  restore->add_option("-e,--env", o->env, "Environment")->required();
  restore->add_flag("--approve", o->approve, "Required to restore into a production environment");
  restore->callback([&ctx, &selected, o] { selected = [&ctx, o] { return restore_command(ctx, *o); }; });
}

}  // namespace wpfleet::cli
