#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands.h"
#include "fleet/parse.h"
#include "util/fs.h"

namespace wpfleet::cli {

void register_init(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto* cmd = app.add_subcommand("init", "Write a commented starter fleet file (dev + sit, 2 demo tenants)");
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("--force", *force, "Overwrite an existing fleet file");
  cmd->callback([&ctx, &selected, force] {
    selected = [&ctx, force] {
      const std::string path = ctx.options().fleet_file;
      if (std::filesystem::exists(path) && !*force) {
        return fail(path + " already exists: pass --force to overwrite it, or -f to write "
                    "another file", kExitInvalidInput);
      }
      if (Status written = write_file_atomic(path, starter_fleet_file(), 0644); !written) {
        return fail(written.error(), kExitFailure);
      }
      const std::string next = ready_to_paste("`wpfleet up` and `wpfleet apply`");
      if (ctx.options().json()) {
        ctx.print_json({{"wrote", path}, {"next", next}});
      } else {
        std::cout << "wrote " << path << ": edit it, then run " << next << "\n";
      }
      return kExitOk;
    };
  });
}

}  // namespace wpfleet::cli
