// The command groups; each file registers its subcommands. The table is in app.cc.
#pragma once

#include "cli/context.h"

namespace wpfleet::cli {

void register_init(CLI::App& app, Context& ctx, CommandBody& selected);
void register_platform(CLI::App& app, Context& ctx, CommandBody& selected);  // up, down, status, supervise
void register_plan_apply(CLI::App& app, Context& ctx, CommandBody& selected);
void register_tenant(CLI::App& app, Context& ctx, CommandBody& selected);
void register_secret(CLI::App& app, Context& ctx, CommandBody& selected);
void register_cron(CLI::App& app, Context& ctx, CommandBody& selected);
void register_edge(CLI::App& app, Context& ctx, CommandBody& selected);  // routes, ca
// export, import, promote, snapshot, rollback, history
void register_content(CLI::App& app, Context& ctx, CommandBody& selected);
void register_search_replace(CLI::App& app, Context& ctx, CommandBody& selected);
void register_verify(CLI::App& app, Context& ctx, CommandBody& selected);
void register_audit(CLI::App& app, Context& ctx, CommandBody& selected);
void register_logs(CLI::App& app, Context& ctx, CommandBody& selected);
void register_discover(CLI::App& app, Context& ctx, CommandBody& selected);  // aws
void register_service(CLI::App& app, Context& ctx, CommandBody& selected);  // systemd unit
void register_cost(CLI::App& app, Context& ctx, CommandBody& selected);
void register_watch(CLI::App& app, Context& ctx, CommandBody& selected);  // watch run, events
void register_backup(CLI::App& app, Context& ctx, CommandBody& selected);
void register_core(CLI::App& app, Context& ctx, CommandBody& selected);  // core update

}  // namespace wpfleet::cli
