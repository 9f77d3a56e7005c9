// up, down, status, and the hidden supervise.
#include <iostream>

#include "cli/app.h"
#include "cli/commands.h"
#include "platform/platform.h"
#include "platform/services.h"

namespace wpfleet::cli {

namespace {
int up(Context& ctx) {
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  auto session = ctx.open(LockMode::Exclusive, "up");
  if (!session) return fail(session.error(), kExitFailure);
  const PlatformOptions options = platform_options(*fleet);
  if (Status status = platform_up(session->layout, options, &Context::progress); !status) {
    return fail(status.error(), kExitFailure);
  }
  std::string listening;
  nlohmann::json listen = nlohmann::json::array();
  for (const auto& address : distinct_addresses(options.listen)) {
    listening += " " + address.to_string();
    listen.push_back(address.to_string());
  }
  const std::string next = ready_to_paste("`wpfleet apply`");
  if (ctx.options().json()) {
    ctx.print_json({{"running", true}, {"state", session->layout.root.string()},
                    {"listen", listen}, {"next", next}});
  } else {
    std::cerr << "platform is up (MariaDB, php-fpm, nginx on" << listening << "); next: " << next
              << "\n";
  }
  return kExitOk;
}

int down(Context& ctx) {
  auto session = ctx.open(LockMode::Exclusive, "down");
  if (!session) return fail(session.error(), kExitFailure);
  if (Status status = platform_down(session->layout, &Context::progress); !status) {
    return fail(status.error(), kExitFailure);
  }
  if (ctx.options().json()) {
    ctx.print_json({{"running", false}, {"state", session->layout.root.string()}});
  } else {
    std::cerr << "platform stopped; data stays in " << session->layout.root.string() << "\n";
  }
  return kExitOk;
}

int status(Context& ctx) {
  auto session = ctx.open(LockMode::None, "status");
  if (!session) return fail(session.error(), kExitFailure);
  auto status = platform_status(session->layout);
  if (!status) return fail(status.error(), kExitFailure);
  const char* isolation = status->isolated_users
                              ? "each tenant runs as its own Unix user, confined by open_basedir"
                              : "not running as root: tenants share your Unix user and are "
                                "isolated by open_basedir alone";
  if (ctx.options().json()) {
    nlohmann::json services = nlohmann::json::array();
    for (const auto& s : status->services) {
      services.push_back({{"name", service_name(s.service)},
                          {"running", s.running},
                          {"pid", s.pid},
                          {"restarts", s.restarts},
                          {"last_failure", s.last_failure}});
    }
    ctx.print_json({{"running", status->supervisor_running},
                    {"supervisor_pid", status->supervisor_pid},
                    {"services", services},
                    {"isolated_users", status->isolated_users},
                    {"isolation", isolation}});
  } else {
    std::cout << "state: " << session->layout.root.string() << "\n"
              << "supervisor: "
              << (status->supervisor_running ? "running (pid " + std::to_string(status->supervisor_pid) + ")"
                                             : "stopped: run " + ready_to_paste("`wpfleet up`"))
              << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : status->services) {
      rows.push_back({service_name(s.service), s.running ? "running" : "stopped",
                      s.pid ? std::to_string(s.pid) : "-", std::to_string(s.restarts),
                      s.last_failure.empty() ? "-" : s.last_failure});
    }
    if (!rows.empty()) print_table({"SERVICE", "STATE", "PID", "RESTARTS", "LAST FAILURE"}, rows);
    std::cout << "isolation: " << isolation << "\n";
  }
  return status->supervisor_running ? kExitOk : kExitFailure;
}
}  // namespace

void register_platform(CLI::App& app, Context& ctx, CommandBody& selected) {
  app.add_subcommand("up", "Start the local platform (MariaDB, php-fpm, nginx) under a supervisor")
      ->callback([&] { selected = [&ctx] { return up(ctx); }; });
  app.add_subcommand("down", "Stop the local platform; all data stays")
      ->callback([&] { selected = [&ctx] { return down(ctx); }; });
  app.add_subcommand("status", "Show whether the platform and its services are running")
      ->callback([&] { selected = [&ctx] { return status(ctx); }; });
  // Started by `up`, not by people: hidden from --help (empty group).
  app.add_subcommand("supervise", "Run the platform supervisor (started by `up`)")->group("")->callback([&] {
    selected = [&ctx] {
      StateLayout layout{ctx.state_dir()};
      return run_supervisor(layout, self_executable());
    };
  });
}

}  // namespace wpfleet::cli
