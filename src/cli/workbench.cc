#include "cli/workbench.h"

#include <algorithm>
#include <ostream>

#include "cli/app.h"
#include "platform/platform.h"

namespace wpfleet::cli {

bool uses_local_platform(const Fleet& fleet, const std::vector<std::string>& envs) {
  for (const auto& [name, env] : fleet.environments) {
    const bool in_scope = envs.empty() || std::find(envs.begin(), envs.end(), name) != envs.end();
    if (in_scope && env.backend == "local") return true;
  }
  return false;
}

std::unique_ptr<Workbench> open_workbench(Context& ctx, const std::string& command, LockMode lock,
                                          int& exit_code, const std::vector<std::string>& envs) {
  auto fleet = ctx.load_fleet();
  if (!fleet) {
    exit_code = fail(fleet.error(), kExitInvalidInput);
    return nullptr;
  }
  return open_workbench(ctx, std::move(*fleet), command, lock, exit_code, envs);
}

std::unique_ptr<Workbench> open_workbench(Context& ctx, Fleet fleet, const std::string& command,
                                          LockMode lock, int& exit_code,
                                          const std::vector<std::string>& envs) {
  auto session = ctx.open(lock, command);
  Status up = !session                             ? Status(session.error())
              : uses_local_platform(fleet, envs) ? require_platform_up(session->layout)
                                                   : Status{};
  if (!up) {
    exit_code = fail(up.error(), kExitFailure);
    return nullptr;
  }
  auto bench = std::make_unique<Workbench>(
      Workbench{std::move(fleet), std::move(*session), nullptr, nullptr});
  bench->engine = std::make_unique<Engine>(bench->fleet, bench->session);
  bench->operations = std::make_unique<transfer::Operations>(bench->fleet, bench->session,
                                                             *bench->engine, &Context::progress);
  return bench;
}

nlohmann::json replacement_counts_json(const std::vector<content::ColumnCounts>& counts) {
  nlohmann::json columns = nlohmann::json::array();
  std::uint64_t replacements = 0, malformed = 0, left_alone = 0, keys_kept = 0;
  for (const auto& c : counts) {
    columns.push_back({{"table", c.table},
                       {"column", c.column},
                       {"replacements", c.replacements},
                       {"malformed", c.malformed},
                       {"left_alone", c.left_alone},
                       {"keys_kept", c.keys_kept}});
    replacements += c.replacements;
    malformed += c.malformed;
    left_alone += c.left_alone;
    keys_kept += c.keys_kept;
  }
  return {{"replacements", replacements},
          {"malformed", malformed},
          {"left_alone", left_alone},
          {"keys_kept", keys_kept},
          {"columns", columns}};
}

void print_replacement_counts(std::ostream& out, const nlohmann::json& summary) {
  const auto count = [](const nlohmann::json& j, const char* key) {
    return std::to_string(j[key].get<std::uint64_t>());
  };
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : summary["columns"]) {
    const std::string table = c["table"];
    rows.push_back({table.empty() ? "(outside INSERT rows)" : table, c["column"],
                    count(c, "replacements"), count(c, "left_alone"), count(c, "malformed")});
  }
  rows.push_back({"total", "", count(summary, "replacements"), count(summary, "left_alone"),
                  count(summary, "malformed")});
  print_table(out, {"TABLE", "COLUMN", "REPLACED", "LEFT ALONE", "MALFORMED"}, rows);
  if (const auto left = summary["left_alone"].get<std::uint64_t>(); left > 0) {
    out << "Left " << left << " occurrence" << (left == 1 ? "" : "s")
        << " inside longer host names or words (--match url); --match text replaces them.\n";
  }
  if (const auto kept = summary["keys_kept"].get<std::uint64_t>(); kept > 0) {
    out << "Kept " << kept << " serialized array key" << (kept == 1 ? "" : "s")
        << " as they were: the array already has a key of the new name (PHP would keep only "
           "one of the two values); rename them in WordPress, then run again.\n";
  }
  if (summary["malformed"].get<std::uint64_t>() > 0) {
    out << "Malformed serialized values (wrong lengths or counts) were left exactly as they "
           "were: repair them in WordPress, then run again.\n";
  }
}

}  // namespace wpfleet::cli
