// cron run: WordPress's scheduled events for every installed site. wp-cron over HTTP is
// off (PHP cannot resolve *.localhost); the supervisor runs this once a minute.
#include <iostream>

#include "backends/local/wp_runner.h"
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
  int failures = 0;
  for (const auto& r : *records) {
    if (r.kind != kind_name(ResourceKind::Site)) continue;
    if (Status ran = local::run_due_cron(backend, r.env, r.tenant); !ran) {
      ++failures;
      std::cerr << "cron " << r.env << "/" << r.tenant << ": " << ran.error().message << "\n";
    }
  }
  return failures == 0 ? kExitOk : kExitFailure;
}
}  // namespace

void register_cron(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto* cron = app.add_subcommand("cron", "WordPress scheduled events");
  cron->require_subcommand(1);
  cron->add_subcommand("run", "Run every installed site's due cron events now")
      ->callback([&ctx, &selected] { selected = [&ctx] { return cron_command(ctx); }; });
}

}  // namespace wpfleet::cli
