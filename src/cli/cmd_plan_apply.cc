// plan and apply, and saved plans (plan --out FILE, apply FILE).
#include <iostream>
#include <memory>
#include <set>
#include <thread>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/workbench.h"
#include "engine/engine.h"
#include "engine/saved_plan.h"
#include "engine/watch.h"
#include "engine/verify.h"
#include "platform/platform.h"
#include "transfer/domain_change.h"
#include "util/crypto.h"
#include "util/fs.h"
#include "util/unix_time.h"

namespace wpfleet::cli {

namespace {
struct PlanApplyOptions {
  std::vector<std::string> envs;
  std::vector<std::string> tenants;
  bool prune = false;
  bool yes = false;
  bool approve = false;
  int parallel = 0;
  std::string out;  // plan --out: where to save the plan
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

void print_plan(const Plan& plan, std::ostream& out) {
  int counts[4] = {0, 0, 0, 0};
  for (const auto& a : plan.actions) {
    ++counts[static_cast<int>(a.type)];
    out << "  " << action_symbol(a.type) << " " << action_name(a.type) << " " << a.key.env << "/"
        << a.key.tenant << " " << kind_name(a.key.kind) << "  (" << a.reason << ")\n";
  }
  for (const auto& [env, tenant] : plan.orphans) {
    out << "  ! " << env << "/" << tenant
        << ready_to_paste(" is managed by wpfleet but not in the fleet file: "
                          "`wpfleet apply --prune` deletes it\n");
  }
  if (plan.empty()) {
    out << "No changes: the fleet matches the fleet file.\n";
  } else {
    out << "Plan: " << counts[0] << " to create, " << counts[1] << " to adopt, " << counts[2]
        << " to update, " << counts[3] << " to delete.\n";
  }
}

// The tenants whose content apply rewrites to their new URL (transfer/domain_change.h).
void print_domain_changes(const std::vector<transfer::DomainChange>& changes, std::ostream& out) {
  for (const auto& change : changes) out << "  ~ " << transfer::describe(change) << "\n";
}

nlohmann::json domain_changes_json(const std::vector<transfer::DomainChange>& changes) {
  nlohmann::json listed = nlohmann::json::array();
  for (const auto& c : changes) {
    listed.push_back({{"env", c.env}, {"tenant", c.tenant}, {"from", c.from_url}, {"to", c.to_url}});
  }
  return listed;
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
                           : ready_to_paste(u.what + " did not finish: `wpfleet apply` "
                                                     "finishes or undoes it"));
  }
  return lines;
}

// The tenants in scope that `wpfleet tenant sleep` took offline: apply leaves them so.
Result<std::vector<std::string>> asleep_lines(Workbench& bench, const PlanApplyOptions& o) {
  std::vector<std::string> lines;
  for (const auto& [name, env] : bench.fleet.environments) {
    if (!o.envs.empty() && std::find(o.envs.begin(), o.envs.end(), name) == o.envs.end()) continue;
    TRY_ASSIGN(auto sleeping, bench.session.store->sleeping(name));
    for (const auto& [tenant, record] : sleeping) {
      if (!o.tenants.empty() && std::find(o.tenants.begin(), o.tenants.end(), tenant) == o.tenants.end()) continue;
      lines.push_back(ready_to_paste(name + "/" + tenant + " is " +
                                     std::string(sleep_state_name(record.state)) +
                                     ": wake with `wpfleet tenant wake " + tenant + " -e " + name + "`"));
    }
  }
  return lines;
}

Result<std::string> fleet_file_sha256(const Context& ctx) {
  TRY_ASSIGN(std::string text, read_file(ctx.options().fleet_file));
  return sha256_hex(text);
}

std::string utc_now() { return utc_text(unix_now(), "%Y-%m-%dT%H:%M:%SZ"); }

// plan --out: the plan with what it was made from, for `apply FILE` (saved_plan.h).
Result<SavedPlan> save_plan(const Context& ctx, const PlanApplyOptions& o, const Plan& plan,
                            const ObservedState& observed,
                            const std::vector<std::string>& unfinished) {
  if (!unfinished.empty()) {
    // apply finishes or undoes such work before it plans, so the plan shown here is not
    // what it would do.
    return make_error("plan not saved: " + unfinished.front() +
                      "; a saved plan must be all that apply does, so run `wpfleet apply` "
                      "(without a plan file) first, then make the plan again");
  }
  SavedPlan saved{"", o.envs, o.tenants, o.prune, observed, plan, utc_now()};
  // The file is hashed after the plan was made from it: an edit in between makes apply
  // plan differently from the saved plan, and it refuses.
  TRY_ASSIGN(saved.fleet_sha256, fleet_file_sha256(ctx));
  TRY(write_file_atomic(o.out, saved_plan_json(saved), 0644));
  return saved;
}

int plan_command(Context& ctx, const PlanApplyOptions& o) {
  int exit_code = kExitFailure;
  auto prepared = prepare(ctx, o, LockMode::None, "plan", exit_code);
  if (!prepared) return exit_code;
  ObservedState observed;
  auto plan = prepared->engine->plan(Scope{o.envs, o.tenants, o.prune}, {}, &observed);
  if (!plan) return fail(plan.error(), kExitFailure);
  auto unfinished = unfinished_lines(*prepared, o);
  if (!unfinished) return fail(unfinished.error(), kExitFailure);
  auto asleep = asleep_lines(*prepared, o);
  if (!asleep) return fail(asleep.error(), kExitFailure);
  auto domain_changes = transfer::DomainChanges(prepared->fleet, prepared->session)
                            .find(Scope{o.envs, o.tenants, o.prune});
  if (!domain_changes) return fail(domain_changes.error(), kExitFailure);
  std::optional<SavedPlan> saved;
  if (!o.out.empty()) {
    auto written = save_plan(ctx, o, *plan, observed, *unfinished);
    if (!written) return fail(written.error(), kExitFailure);
    saved = std::move(*written);
  }
  if (ctx.options().json()) {
    nlohmann::json out = plan_json(*plan);
    out["unfinished"] = *unfinished;
    out["asleep"] = *asleep;
    out["domain_changes"] = domain_changes_json(*domain_changes);
    if (saved) {
      out["saved"] = {{"file", o.out}, {"fleet_sha256", saved->fleet_sha256},
                      {"observed_sha256", observed_sha256(saved->observed)}};
    }
    ctx.print_json(out);
  } else {
    for (const auto& line : *unfinished) std::cout << "  ! " << line << "\n";
    for (const auto& line : *asleep) std::cout << "  z " << line << "\n";
    print_domain_changes(*domain_changes, std::cout);
    print_plan(*plan, std::cout);
  }
  if (saved) {
    Context::progress("plan saved to " + o.out + ": `wpfleet apply " + o.out +
                      "` applies exactly this, unless the fleet file or the state changes first");
  }
  return plan->empty() && unfinished->empty() && domain_changes->empty() ? kExitOk
                                                                        : kExitChangesPending;
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

// After apply moved them to their new URL, the content of the tenants whose domain
// changed is rewritten to it; a tenant apply failed keeps its note for the next apply.
void rewrite_content(Workbench& bench, const transfer::DomainChanges& domains,
                     const std::vector<transfer::DomainChange>& changes, ApplyReport& report) {
  for (const auto& change : changes) {
    auto outcome = std::find_if(report.tenants.begin(), report.tenants.end(), [&](const TenantOutcome& t) {
      return t.env == change.env && t.tenant == change.tenant;
    });
    if (outcome == report.tenants.end()) {
      outcome = report.tenants.insert(report.tenants.end(), {change.env, change.tenant, 0, ""});
    }
    if (!outcome->error.empty()) continue;
    Context::progress(transfer::describe(change) + "…");
    auto rewritten = domains.rewrite(*bench.operations, change);
    if (!rewritten) {
      outcome->error = rewritten.error().message;
      continue;
    }
    ++outcome->changes;
    Context::progress(ready_to_paste(change.env + "/" + change.tenant + ": content rewritten to " +
                                     change.to_url + " (undo with `wpfleet rollback " +
                                     rewritten->id + "`)"));
  }
}

// Applies a plan made under the lock (or a saved one checked under it): deletions are
// confirmed (and approved in production) first. `finishing` is true when the deletes
// finish ones a crash interrupted, which were confirmed when they started.
int apply_planned(Context& ctx, Workbench& bench, const Plan& plan, const PlanApplyOptions& o,
                  bool finishing) {
  const transfer::DomainChanges domains(bench.fleet, bench.session);
  auto domain_changes = domains.find(Scope{o.envs, o.tenants, o.prune});
  if (!domain_changes) return fail(domain_changes.error(), kExitFailure);
  print_domain_changes(*domain_changes, std::cerr);
  print_plan(plan, std::cerr);
  // The supervisor's watcher (`wpfleet watch run --applied-fleet`) watches what was
  // applied last.
  if (Status noted = remember_applied_fleet(bench.session.layout.root, ctx.options().fleet_file);
      !noted) {
    Context::progress("the watcher will not watch this fleet file: " + noted.error().message);
  }
  if (plan.empty() && domain_changes->empty()) {
    if (ctx.options().json()) {
      ctx.print_json({{"ok", true}, {"seconds", 0}, {"tenants", nlohmann::json::array()}});
    }
    return kExitOk;
  }

  const bool deletes = std::any_of(plan.actions.begin(), plan.actions.end(),
                                   [](const Action& a) { return a.type == ActionType::Delete; });
  const auto production = production_deletions(bench.fleet, plan);
  if (!production.empty() && !o.approve) {
    return fail("not applied: the plan deletes production tenants (" + joined(production) +
                    "); that needs --approve (a snapshot of each is taken first and kept)",
                kExitInvalidInput);
  }
  if (deletes && !o.yes && !finishing && !confirm("Delete these tenants' data for good?")) {
    return fail("not applied: the plan deletes tenants; confirm on a terminal or pass --yes",
                kExitFailure);
  }
  for (const auto& placement : production) {
    const auto slash = placement.find('/');
    auto kept = bench.operations->snapshot_before_delete(placement.substr(0, slash),
                                                         placement.substr(slash + 1));
    if (!kept) return fail("not applied: " + kept.error().message, kExitFailure);
  }
  const int parallel = o.parallel > 0 ? o.parallel
                                      : static_cast<int>(std::max(4u, 2 * std::thread::hardware_concurrency()));
  const auto started = std::chrono::steady_clock::now();
  for (const auto& change : *domain_changes) {
    if (Status noted = domains.note(change); !noted) return fail("not applied: " + noted.error().message, kExitFailure);
  }
  ApplyReport report = bench.engine->apply(plan, parallel, &Context::progress);
  rewrite_content(bench, domains, *domain_changes, report);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (Status disposed = dispose_deleted_snapshots(bench, plan, report); !disposed) {
    return fail(disposed.error(), kExitFailure);
  }

  nlohmann::json tenants = nlohmann::json::array();
  for (const auto& t : report.tenants) {
    const Tenant* tenant = bench.fleet.find_tenant(t.tenant);
    const Environment* env = bench.fleet.find_environment(t.env);
    std::string url;
    if (tenant && env && t.error.empty()) url = make_tenant_context(*tenant, *env).home_url + "/";
    tenants.push_back({{"env", t.env}, {"tenant", t.tenant}, {"changes", t.changes},
                       {"ok", t.error.empty()}, {"error", ready_to_paste(t.error)},
                       {"url", url}});
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
  return apply_planned(ctx, *prepared, *plan, o, !deleting->empty());
}

// Why a saved plan is not applied: printed (and in JSON, with each resource that
// changed), exit 1. Nothing was changed.
int refuse_saved_plan(const Context& ctx, const std::string& file, const std::string& why,
                      bool fleet_changed, const std::vector<ObservedChange>& changes) {
  std::string message = "not applied: " + why;
  for (const auto& change : changes) message += "\n  " + change.describe();
  message += "\nnothing was changed; make the plan again with `wpfleet plan --out " + file +
             "`, review it and apply that";
  if (ctx.options().json()) {
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& change : changes) {
      listed.push_back({{"env", change.key.env}, {"tenant", change.key.tenant},
                        {"resource", kind_name(change.key.kind)}, {"changes", change.what}});
    }
    ctx.print_json({{"ok", false}, {"applied", false}, {"plan", file}, {"error", why},
                    {"fleet_file_changed", fleet_changed}, {"state_changes", listed}});
  }
  return fail(message, kExitFailure);
}

// Empty when the fleet file is what the plan was made from, else why not.
Result<std::string> fleet_file_change(const Context& ctx, const SavedPlan& saved) {
  TRY_ASSIGN(std::string now, fleet_file_sha256(ctx));
  if (now == saved.fleet_sha256) return std::string();
  return "the fleet file " + ctx.options().fleet_file + " changed since the plan was made" +
         (saved.created_at.empty() ? "" : " (" + saved.created_at + ")");
}

// apply FILE: exactly the saved plan, or nothing (saved_plan.h).
int apply_saved_command(Context& ctx, const PlanApplyOptions& o, const std::string& file) {
  if (!o.envs.empty() || o.tenants.size() > 1 || o.prune) {
    return fail("a saved plan is applied as it was made: give -e, tenant ids and --prune to "
                "`wpfleet plan --out " + file + "`, not to apply",
                kExitInvalidInput);
  }
  auto text = read_file(file);
  if (!text) {
    return fail(text.error().message + ": give the plan file `wpfleet plan --out` wrote",
                kExitInvalidInput);
  }
  auto saved = parse_saved_plan(*text);
  if (!saved) return fail(file + " cannot be applied: " + saved.error().message, kExitInvalidInput);

  // Checked before anything is locked or changed (apply first brings the running
  // platform up to date with the fleet file), and again once the fleet is loaded.
  auto changed = fleet_file_change(ctx, *saved);
  if (!changed) return fail(changed.error(), kExitInvalidInput);
  if (!changed->empty()) return refuse_saved_plan(ctx, file, *changed, true, {});
  PlanApplyOptions scoped = o;
  scoped.envs = saved->envs;
  scoped.tenants = saved->tenants;
  scoped.prune = saved->prune;
  int exit_code = kExitFailure;
  auto prepared = prepare(ctx, scoped, LockMode::Exclusive, "apply", exit_code);
  if (!prepared) return exit_code;
  changed = fleet_file_change(ctx, *saved);
  if (!changed) return fail(changed.error(), kExitFailure);
  if (!changed->empty()) return refuse_saved_plan(ctx, file, *changed, true, {});

  // A plain apply would first finish or undo interrupted work, which the saved plan
  // does not include.
  auto unfinished = unfinished_lines(*prepared, scoped);
  if (!unfinished) return fail(unfinished.error(), kExitFailure);
  if (!unfinished->empty()) {
    return refuse_saved_plan(ctx, file,
                             unfinished->front() + "; run `wpfleet apply` (without a plan file) first",
                             false, {});
  }
  ObservedState observed;
  auto plan = prepared->engine->plan(Scope{scoped.envs, scoped.tenants, scoped.prune}, {}, &observed);
  if (!plan) return fail(plan.error(), kExitFailure);
  if (observed_sha256(observed) != observed_sha256(saved->observed)) {
    return refuse_saved_plan(ctx, file, "the state changed since the plan was made:", false,
                             observed_changes(saved->observed, observed));
  }
  if (!same_plan(*plan, saved->plan)) {
    return refuse_saved_plan(ctx, file,
                             "its changes are not what this fleet file and state give (the file "
                             "was edited, or made by another version of wpfleet)",
                             false, {});
  }
  return apply_planned(ctx, *prepared, *plan, o, false);
}

// apply's positional arguments are tenant ids, which are DNS labels: one with a '.' or
// a '/' can only be a file, the saved plan to apply.
std::optional<std::string> saved_plan_argument(const PlanApplyOptions& o) {
  for (const auto& argument : o.tenants) {
    if (argument.find_first_of("./") != std::string::npos) return argument;
  }
  return std::nullopt;
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
  plan->add_option("--out", plan_options->out,
                   "Also save the plan, with hashes of the fleet file and of the state it was "
                   "made from, for `wpfleet apply FILE` (which refuses it if either changed)");
  plan->callback([&ctx, &selected, plan_options] {
    selected = [&ctx, plan_options] { return plan_command(ctx, *plan_options); };
  });

  auto apply_options = std::make_shared<PlanApplyOptions>();
  auto* apply = app.add_subcommand(
      "apply", "Create, adopt and update tenants until the fleet matches the fleet file");
  add_scope_options(apply, *apply_options);
  apply->get_option("tenants")->description(
      "Only these tenant ids; or a plan file `wpfleet plan --out` saved (a path with a '.' "
      "or '/'), applied exactly as it is");
  apply->add_flag("-y,--yes", apply_options->yes, "Do not ask before deleting (with --prune)");
  apply->add_flag("--approve", apply_options->approve,
                  "Needed to delete tenants of a production environment (with --prune); a "
                  "snapshot of each is taken first and kept");
  apply->add_option("--parallel", apply_options->parallel,
                    "Tenants worked on at once (default: 2 per CPU, at least 4)")
      ->check(CLI::Range(1, 256));
  apply->callback([&ctx, &selected, apply_options] {
    selected = [&ctx, apply_options] {
      const auto saved = saved_plan_argument(*apply_options);
      return saved ? apply_saved_command(ctx, *apply_options, *saved)
                   : apply_command(ctx, *apply_options);
    };
  });
}

}  // namespace wpfleet::cli
