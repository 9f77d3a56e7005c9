// core update: moving an environment's tenants to the WordPress core its fleet file
// names, one at a time, each with a snapshot, a health check and an automatic rollback
// (transfer/core_update.h).
#include <algorithm>
#include <iostream>
#include <memory>

#include "backends/tenant_data.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "cli/workbench.h"
#include "platform/wordpress_core.h"
#include "transfer/core_update.h"

namespace wpfleet::cli {

namespace {
struct CoreOptions {
  std::string env;
  std::string to;
  std::vector<std::string> tenants;
  bool approve = false;
};

// What the fleet file's environment allows, before anything is opened or changed. The
// fleet file stays the one truth of the core: wpfleet never edits it.
Status check_request(const Fleet& fleet, const CoreOptions& o) {
  const Environment* env = fleet.find_environment(o.env);
  if (!env) return {};  // named by validate_scope, with the environments there are
  if (env->backend != "local") {
    return make_error("'" + o.env + "' is on the " + env->backend + " backend, where `core` does not " +
                      "apply: an aws environment runs the image its [environments." + o.env +
                      ".aws] table names (image = \"wordpress:...\"); change it there and run `wpfleet apply`");
  }
  if (!o.to.empty() && o.to != env->core) {
    return make_error("the fleet file says core = \"" + env->core + "\" for " + o.env + "; set core = \"" +
                      o.to + "\" in [environments." + o.env + "] first, so that apply keeps it");
  }
  if (env->production && !o.approve) {
    return make_error("'" + o.env + "' is a production environment: `wpfleet core update -e " + o.env +
                      "` needs --approve");
  }
  return {};
}

// The tenants to move, in fleet file order; --tenant narrows them (each must be in the
// environment).
Result<std::vector<std::string>> chosen_tenants(Workbench& bench, const CoreOptions& o) {
  TRY(bench.engine->validate_scope(Scope{{o.env}, o.tenants, false}));
  for (const std::string& tenant : o.tenants) TRY(bench.engine->context(o.env, tenant));
  if (!o.tenants.empty()) return o.tenants;
  std::vector<std::string> tenants;
  for (const auto& p : placements(bench.fleet, {o.env}, {})) tenants.push_back(p.tenant->id);
  return tenants;
}

// The core each of `tenants` runs now ("" for one not applied yet), as its backend tells.
// Read once before the first move: a tenant's core changes only in its own move.
Result<std::vector<std::string>> running_cores(Workbench& bench, const std::string& env,
                                               const std::vector<std::string>& tenants) {
  TRY_ASSIGN(TenantData * data, bench.engine->tenant_data(env));
  std::vector<std::string> cores;
  for (const std::string& tenant : tenants) {
    TRY_ASSIGN(const TenantContext tenant_ctx, bench.engine->context(env, tenant));
    cores.push_back(data->running_core(tenant_ctx));
  }
  return cores;
}

struct Moved {
  std::string tenant;
  std::string from;
  std::string result;  // updated, skipped, rolled back, failed, running, not run
  std::string operation;
  std::string note;  // why it was skipped, or what failed
};

// What the operator reads when the update stops at `stopped`.
std::string stop_message(const std::string& env, const std::string& core, const Moved& stopped,
                         const std::vector<std::string>& untouched) {
  const std::string at = env + "/" + stopped.tenant;
  std::string text = "the core update of " + env + " stopped at " + at + ": ";
  if (stopped.result == "rolled back") {
    text += stopped.note + " (see `wpfleet logs " + stopped.tenant + " -e " + env +
            "`); it was rolled back: it runs core " + stopped.from +
            " again with its content as before (operation " + stopped.operation + ")";
  } else if (stopped.result == "running") {
    text += stopped.note + ". Operation " + stopped.operation + " is unfinished: `wpfleet verify` " +
            "names it, and `wpfleet apply` puts " + at + " back on core " + stopped.from +
            " with the content of its snapshot";
  } else {
    text += stopped.note + (stopped.operation.empty() ? "" : " (operation " + stopped.operation + ")");
  }
  if (!untouched.empty()) {
    std::string names;
    for (const auto& t : untouched) names += (names.empty() ? "" : ", ") + t;
    text += ". Not touched: " + names;
  }
  return text + ". Fix the cause, then run `wpfleet core update -e " + env +
         "` again (tenants already on core " + core + " are skipped)";
}

int core_update_command(Context& ctx, const CoreOptions& o) {
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  if (Status allowed = check_request(*fleet, o); !allowed) return fail(allowed.error(), kExitInvalidInput);
  int exit_code = kExitFailure;
  auto opened = open_workbench(ctx, std::move(*fleet), "core update", LockMode::Exclusive, exit_code, {o.env});
  if (!opened) return exit_code;
  Workbench& bench = *opened;
  auto tenants = chosen_tenants(bench, o);
  if (!tenants) return fail(tenants.error(), kExitInvalidInput);
  const std::string core = bench.fleet.find_environment(o.env)->core;
  // What a crash left of an earlier update is undone first, so that each tenant's core
  // is known; and a release that cannot be had stops the update before any tenant.
  if (Status finished = bench.operations->finish_interrupted(Scope{{o.env}, *tenants, false}); !finished) {
    return fail(finished.error(), kExitFailure);
  }
  auto from = running_cores(bench, o.env, *tenants);
  if (!from) return fail(from.error(), kExitFailure);
  if (Status present = ensure_wordpress_core(bench.session.layout, core, &Context::progress); !present) {
    return fail(present.error(), kExitFailure);
  }

  std::vector<Moved> moved;
  std::size_t stopped_at = tenants->size();
  for (std::size_t i = 0; i < tenants->size() && stopped_at == tenants->size(); ++i) {
    const std::string& tenant = (*tenants)[i];
    const std::string at = o.env + "/" + tenant;
    Moved m{tenant, (*from)[i], "skipped", "", ""};
    if (m.from.empty()) {
      m.note = "not applied yet: `wpfleet apply` makes it on core " + core;
    } else if (m.from == core) {
      m.note = "already on core " + core;
    } else {
      Context::progress(at + " (" + std::to_string(i + 1) + " of " + std::to_string(tenants->size()) +
                        "): core " + m.from + " -> " + core);
      auto op = bench.operations->update_core(o.env, tenant);
      if (!op) {
        m.result = "failed";
        m.note = op.error().message;
      } else {
        m.operation = op->id;
        m.result = op->status == "succeeded" ? "updated" : op->status;
        m.note = op->error;
      }
      if (m.result != "updated") stopped_at = i;
    }
    Context::progress(at + ": " + m.result + (m.note.empty() ? "" : " (" + m.note + ")"));
    moved.push_back(m);
  }
  std::vector<std::string> untouched;
  for (std::size_t i = stopped_at + 1; i < tenants->size(); ++i) {
    untouched.push_back((*tenants)[i]);
    moved.push_back({(*tenants)[i], (*from)[i], "not run", "", "the update stopped before it"});
  }
  const bool ok = stopped_at == tenants->size();

  if (ctx.options().json()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& m : moved) {
      rows.push_back({{"tenant", m.tenant}, {"from", m.from}, {"to", core}, {"result", m.result},
                      {"operation", m.operation}, {"note", ready_to_paste(m.note)}});
    }
    nlohmann::json document{{"ok", ok}, {"env", o.env}, {"core", core}, {"tenants", rows}};
    if (!ok) {
      document["error"] = ready_to_paste(stop_message(o.env, core, moved[stopped_at], untouched));
      document["exit_code"] = kExitFailure;
    }
    ctx.print_json(document);
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& m : moved) {
      rows.push_back({m.tenant, m.from, core, m.result, m.operation});
    }
    print_table({"TENANT", "FROM", "TO", "RESULT", "OPERATION"}, rows);
    if (ok && std::any_of(moved.begin(), moved.end(), [](const Moved& m) { return m.result == "updated"; })) {
      std::cout << ready_to_paste("each move is an operation: undo one with `wpfleet rollback OPERATION`") << "\n";
    }
  }
  if (!ok) return fail(stop_message(o.env, core, moved[stopped_at], untouched), kExitFailure);
  return kExitOk;
}
}  // namespace

void register_core(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto* core = app.add_subcommand("core", "WordPress core of an environment's tenants");
  core->require_subcommand(1);
  auto o = std::make_shared<CoreOptions>();
  auto* update = core->add_subcommand(
      "update",
      "Move an environment's tenants to the core its fleet file names, one at a time: a "
      "snapshot, the switch, WordPress's database upgrade and a health check each, with "
      "automatic rollback of a tenant that fails (the update stops there)");
  update->add_option("-e,--env", o->env, "Environment")->required();
  update->add_option("--to", o->to,
                     "The version you expect: refused unless the fleet file's core for the "
                     "environment says the same");
  update->add_option("--tenant", o->tenants, "Only these tenants (repeat for more)");
  update->add_flag("--approve", o->approve, "Required for a production environment");
  update->footer(
      "The target is the environment's `core` in the fleet file (wpfleet never edits it): "
      "set it there first. Tenants already on it are skipped. This is the safe path for sites "
      "with content; `wpfleet apply` is the fast one: it switches every tenant at once, without "
      "snapshots, health checks or rollback.");
  update->callback([&ctx, &selected, o] { selected = [&ctx, o] { return core_update_command(ctx, *o); }; });
}

}  // namespace wpfleet::cli
