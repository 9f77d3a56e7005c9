// tenant list, tenant show, tenant delete, tenant sleep, tenant wake.
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/workbench.h"
#include "engine/engine.h"
#include "platform/platform.h"
#include "transfer/operations.h"

namespace wpfleet::cli {

namespace {
struct TenantOptions {
  std::vector<std::string> envs;
  std::string env;
  std::string tenant;
  bool yes = false;
  bool approve = false;
};

int list_command(Context& ctx, const TenantOptions& o) {
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  auto session = ctx.open(LockMode::None, "tenant list");
  if (!session) return fail(session.error(), kExitFailure);
  Engine engine(*fleet, *session);
  if (Status valid = engine.validate_scope(Scope{o.envs, {}, false}); !valid) {
    return fail(valid.error(), kExitInvalidInput);
  }
  const bool platform_up =
      !uses_local_platform(*fleet, o.envs) || require_platform_up(session->layout).ok();
  std::vector<TenantHealth> health;
  if (platform_up) {
    health = engine.health(Scope{o.envs, {}, false}, 8);
  } else {
    for (const auto& p : placements(*fleet, o.envs)) {
      health.push_back({p.environment->name, p.tenant->id,
                        make_tenant_context(*p.tenant, *p.environment).home_url + "/", false,
                        "platform is down: run `wpfleet up`", ""});
    }
  }
  if (ctx.options().json()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& h : health) {
      rows.push_back({{"tenant", h.tenant}, {"env", h.env}, {"url", h.url},
                      {"healthy", h.problem.empty()}, {"problem", ready_to_paste(h.problem)},
                      {"asleep", !h.asleep.empty()}});
    }
    ctx.print_json(rows);
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& h : health) {
      rows.push_back({h.tenant, h.env, h.url,
                      !h.asleep.empty()   ? ready_to_paste(h.asleep)
                      : h.problem.empty() ? "healthy"
                                          : "failing: " + ready_to_paste(h.problem)});
    }
    print_table({"TENANT", "ENV", "URL", "STATUS"}, rows);
  }
  const bool all_healthy = std::all_of(health.begin(), health.end(),
                                       [](const TenantHealth& h) { return h.problem.empty(); });
  return all_healthy ? kExitOk : kExitFailure;
}

int show_command(Context& ctx, const TenantOptions& o) {
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  auto session = ctx.open(LockMode::None, "tenant show");
  if (!session) return fail(session.error(), kExitFailure);
  auto records = session->store->resources(o.env);
  if (!records) return fail(records.error(), kExitFailure);
  nlohmann::json resources = nlohmann::json::object();
  for (const auto& r : *records) {
    if (r.tenant != o.tenant) continue;
    resources[r.kind] = {{"applied_at", r.applied_at},
                         {"detail", nlohmann::json::parse(r.detail, nullptr, false)}};
  }
  const Tenant* tenant = fleet->find_tenant(o.tenant);
  const Environment* env = fleet->find_environment(o.env);
  if (resources.empty() && !(tenant && env)) {
    return fail("tenant '" + o.tenant + "' is not in environment '" + o.env +
                "' (see `wpfleet tenant list`)", kExitInvalidInput);
  }
  nlohmann::json shown = {{"tenant", o.tenant}, {"env", o.env}, {"resources", resources}};
  if (tenant && env) {
    shown["title"] = tenant->title;
    shown["url"] = make_tenant_context(*tenant, *env).home_url + "/";
    shown["admin_url"] = make_tenant_context(*tenant, *env).home_url + "/wp-admin/";
  }
  // What the backend recorded when it made them (names differ between backends).
  const auto detail = [&](const char* kind, const char* key) -> std::string {
    if (!resources.contains(kind)) return "";
    return resources[kind]["detail"].value(key, "");
  };
  shown["admin_user"] = detail("site", "admin_user");
  shown["database"] = detail("database", "database");
  shown["database_user"] = detail("database", "user");
  shown["applied"] = resources.contains("site");
  if (ctx.options().json()) {
    ctx.print_json(shown);
    return kExitOk;
  }
  std::cout << "tenant:     " << o.tenant << " (" << o.env << ")\n";
  if (shown.contains("title")) {
    std::cout << "title:      " << shown["title"].get<std::string>() << "\n"
              << "url:        " << shown["url"].get<std::string>() << "\n"
              << "admin:      " << shown["admin_url"].get<std::string>() << " (user "
              << shown["admin_user"].get<std::string>() << "; password: "
              << ready_to_paste("`wpfleet secret get " + o.tenant + " -e " + o.env +
                                " admin-password`")
              << ")\n";
  }
  if (!shown["database"].get<std::string>().empty()) {
    std::cout << "database:   " << shown["database"].get<std::string>() << " (user "
              << shown["database_user"].get<std::string>() << ")\n";
  }
  if (resources.empty()) {
    std::cout << "resources:  none yet: run " << ready_to_paste("`wpfleet apply`") << "\n";
    return kExitOk;
  }
  std::cout << "resources:\n";
  for (auto& [kind, value] : resources.items()) {
    std::cout << "  " << kind << ": " << value["detail"].dump() << "\n";
  }
  return kExitOk;
}

