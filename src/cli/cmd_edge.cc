// routes and ca: what the edge of each environment routes, and the CA to trust for it.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include "backends/resource.h"
#include "cli/app.h"
#include "cli/commands.h"

namespace wpfleet::cli {

namespace {
// How each host of a route answers, as the route was applied: the first is the canonical
// host. A route recorded before modes were recorded redirects what the default did.
std::vector<std::string> host_modes(const nlohmann::json& detail) {
  const auto hosts = detail.value("hosts", std::vector<std::string>());
  const bool recorded = detail.contains("redirected");
  const auto listed = detail.value("redirected", std::vector<std::string>());
  std::vector<std::string> modes;
  for (const std::string& host : hosts) {
    const bool redirected =
        recorded ? std::find(listed.begin(), listed.end(), host) != listed.end()
                 : default_alias_mode(host, hosts.front()) == AliasMode::Redirect;
    modes.emplace_back(host == hosts.front() ? "canonical" : redirected ? "redirect" : "served");
  }
  return modes;
}

int routes_command(Context& ctx, const std::string& env) {
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  if (!fleet->find_environment(env)) {
    return fail("unknown environment '" + env + "'", kExitInvalidInput);
  }
  auto session = ctx.open(LockMode::None, "routes");
  if (!session) return fail(session.error(), kExitFailure);
  auto records = session->store->resources(env);
  auto priorities = session->store->route_priorities(env);
  if (!records) return fail(records.error(), kExitFailure);
  if (!priorities) return fail(priorities.error(), kExitFailure);
  nlohmann::json routes = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& record : *records) {
    if (record.kind != kind_name(ResourceKind::Route)) continue;
    const auto detail = nlohmann::json::parse(record.detail, nullptr, false);
    const int priority = priorities->count(record.tenant) ? priorities->at(record.tenant) : 0;
    if (!detail.is_object()) continue;
    const auto hosts = detail.value("hosts", std::vector<std::string>());
    const auto modes = host_modes(detail);
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      nlohmann::json route = {{"host", hosts[i]},
                              {"tenant", record.tenant},
                              {"priority", priority},
                              {"mode", modes[i]}};
      std::string shown = modes[i];
      if (modes[i] == "redirect") {
        route["to"] = hosts.front();
        shown += " -> " + hosts.front();
      }
      routes.push_back(std::move(route));
      rows.push_back({hosts[i], record.tenant, std::to_string(priority), shown});
    }
  }
  if (ctx.options().json()) {
    ctx.print_json(routes);
  } else if (rows.empty()) {
    std::cout << "no routes in " << env << " yet: run " << ready_to_paste("`wpfleet apply`")
              << "\n";
  } else {
    print_table({"HOST", "TENANT", "PRIORITY", "MODE"}, rows);
  }
  return kExitOk;
}

int ca_path_command(Context& ctx) {
  StateLayout layout{ctx.state_dir()};
  const auto ca = layout.ca_certificate();
  if (!std::filesystem::exists(ca)) {
    return fail("there is no CA yet: set tls = true on an environment and run `wpfleet apply`",
                kExitFailure);
  }
  if (ctx.options().json()) {
    ctx.print_json({{"path", ca.string()}});
  } else {
    std::cout << ca.string() << "\n";
  }
  return kExitOk;
}
}  // namespace

void register_edge(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto env = std::make_shared<std::string>();
  auto* routes = app.add_subcommand("routes", "Host -> tenant -> rule priority -> mode (canonical, served, redirect) of an environment");
  routes->add_option("-e,--env", *env, "Environment")->required();
  routes->callback(
      [&ctx, &selected, env] { selected = [&ctx, env] { return routes_command(ctx, *env); }; });

  auto* ca = app.add_subcommand("ca", "The local certificate authority of TLS environments");
  ca->require_subcommand(1);
  ca->add_subcommand("path", "Print the CA certificate's path, for a browser or curl --cacert")
      ->callback([&ctx, &selected] { selected = [&ctx] { return ca_path_command(ctx); }; });
}

}  // namespace wpfleet::cli
