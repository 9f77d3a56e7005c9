// plan and apply.
#include <iostream>
#include <memory>
#include <set>
#include <thread>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/workbench.h"
#include "engine/engine.h"
#include "engine/verify.h"
#include "platform/platform.h"

namespace wpfleet::cli {

namespace {
struct PlanApplyOptions {
  std::vector<std::string> envs;
  std::vector<std::string> tenants;
  bool prune = false;
  bool yes = false;
  bool approve = false;
  int parallel = 0;
};

char action_symbol(ActionType type) {
  switch (type) {
    case ActionType::Create: return '+';
    case ActionType::Adopt: return '=';
    case ActionType::Update: return '~';
    case ActionType::Delete: return '-';
  }
  return '?';
}

nlohmann::json plan_json(const Plan& plan) {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& a : plan.actions) {
    changes.push_back({{"action", action_name(a.type)}, {"env", a.key.env},
                       {"tenant", a.key.tenant}, {"resource", kind_name(a.key.kind)},
                       {"reason", a.reason}});
  }
  nlohmann::json orphans = nlohmann::json::array();
  for (const auto& [env, tenant] : plan.orphans) orphans.push_back({{"env", env}, {"tenant", tenant}});
  return {{"changes", changes}, {"orphans", orphans}};
}

void print_plan(const Plan& plan, std::ostream& out) {
  int counts[4] = {0, 0, 0, 0};
  for (const auto& a : plan.actions) {
    ++counts[static_cast<int>(a.type)];
    out << "  " << action_symbol(a.type) << " " << action_name(a.type) << " " << a.key.env << "/"
        << a.key.tenant << " " << kind_name(a.key.kind) << "  (" << a.reason << ")\n";
  }
  for (const auto& [env, tenant] : plan.orphans) {
    out << "  ! " << env << "/" << tenant
        << " is managed by wpfleet but not in the fleet file: `wpfleet apply --prune` deletes it\n";
  }
  if (plan.empty()) {
    out << "No changes: the fleet matches the fleet file.\n";
  } else {
    out << "Plan: " << counts[0] << " to create, " << counts[1] << " to adopt, " << counts[2]
        << " to update, " << counts[3] << " to delete.\n";
  }
}

// The workbench for plan and apply, with the scope checked; for apply (a lock held)
// the running platform's listeners brought up to date with the fleet file first.
std::unique_ptr<Workbench> prepare(Context& ctx, const PlanApplyOptions& o, LockMode lock,
                                   const char* name, int& exit_code) {
  auto bench = open_workbench(ctx, name, lock, exit_code, o.envs);
  if (!bench) return nullptr;
  if (Status valid = bench->engine->validate_scope(Scope{o.envs, o.tenants, o.prune}); !valid) {
    exit_code = fail(valid.error(), kExitInvalidInput);
    return nullptr;
  }
  if (lock == LockMode::Exclusive && uses_local_platform(bench->fleet, o.envs)) {
    // The fleet file may have gained a listen address or TLS (a no-op when not).
    Status updated = platform_up(bench->session.layout, platform_options(bench->fleet),
                                 &Context::progress);
    if (!updated) {
      exit_code = fail(updated.error(), kExitFailure);
      return nullptr;
    }
  }
  return bench;
}

// What apply would finish or undo before planning: work a crash left unfinished in the
// scope (or that the command holding the lock is doing now).
Result<std::vector<std::string>> unfinished_lines(Workbench& bench, const PlanApplyOptions& o) {
  TRY_ASSIGN(auto work, unfinished_work(*bench.session.store));
  const auto listed = [](const std::vector<std::string>& filter, const std::string& value) {
    return filter.empty() || std::find(filter.begin(), filter.end(), value) != filter.end();
  };
  const auto holder = work.empty() ? std::nullopt : StateLock::holder(bench.session.layout);
  std::vector<std::string> lines;
  for (const auto& u : work) {
    if (!listed(o.envs, u.env) || !listed(o.tenants, u.tenant)) continue;
    lines.push_back(holder ? u.what + " is in progress (" + *holder + ")"
                           : u.what + " did not finish: `wpfleet apply` finishes or undoes it");
  }
  return lines;
}

int plan_command(Context& ctx, const PlanApplyOptions& o) {
  int exit_code = kExitFailure;
  auto prepared = prepare(ctx, o, LockMode::None, "plan", exit_code);
  if (!prepared) return exit_code;
  auto plan = prepared->engine->plan(Scope{o.envs, o.tenants, o.prune});
  if (!plan) return fail(plan.error(), kExitFailure);
  auto unfinished = unfinished_lines(*prepared, o);
  if (!unfinished) return fail(unfinished.error(), kExitFailure);
  if (ctx.options().json()) {
    nlohmann::json out = plan_json(*plan);
    out["unfinished"] = *unfinished;
    ctx.print_json(out);
  } else {
    for (const auto& line : *unfinished) std::cout << "  ! " << line << "\n";
    print_plan(*plan, std::cout);
  }
  return plan->empty() && unfinished->empty() ? kExitOk : kExitChangesPending;
}

// "env/tenant" of every tenant the plan deletes in a production environment.
std::vector<std::string> production_deletions(const Fleet& fleet, const Plan& plan) {
  std::set<std::string> placements;
  for (const auto& action : plan.actions) {
    const Environment* env = fleet.find_environment(action.key.env);
    if (action.type == ActionType::Delete && env && env->production) {
      placements.insert(action.key.env + "/" + action.key.tenant);
    }
  }
  return {placements.begin(), placements.end()};
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// The snapshots of the tenants the apply deleted (a snapshot outlives nothing it was
// taken of, except in production).
Status dispose_deleted_snapshots(Workbench& bench, const Plan& plan, const ApplyReport& report) {
  std::set<std::pair<std::string, std::string>> deleted;
  for (const auto& action : plan.actions) {
    if (action.type == ActionType::Delete) deleted.insert({action.key.env, action.key.tenant});
  }
  for (const auto& t : report.tenants) {
    if (!t.error.empty() || !deleted.count({t.env, t.tenant})) continue;
    TRY_ASSIGN(auto disposal, bench.operations->dispose_snapshots(t.env, t.tenant));
    Context::progress(transfer::describe(disposal, t.env, t.tenant));
  }
  return {};
}

int apply_command(Context& ctx, const PlanApplyOptions& o) {
  int exit_code = kExitFailure;
  auto prepared = prepare(ctx, o, LockMode::Exclusive, "apply", exit_code);
  if (!prepared) return exit_code;
  Engine& engine = *prepared->engine;
  auto deleting = engine.recover(&Context::progress);
  if (!deleting) return fail(deleting.error(), kExitFailure);
  const Scope scope{o.envs, o.tenants, o.prune};
  if (Status finished = prepared->operations->finish_interrupted(scope); !finished) {
    return fail(finished.error(), kExitFailure);
  }
  auto plan = engine.plan(scope, *deleting);
  if (!plan) return fail(plan.error(), kExitFailure);
  print_plan(*plan, std::cerr);
  if (plan->empty()) return kExitOk;

  const bool deletes = std::any_of(plan->actions.begin(), plan->actions.end(),
                                   [](const Action& a) { return a.type == ActionType::Delete; });
  const auto production = production_deletions(prepared->fleet, *plan);
  if (!production.empty() && !o.approve) {
    return fail("not applied: the plan deletes production tenants (" + joined(production) +
                    "); that needs --approve (a snapshot of each is taken first and kept)",
                kExitInvalidInput);
  }
  if (deletes && !o.yes && deleting->empty() && !confirm("Delete these tenants' data for good?")) {
    return fail("not applied: the plan deletes tenants; confirm on a terminal or pass --yes",
                kExitFailure);
  }
  for (const auto& placement : production) {
    const auto slash = placement.find('/');
    auto kept = prepared->operations->snapshot_before_delete(placement.substr(0, slash),
                                                             placement.substr(slash + 1));
    if (!kept) return fail("not applied: " + kept.error().message, kExitFailure);
  }
  const int parallel = o.parallel > 0 ? o.parallel
                                      : static_cast<int>(std::max(4u, 2 * std::thread::hardware_concurrency()));
  const auto started = std::chrono::steady_clock::now();
  ApplyReport report = engine.apply(*plan, parallel, &Context::progress);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (Status disposed = dispose_deleted_snapshots(*prepared, *plan, report); !disposed) {
    return fail(disposed.error(), kExitFailure);
  }

  nlohmann::json tenants = nlohmann::json::array();
  for (const auto& t : report.tenants) {
    const Tenant* tenant = prepared->fleet.find_tenant(t.tenant);
    const Environment* env = prepared->fleet.find_environment(t.env);
    std::string url;
    if (tenant && env && t.error.empty()) url = make_tenant_context(*tenant, *env).home_url + "/";
    tenants.push_back({{"env", t.env}, {"tenant", t.tenant}, {"changes", t.changes},
                       {"ok", t.error.empty()}, {"error", t.error}, {"url", url}});
  }
  if (ctx.options().json()) {
    ctx.print_json({{"ok", report.ok()}, {"seconds", seconds}, {"tenants", tenants}});
  } else {
    for (const auto& t : tenants) {
      if (!t["ok"].get<bool>()) {
        std::cout << t["env"].get<std::string>() << "/" << t["tenant"].get<std::string>()
                  << ": FAILED: " << t["error"].get<std::string>() << "\n";
      } else if (!t["url"].get<std::string>().empty()) {
        std::cout << t["env"].get<std::string>() << "/" << t["tenant"].get<std::string>() << ": "
                  << t["url"].get<std::string>() << "\n";
      }
    }
    std::fprintf(stderr, "applied in %.1f s\n", seconds);
  }
  return report.ok() ? kExitOk : kExitFailure;
}

void add_scope_options(CLI::App* cmd, PlanApplyOptions& o) {
  cmd->add_option("-e,--env", o.envs, "Only this environment (repeatable)");
  cmd->add_option("tenants", o.tenants, "Only these tenant ids");
  cmd->add_flag("--prune", o.prune,
                "Also delete tenants wpfleet manages that the fleet file no longer lists");
}
}  // namespace

void register_plan_apply(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto plan_options = std::make_shared<PlanApplyOptions>();
  auto* plan = app.add_subcommand(
      "plan", "Show what apply would change, per tenant and resource (exit 0: nothing, 2: changes)");
  add_scope_options(plan, *plan_options);
  plan->callback([&ctx, &selected, plan_options] {
    selected = [&ctx, plan_options] { return plan_command(ctx, *plan_options); };
  });

  auto apply_options = std::make_shared<PlanApplyOptions>();
  auto* apply = app.add_subcommand(
      "apply", "Create, adopt and update tenants until the fleet matches the fleet file");
  add_scope_options(apply, *apply_options);
  apply->add_flag("-y,--yes", apply_options->yes, "Do not ask before deleting (with --prune)");
  apply->add_flag("--approve", apply_options->approve,
                  "Needed to delete tenants of a production environment (with --prune); a "
                  "snapshot of each is taken first and kept");
  apply->add_option("--parallel", apply_options->parallel,
                    "Tenants worked on at once (default: 2 per CPU, at least 4)")
      ->check(CLI::Range(1, 256));
  apply->callback([&ctx, &selected, apply_options] {
    selected = [&ctx, apply_options] { return apply_command(ctx, *apply_options); };
  });
}

}  // namespace wpfleet::cli
