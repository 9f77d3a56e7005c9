// verify: whether each tenant works, check by check, and what to do next when not.
#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/workbench.h"
#include "engine/verify.h"
#include "platform/platform.h"
#include "transfer/domain_change.h"

namespace wpfleet::cli {

namespace {
struct VerifyCommandOptions {
  std::vector<std::string> tenants;
  std::vector<std::string> envs;
  std::size_t lines = 20;
};

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

// validate_scope knows the ids; this says when a named tenant does not run in the
// environments asked for, which would otherwise verify nothing and pass.
Status every_tenant_placed(const Fleet& fleet, const Scope& scope) {
  for (const auto& id : scope.tenants) {
    if (!placements(fleet, scope.envs, {id}).empty()) continue;
    const Tenant* tenant = fleet.find_tenant(id);
    if (!tenant) {
      return make_error("tenant '" + id +
                        "' is no longer in the fleet file, so there is "
                        "nothing to verify; `wpfleet apply --prune` deletes it");
    }
    return make_error("tenant '" + id + "' does not run in " + joined(scope.envs) +
                      "; it runs in " + joined(tenant->environments));
  }
  return {};
}

nlohmann::json checks_json(const std::vector<CheckOutcome>& outcomes) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : outcomes) {
    checks.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", ready_to_paste(c.detail)},
                      {"fix", ready_to_paste(c.fix)}});
  }
  return checks;
}

nlohmann::json verification_json(const TenantVerification& v) {
  nlohmann::json errors = nlohmann::json::object();
  for (const auto& excerpt : v.recent_errors) errors[excerpt.source] = excerpt.lines;
  return {{"tenant", v.tenant},
          {"env", v.env},
          {"url", v.url},
          {"ok", v.ok()},
          {"checks", checks_json(v.checks)},
          {"warnings", checks_json(v.warnings)},
          {"recent_errors", errors}};
}

// A row for a check that did not pass (FAILED, or WARNING), with what to do next beneath.
void add_problem_rows(std::vector<std::vector<std::string>>& rows, const TenantVerification& v,
                      const CheckOutcome& c, const std::string& result) {
  rows.push_back({v.tenant, v.env, c.name, result, ready_to_paste(c.detail)});
  rows.push_back({"", "", "", "", "next: " + ready_to_paste(c.fix)});
}

// One row for a tenant that passes; for one that fails, a row per failing check with
// what to do next beneath it; then its warnings the same way.
std::vector<std::vector<std::string>> table_rows(const std::vector<TenantVerification>& results) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : results) {
    if (v.ok()) {
      // An asleep tenant passes, saying so and how to wake it instead of its URL.
      std::string detail = v.url;
      for (const auto& c : v.checks) {
        if (c.name == "asleep") detail = ready_to_paste(c.detail);
      }
      rows.push_back({v.tenant, v.env, "all " + std::to_string(v.checks.size()), "ok", detail});
    }
    for (const auto& c : v.checks) {
      if (!c.ok) add_problem_rows(rows, v, c, "FAILED");
    }
    for (const auto& c : v.warnings) add_problem_rows(rows, v, c, "WARNING");
  }
  return rows;
}

void print_recent_errors(const TenantVerification& v) {
  std::cout << "\nrecent errors of " << v.env << "/" << v.tenant << ":\n";
  bool any = false;
  for (const auto& excerpt : v.recent_errors) {
    for (const auto& line : excerpt.lines)
      std::cout << "  [" << excerpt.source << "] " << line << "\n";
    any = any || !excerpt.lines.empty();
  }
  if (!any) std::cout << "  none\n";
}