int delete_command(Context& ctx, const TenantOptions& o) {
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  auto session = ctx.open(LockMode::Exclusive, "tenant delete");
  if (!session) return fail(session.error(), kExitFailure);
  if (uses_local_platform(*fleet, {o.env})) {
    if (Status up = require_platform_up(session->layout); !up) return fail(up.error(), kExitFailure);
  }
  auto records = session->store->resources(o.env);
  if (!records) return fail(records.error(), kExitFailure);
  const bool managed = std::any_of(records->begin(), records->end(),
                                   [&](const ResourceRecord& r) { return r.tenant == o.tenant; });
  if (!managed) {
    return fail("wpfleet manages no tenant '" + o.tenant + "' in '" + o.env +
                "': nothing to delete (see `wpfleet tenant list`)", kExitInvalidInput);
  }
  const Environment* env = fleet->find_environment(o.env);
  const bool production = env && env->production;
  if (production && !o.approve) {
    return fail(o.env + " is a production environment: deleting " + o.tenant +
                    " there needs --approve (a snapshot is taken first and kept)",
                kExitInvalidInput);
  }
  if (!o.yes && !confirm("Delete " + o.env + "/" + o.tenant +
                         " (database, secrets, files, pool, route) for good?")) {
    return fail("not deleted: confirm on a terminal or pass --yes", kExitFailure);
  }
  Engine engine(*fleet, *session);
  transfer::Operations operations(*fleet, *session, engine, &Context::progress);
  if (production) {
    auto kept = operations.snapshot_before_delete(o.env, o.tenant);
    if (!kept) return fail("not deleted: " + kept.error().message, kExitFailure);
  }
  ApplyReport report = engine.delete_tenant(o.env, o.tenant, &Context::progress);
  for (const auto& t : report.tenants) {
    if (!t.error.empty()) return fail(t.env + "/" + t.tenant + ": " + t.error, kExitFailure);
  }
  auto snapshots = operations.dispose_snapshots(o.env, o.tenant);
  if (!snapshots) return fail(snapshots.error(), kExitFailure);
  const std::string note =
      fleet->find_tenant(o.tenant)
          ? "'" + o.tenant + "' is still in the fleet file, so the next " +
                ready_to_paste("`wpfleet apply`") +
                " creates it again: remove it from the file to keep it gone"
          : "";
  if (ctx.options().json()) {
    const nlohmann::json kept =
        snapshots->kept ? nlohmann::json{{"id", snapshots->kept->id}, {"path", snapshots->kept->path}}
                        : nlohmann::json(nullptr);
    ctx.print_json({{"deleted", true},
                    {"env", o.env},
                    {"tenant", o.tenant},
                    {"snapshots",
                     {{"deleted", snapshots->deleted},
                      {"freed_bytes", snapshots->freed_bytes},
                      {"kept", kept}}},
                    {"note", note}});
    return kExitOk;
  }
  std::cerr << "deleted " << o.env << "/" << o.tenant << "; "
            << transfer::describe(*snapshots, o.env, o.tenant) << "\n";
  if (!note.empty()) std::cerr << "note: " << note << "\n";
  return kExitOk;
}
// The tenant's runtime and route brought to what its sleep record says: on aws the
// service scaled to 0 or back to 1, on local the asleep page or the site. Each ensure()
// reads the record, so running it again after a crash finishes the same work.
Status take_sleep_state(Engine& engine, const std::string& env, const std::string& tenant) {
  TRY_ASSIGN(Providers * providers, engine.providers(env));
  for (ResourceKind kind : {ResourceKind::Runtime, ResourceKind::Route}) {
    TRY(engine.refresh(env, tenant, kind));
    for (auto& provider : *providers) {
      if (provider->kind() == kind) TRY(provider->commit());
    }
  }
  return {};
}

