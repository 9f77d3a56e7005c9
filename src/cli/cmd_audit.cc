// audit: whether every tenant is confined, tried from inside each tenant (its PHP
// through its own pool, and its Unix user) and checked from outside (modes, owners,
// grants, pool settings).
#include <iostream>
#include <memory>

#include "backends/local/audit.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "engine/engine.h"
#include "platform/platform.h"

namespace wpfleet::cli {

namespace {
struct AuditOptions {
  std::vector<std::string> envs;
};

nlohmann::json checks_json(const std::vector<local::AuditCheck>& checks) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : checks) out.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
  return out;
}

void add_rows(std::vector<std::vector<std::string>>& rows, const std::string& env,
              const std::string& tenant, const std::vector<local::AuditCheck>& checks) {
  std::size_t passed = 0;
  for (const auto& c : checks) {
    if (c.ok) {
      ++passed;
      continue;
    }
    rows.push_back({tenant, env, c.name, "FAILED", c.detail});
  }
  if (passed == checks.size()) {
    rows.push_back({tenant, env, "all " + std::to_string(checks.size()), "ok", ""});
  }
}

int audit_command(Context& ctx, const AuditOptions& o) {
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  auto session = ctx.open(LockMode::None, "audit");
  if (!session) return fail(session.error(), kExitFailure);
  Engine engine(*fleet, *session);
  if (Status valid = engine.validate_scope(Scope{o.envs, {}, false}); !valid) {
    return fail(valid.error(), kExitInvalidInput);
  }
  if (Status up = require_platform_up(session->layout); !up) return fail(up.error(), kExitFailure);

  // Every local tenant is someone the audited ones must not reach.
  std::vector<TenantContext> everyone, audited;
  for (const Placement& p : placements(*fleet, {}, {})) {
    if (p.environment->backend != "local") continue;
    everyone.push_back(make_tenant_context(*p.tenant, *p.environment));
    if (o.envs.empty() || std::find(o.envs.begin(), o.envs.end(), p.environment->name) != o.envs.end()) {
      audited.push_back(everyone.back());
    }
  }
  BackendContext backend{session->layout, *session->store, *session->secrets};
  if (audited.size() > 1) Context::progress("auditing " + counted(audited.size(), "tenant") + "…");
  const auto platform = local::audit_platform(backend);
  const auto tenants = local::audit_tenants(backend, audited, everyone);

  bool ok = std::all_of(platform.begin(), platform.end(), [](const auto& c) { return c.ok; });
  for (const auto& t : tenants) ok = ok && t.ok();
  if (ctx.options().json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& t : tenants) {
      list.push_back({{"tenant", t.tenant}, {"env", t.env}, {"ok", t.ok()}, {"checks", checks_json(t.checks)}});
    }
    ctx.print_json({{"ok", ok}, {"platform", checks_json(platform)}, {"tenants", list}});
    return ok ? kExitOk : kExitFailure;
  }
  std::vector<std::vector<std::string>> rows;
  add_rows(rows, "", "(platform)", platform);
  for (const auto& t : tenants) add_rows(rows, t.env, t.tenant, t.checks);
  print_table({"TENANT", "ENV", "CHECK", "RESULT", "DETAIL"}, rows);
  std::size_t failing = 0;
  for (const auto& t : tenants) failing += t.ok() ? 0 : 1;
  const std::size_t total = tenants.size();
  std::cout << "\n";
  if (ok) {
    std::cout << (total == 1 ? "the tenant is" : "all " + counted(total, "tenant") + " are")
              << " confined\n";
  } else if (failing == 0) {
    std::cout << "the platform fails its own checks (see FAILED above)\n";
  } else {
    std::cout << failing << " of " << counted(total, "tenant") << (failing == 1 ? " is" : " are")
              << " not confined (see FAILED above)\n";
  }
  return ok ? kExitOk : kExitFailure;
}
}  // namespace

void register_audit(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto o = std::make_shared<AuditOptions>();
  auto* audit = app.add_subcommand(
      "audit",
      "Try, as each tenant, what a hostile plugin would (read other tenants' files, logs, "
      "the state, the page cache, other databases; run programs; loosen PHP settings) and "
      "check modes, owners and grants from outside. Exit 1 names every failure");
  audit->add_option("-e,--env", o->envs, "Only tenants of this environment (repeatable)");
  audit->callback([&ctx, &selected, o] { selected = [&ctx, o] { return audit_command(ctx, *o); }; });
}

}  // namespace wpfleet::cli