void print_report(const std::vector<TenantVerification>& results) {
  print_table({"TENANT", "ENV", "CHECK", "RESULT", "DETAIL"}, table_rows(results));
  std::size_t failing = 0;
  for (const auto& v : results) {
    if (v.ok()) continue;
    ++failing;
    print_recent_errors(v);
  }
  const std::size_t total = results.size();
  const std::size_t warned = static_cast<std::size_t>(std::count_if(
      results.begin(), results.end(), [](const TenantVerification& v) { return !v.warnings.empty(); }));
  std::cout << "\n";
  if (failing == 0) {
    std::cout << (total == 1 ? "the tenant passes" : "all " + counted(total, "tenant") + " pass")
              << " every check\n";
  } else {
    std::cout << failing << " of " << counted(total, "tenant")
              << (failing == 1 ? " fails" : " fail") << "\n";
  }
  if (warned > 0) {
    std::cout << (total == 1 ? "the tenant has" : counted(warned, "tenant") + (warned == 1 ? " has" : " have"))
              << " a warning (WARNING above): it does not fail verify\n";
  }
}

// A content rewrite an apply noted and did not do (transfer/domain_change.h) fails its
// tenant: its posts still link the old URL.
Status add_unfinished_domain_changes(const Fleet& fleet, Session& session, const Scope& scope,
                                     std::vector<TenantVerification>& results) {
  TRY_ASSIGN(auto changes, transfer::DomainChanges(fleet, session).find(scope));
  const auto holder = changes.empty() ? std::nullopt : StateLock::holder(session.layout);
  for (const auto& change : changes) {
    if (!change.noted) continue;
    for (auto& v : results) {
      if (v.env != change.env || v.tenant != change.tenant) continue;
      const std::string what = "the content rewrite of " + change.env + "/" + change.tenant +
                               " from " + change.from_url + " to " + change.to_url;
      v.checks.push_back(
          holder ? CheckOutcome{"unfinished", false, what + " is not finished; " + *holder + " holds the lock",
                                "wait for that command to finish, then run `wpfleet verify` again"}
                 : CheckOutcome{"unfinished", false,
                                what + " did not finish (a crash, a kill or a failure stopped it)",
                                "run `wpfleet apply` to finish it"});
    }
  }
  return {};
}

int verify_command(Context& ctx, const VerifyCommandOptions& o) {
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  auto session = ctx.open(LockMode::None, "verify");
  if (!session) return fail(session.error(), kExitFailure);
  Engine engine(*fleet, *session);
  const Scope scope{o.envs, o.tenants, false};
  if (Status valid = engine.validate_scope(scope); !valid) {
    return fail(valid.error(), kExitInvalidInput);
  }
  if (Status placed = every_tenant_placed(*fleet, scope); !placed) {
    return fail(placed.error(), kExitInvalidInput);
  }
  if (uses_local_platform(*fleet, o.envs)) {
    if (Status up = require_platform_up(session->layout); !up) return fail(up.error(), kExitFailure);
  }
  auto results = verify_tenants(*fleet, *session, engine, VerifyOptions{scope, 8, o.lines});
  if (!results) return fail(results.error(), kExitFailure);
  if (Status noted = add_unfinished_domain_changes(*fleet, *session, scope, *results); !noted) {
    return fail(noted.error(), kExitFailure);
  }
  const bool all_ok = std::all_of(results->begin(), results->end(),
                                  [](const TenantVerification& v) { return v.ok(); });
  if (ctx.options().json()) {
    nlohmann::json tenants = nlohmann::json::array();
    for (const auto& v : *results) tenants.push_back(verification_json(v));
    ctx.print_json({{"ok", all_ok}, {"tenants", tenants}});
  } else {
    print_report(*results);
  }
  return all_ok ? kExitOk : kExitFailure;
}
}  // namespace

void register_verify(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto o = std::make_shared<VerifyCommandOptions>();
  auto* verify = app.add_subcommand(
      "verify",
      "Check that tenants work: runtime, target health, the public URL through the "
      "edge (basic auth, TLS), database, storage, secrets; show recent errors");
  verify->add_option("tenant", o->tenants, "Tenant ids (default: every tenant)");
  verify->add_option("-e,--env", o->envs, "Only this environment (repeatable; default: all)");
  verify->add_option("--lines", o->lines, "Lines of each error log to show (default 20)")
      ->check(CLI::Range(1, 10000));
  verify->callback(
      [&ctx, &selected, o] { selected = [&ctx, o] { return verify_command(ctx, *o); }; });
}

}  // namespace wpfleet::cli