// sleep and wake: `sleep` true puts the tenant to sleep. The record moves first
// (sleeping / waking), then the resources, then the record is finished: a command killed
// half-way leaves a record that verify names and that the same command finishes.
int sleep_command(Context& ctx, const TenantOptions& o, bool sleep) {
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  const Environment* env = fleet->find_environment(o.env);
  if (!env) return fail("unknown environment '" + o.env + "' (see `wpfleet tenant list`)", kExitInvalidInput);
  const std::string command = std::string(sleep ? "sleep" : "wake");
  if (sleep && env->production && !o.approve) {
    return fail(o.env + " is a production environment: putting " + o.tenant +
                    " to sleep there takes its site offline and needs --approve",
                kExitInvalidInput);
  }
  auto session = ctx.open(LockMode::Exclusive, "tenant " + command);
  if (!session) return fail(session.error(), kExitFailure);
  Engine engine(*fleet, *session);
  if (auto placed = engine.context(o.env, o.tenant); !placed) return fail(placed.error(), kExitInvalidInput);
  auto applied = session->store->has_resource(o.env, o.tenant, "site");
  if (!applied) return fail(applied.error(), kExitFailure);
  if (!*applied) {
    return fail(o.env + "/" + o.tenant + " is not applied yet: run `wpfleet apply -e " + o.env +
                    "` first",
                kExitInvalidInput);
  }
  if (uses_local_platform(*fleet, {o.env})) {
    if (Status up = require_platform_up(session->layout); !up) return fail(up.error(), kExitFailure);
  }
  StateStore& store = *session->store;
  Status done = store.record_sleep(o.env, o.tenant, sleep ? SleepState::Sleeping : SleepState::Waking);
  if (done) done = take_sleep_state(engine, o.env, o.tenant);
  if (done) done = sleep ? store.record_sleep(o.env, o.tenant, SleepState::Asleep)
                         : store.forget_sleep(o.env, o.tenant);
  if (!done) {
    return fail(o.env + "/" + o.tenant + " is not " + (sleep ? "asleep" : "awake") + " yet: " +
                    done.error().message + "; then run `wpfleet tenant " + command + " " +
                    o.tenant + " -e " + o.env + "` again",
                kExitFailure);
  }
  const std::string what = env->aws ? (sleep ? "its ECS service runs no task"
                                             : "its ECS service runs one task again")
                                    : (sleep ? "every request gets a page saying it is asleep, and no PHP runs"
                                             : "its site answers again");
  if (ctx.options().json()) {
    ctx.print_json({{"tenant", o.tenant}, {"env", o.env}, {"asleep", sleep}, {"detail", what}});
  } else {
    std::cout << o.env << "/" << o.tenant << (sleep ? " is asleep: " : " is awake: ") << what
              << (sleep ? "; wake it with " + ready_to_paste("`wpfleet tenant wake " + o.tenant +
                                                             " -e " + o.env + "`")
                        : std::string())
              << "\n";
  }
  return kExitOk;
}
}  // namespace

void register_tenant(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto* tenant = app.add_subcommand("tenant", "List, show, delete, sleep and wake tenants");
  tenant->require_subcommand(1);
  auto o = std::make_shared<TenantOptions>();

  auto* list = tenant->add_subcommand("list", "Each tenant, environment, URL and health");
  list->add_option("-e,--env", o->envs, "Only this environment (repeatable)");
  list->callback([&ctx, &selected, o] { selected = [&ctx, o] { return list_command(ctx, *o); }; });

  auto* show = tenant->add_subcommand("show", "One tenant: URL, admin user, database, resources");
  show->add_option("tenant", o->tenant, "Tenant id")->required();
  show->add_option("-e,--env", o->env, "Environment")->required();
  show->callback([&ctx, &selected, o] { selected = [&ctx, o] { return show_command(ctx, *o); }; });

  auto* del = tenant->add_subcommand(
      "delete", "Delete one tenant's database, user, secrets, files, pool and route");
  del->add_option("tenant", o->tenant, "Tenant id")->required();
  del->add_option("-e,--env", o->env, "Environment")->required();
  del->add_flag("-y,--yes", o->yes, "Do not ask for confirmation");
  del->add_flag("--approve", o->approve,
                "Needed in a production environment; a snapshot is taken first and kept");
  del->callback([&ctx, &selected, o] { selected = [&ctx, o] { return delete_command(ctx, *o); }; });

  auto* sleep = tenant->add_subcommand(
      "sleep", "Take a tenant offline to save its cost: aws scales its service to 0 tasks, "
               "local answers every request with a page saying it is asleep");
  sleep->add_option("tenant", o->tenant, "Tenant id")->required();
  sleep->add_option("-e,--env", o->env, "Environment")->required();
  sleep->add_flag("--approve", o->approve, "Needed in a production environment");
  sleep->footer("`wpfleet apply` leaves an asleep tenant asleep; `wpfleet tenant wake` brings it "
                "back. `wpfleet cost` lists idle tenants and what sleeping them saves.");
  sleep->callback([&ctx, &selected, o] {
    selected = [&ctx, o] { return sleep_command(ctx, *o, true); };
  });

  auto* wake = tenant->add_subcommand("wake", "Bring an asleep tenant back (aws: one task again)");
  wake->add_option("tenant", o->tenant, "Tenant id")->required();
  wake->add_option("-e,--env", o->env, "Environment")->required();
  wake->callback([&ctx, &selected, o] {
    selected = [&ctx, o] { return sleep_command(ctx, *o, false); };
  });
}

}  // namespace wpfleet::cli
