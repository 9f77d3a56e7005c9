// routes and ca: what the edge of each environment routes, and the CA to trust for it.
#include <filesystem>
#include <iostream>
#include <memory>

#include "backends/resource.h"
#include "cli/app.h"
#include "cli/commands.h"

namespace wpfleet::cli {

namespace {
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
    for (const auto& host : detail.value("hosts", nlohmann::json::array())) {
      routes.push_back({{"host", host}, {"tenant", record.tenant}, {"priority", priority}});
      rows.push_back({host.get<std::string>(), record.tenant, std::to_string(priority)});
    }
  }
  if (ctx.options().json()) {
    ctx.print_json(routes);
  } else if (rows.empty()) {
    std::cout << "no routes in " << env << " yet: run " << ready_to_paste("`wpfleet apply`")
              << "\n";
  } else {
    print_table({"HOST", "TENANT", "PRIORITY"}, rows);
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
  auto* routes = app.add_subcommand("routes", "Host -> tenant -> rule priority of an environment");
  routes->add_option("-e,--env", *env, "Environment")->required();
  routes->callback(
      [&ctx, &selected, env] { selected = [&ctx, env] { return routes_command(ctx, *env); }; });

  auto* ca = app.add_subcommand("ca", "The local certificate authority of TLS environments");
  ca->require_subcommand(1);
  ca->add_subcommand("path", "Print the CA certificate's path, for a browser or curl --cacert")
      ->callback([&ctx, &selected] { selected = [&ctx] { return ca_path_command(ctx); }; });
}

}  // namespace wpfleet::cli
