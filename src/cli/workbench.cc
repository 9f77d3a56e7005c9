#include "cli/workbench.h"

#include <ostream>

#include "cli/app.h"
#include "platform/platform.h"

namespace wpfleet::cli {

std::unique_ptr<Workbench> open_workbench(Context& ctx, const std::string& command, LockMode lock,
                                          int& exit_code) {
  auto fleet = ctx.load_fleet();
  if (!fleet) {
    exit_code = fail(fleet.error(), kExitInvalidInput);
    return nullptr;
  }
  auto session = ctx.open(lock, command);
  Status up = session ? require_platform_up(session->layout) : Status(session.error());
  if (!up) {
    exit_code = fail(up.error(), kExitFailure);
    return nullptr;
  }
  auto bench = std::make_unique<Workbench>(
      Workbench{std::move(*fleet), std::move(*session), nullptr, nullptr});
  bench->engine = std::make_unique<Engine>(bench->fleet, bench->session);
  bench->operations = std::make_unique<transfer::Operations>(bench->fleet, bench->session,
                                                             *bench->engine, &Context::progress);
  return bench;
}

nlohmann::json replacement_counts_json(const std::vector<content::ColumnCounts>& counts) {
  nlohmann::json columns = nlohmann::json::array();
  std::uint64_t replacements = 0, malformed = 0;
  for (const auto& c : counts) {
    columns.push_back({{"table", c.table},
                       {"column", c.column},
                       {"replacements", c.replacements},
                       {"malformed", c.malformed}});
    replacements += c.replacements;
    malformed += c.malformed;
  }
  return {{"replacements", replacements}, {"malformed", malformed}, {"columns", columns}};
}

void print_replacement_counts(std::ostream& out, const nlohmann::json& summary) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : summary["columns"]) {
    const std::string table = c["table"];
    rows.push_back({table.empty() ? "(outside INSERT rows)" : table, c["column"],
                    std::to_string(c["replacements"].get<std::uint64_t>()),
                    std::to_string(c["malformed"].get<std::uint64_t>())});
  }
  rows.push_back({"total", "", std::to_string(summary["replacements"].get<std::uint64_t>()),
                  std::to_string(summary["malformed"].get<std::uint64_t>())});
  print_table(out, {"TABLE", "COLUMN", "REPLACED", "MALFORMED"}, rows);
  if (summary["malformed"].get<std::uint64_t>() > 0) {
    out << "Malformed serialized values (wrong lengths or counts) were left exactly as they "
           "were: repair them in WordPress, then run again.\n";
  }
}

}  // namespace wpfleet::cli
