// discover: the tenants an aws environment already runs that the fleet file does not
// list yet, with the [[tenants]] entries that adopt them (nothing is re-created: plan
// then says `adopt` for each of their resources).
#include <iostream>
#include <memory>

#include "backends/aws/discover.h"
#include "cli/app.h"
#include "cli/commands.h"

namespace wpfleet::cli {

namespace {
struct DiscoverOptions {
  std::string env;
};

std::string quoted(const std::string& text) { return nlohmann::json(text).dump(); }

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + quoted(item);
  return "[" + out + "]";
}

// Title and email are needed only to install a site; an adopted one keeps its own.
std::string tenant_entry(const aws_backend::DiscoveredTenant& tenant, const Environment& env) {
  std::string entry = "[[tenants]]\nid = " + quoted(tenant.id) + "\ntitle = " + quoted(tenant.id) +
                      "  # WordPress keeps its own title; this one is used only to install\n"
                      "admin_email = " +
                      quoted("admin@" + env.host_for(tenant.id)) +
                      "\nenvironments = [" + quoted(env.name) + "]\n";
  if (!tenant.aliases.empty()) {
    entry += "aliases = { " + env.name + " = " + quoted_list(tenant.aliases) + " }\n";
  }
  return entry;
}

std::string found_text(const aws_backend::DiscoveredTenant& tenant) {
  std::vector<std::string> parts;
  if (tenant.service) parts.push_back("service");
  if (tenant.secret) parts.push_back("secret");
  if (tenant.priority) parts.push_back("rule at priority " + std::to_string(tenant.priority));
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

int discover_command(Context& ctx, const DiscoverOptions& o) {
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  const Environment* env = fleet->find_environment(o.env);
  if (!env) return fail("unknown environment '" + o.env + "'", kExitInvalidInput);
  if (!env->aws) {
    return fail("environment '" + o.env +
                    "' is on the local backend, where every tenant is wpfleet's own; discover "
                    "finds tenants that exist in an aws environment",
                kExitInvalidInput);
  }
  Context::progress("looking for tenants in " + aws_backend::where(*env) + "…");
  aws_backend::AwsPlatforms platforms(aws::Environment::current());
  auto found = aws_backend::discover_tenants(platforms, *env);
  if (!found) return fail(found.error(), kExitFailure);

  nlohmann::json list = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  std::string entries;
  for (const auto& tenant : *found) {
    const Tenant* known = fleet->find_tenant(tenant.id);
    const bool placed = known && std::find(known->environments.begin(), known->environments.end(),
                                           o.env) != known->environments.end();
    std::string status = placed ? "in the fleet file" : known ? "add \"" + o.env + "\" to its environments" : "new";
    if (!known) entries += (entries.empty() ? "" : "\n") + tenant_entry(tenant, *env);
    rows.push_back({tenant.id, found_text(tenant), status});
    list.push_back({{"id", tenant.id},
                    {"service", tenant.service},
                    {"secret", tenant.secret},
                    {"priority", tenant.priority},
                    {"aliases", tenant.aliases},
                    {"in_fleet", placed},
                    {"status", status}});
  }
  if (ctx.options().json()) {
    ctx.print_json({{"env", o.env}, {"tenants", list}, {"toml", entries}});
    return kExitOk;
  }
  if (rows.empty()) {
    std::cout << "no tenants found in " << aws_backend::where(*env) << " under the names "
              << o.env << "-<tenant>-service and " << o.env << "-<tenant>-db-credentials\n";
    return kExitOk;
  }
  print_table({"TENANT", "FOUND", "FLEET FILE"}, rows);
  if (!entries.empty()) {
    std::cout << "\nAdd these to " << fleet->source_path << ", then "
              << ready_to_paste("`wpfleet plan -e " + o.env + "`") << " shows them adopted:\n\n"
              << entries;
  }
  return kExitOk;
}
}  // namespace

void register_discover(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto o = std::make_shared<DiscoverOptions>();
  auto* discover = app.add_subcommand(
      "discover",
      "List tenants an aws environment already runs (by the naming convention) that the fleet "
      "file lacks, and print their [[tenants]] entries");
  discover->add_option("-e,--env", o->env, "Environment (on the aws backend)")->required();
  discover->callback(
      [&ctx, &selected, o] { selected = [&ctx, o] { return discover_command(ctx, *o); }; });
}

}  // namespace wpfleet::cli
