// cron run: WordPress's scheduled events for every installed site. wp-cron over HTTP is
// off (PHP cannot resolve *.localhost); the supervisor runs this once a minute.
#include <unistd.h>

#include <ctime>
#include <iostream>
#include <mutex>

#include "backends/local/database.h"
#include "backends/local/wp_runner.h"
#include "engine/engine.h"
#include "backends/resource.h"
#include "cli/app.h"
#include "cli/commands.h"

namespace wpfleet::cli {

namespace {
int cron_command(Context& ctx) {
  auto session = ctx.open(LockMode::None, "cron run");
  if (!session) return fail(session.error(), kExitFailure);
  auto records = session->store->resources();
  if (!records) return fail(records.error(), kExitFailure);
  BackendContext backend{session->layout, *session->store, *session->secrets};
  auto root = local::connect_as_root(backend);
  if (!root) return fail(root.error(), kExitFailure);

  std::vector<std::pair<std::string, std::string>> due;
  const std::time_t now = std::time(nullptr);
  std::size_t sites = 0;
  for (const auto& r : *records) {
    if (r.kind != kind_name(ResourceKind::Site)) continue;
    ++sites;
    auto is_due = local::cron_due(**root, r.env, r.tenant, now);
    if (!is_due) {
      std::cerr << "cron " << r.env << "/" << r.tenant << ": " << is_due.error().message << "\n";
    } else if (*is_due) {
      due.emplace_back(r.env, r.tenant);
    }
  }
  std::mutex output;
  nlohmann::json ran_json = nlohmann::json::array();
  nlohmann::json failed_json = nlohmann::json::array();
  run_parallel(due.size(), 2, [&](std::size_t i) {
    const auto& [env, tenant] = due[i];
    Status ran = local::run_due_cron(backend, env, tenant);
    std::lock_guard lock(output);
    if (ran) {
      ran_json.push_back({{"env", env}, {"tenant", tenant}});
      if (!ctx.options().json()) {
        std::cout << "ran the due cron events of " << env << "/" << tenant << "\n";
      }
    } else {
      failed_json.push_back({{"env", env}, {"tenant", tenant}, {"error", ran.error().message}});
      std::cerr << "cron " << env << "/" << tenant << ": " << ran.error().message << "\n";
    }
  });
  if (ctx.options().json()) {
    ctx.print_json({{"ok", failed_json.empty()}, {"sites", sites}, {"ran", ran_json},
                    {"failed", failed_json}});
  } else if (due.empty() && isatty(STDOUT_FILENO)) {
    // The supervisor runs this every minute into its cron log, which should list work
    // done rather than every idle minute; a person at a terminal is told nothing was due.
    std::cout << "nothing was due: no cron event of the " << counted(sites, "installed site")
              << " is due yet\n";
  }
  return failed_json.empty() ? kExitOk : kExitFailure;
}
}  // namespace

void register_cron(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto* cron = app.add_subcommand("cron", "WordPress scheduled events");
  cron->require_subcommand(1);
  cron->add_subcommand("run", "Run every installed site's due cron events now")
      ->callback([&ctx, &selected] { selected = [&ctx] { return cron_command(ctx); }; });
}

}  // namespace wpfleet::cli
