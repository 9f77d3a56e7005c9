#include "cli/app.h"

#include <iostream>
#include <string>

#include "cli/commands.h"

namespace wpfleet::cli {

namespace {
constexpr CommandRegistrar kCommandGroups[] = {
    &register_init, &register_platform, &register_plan_apply,
    &register_tenant, &register_secret, &register_cron, &register_edge,
    &register_verify, &register_audit, &register_logs, &register_content,
    &register_search_replace, &register_discover, &register_service,
    &register_cost, &register_watch, &register_backup, &register_core,
};

constexpr const char* kFooter = R"(Exit codes:
  0  success
  1  something did not work (the message says what to do)
  2  plan: applying would change something
  3  invalid input: bad flags, invalid fleet file, unknown tenant or environment

Start with `wpfleet init`, then `wpfleet up` and `wpfleet apply`.)";

constexpr const char* kGlobalOptions = "Global options (before or after the command)";

std::string global_options_help(const CLI::App& app) {
  const auto options = app.get_options(
      [](const CLI::Option* option) { return option->get_group() == kGlobalOptions; });
  std::string help = CLI::Formatter().make_group(kGlobalOptions, false, options);
  return help.substr(help.find_first_not_of('\n'));
}

// CLI11 lists only a command's own options in its --help: every command's footer adds
// the global options, and the exit codes after a footer of its own. (A command takes
// its parent's footer, kFooter, when it is made.)
void add_global_options_help(CLI::App& parent, const std::string& globals) {
  for (CLI::App* command : parent.get_subcommands([](CLI::App*) { return true; })) {
    const std::string own = command->get_footer();
    command->footer((own == kFooter ? "" : own + "\n\n") + globals + "\n" + kFooter);
    add_global_options_help(*command, globals);
  }
}
}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"wpfleet: run a fleet of WordPress tenants from one fleet file", "wpfleet"};
  app.footer(kFooter);
  app.set_version_flag("--version", WPFLEET_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand

  GlobalOptions options;
  app.add_option("-f,--file", options.fleet_file, "Fleet file (default ./fleet.toml)")
      ->envname("WPFLEET_FILE")
      ->group(kGlobalOptions);
  app.add_option("--state-dir", options.state_dir,
                 "State directory (default .wpfleet next to the fleet file)")
      ->envname("WPFLEET_STATE_DIR")
      ->group(kGlobalOptions);
  app.add_option("-o,--output", options.output,
                 "Output format: table (text), or json: one JSON document on stdout, a "
                 "failure's too; progress stays on stderr")
      ->check(CLI::IsMember({"table", "json"}))
      ->group(kGlobalOptions);

  Context ctx(options);
  CommandBody selected;
  for (CommandRegistrar registrar : kCommandGroups) registrar(app, ctx, selected);
  add_global_options_help(app, global_options_help(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (app.exit(e) == 0) return kExitOk;
    print_failure_json(e.what(), kExitInvalidInput);
    return kExitInvalidInput;
  }
  return selected ? selected() : kExitInvalidInput;
}

}  // namespace wpfleet::cli
