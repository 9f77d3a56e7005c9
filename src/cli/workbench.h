// What commands that act on tenants open first: the fleet file, the state (locked when
// the command changes something), the engine and the content operations on them.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/context.h"
#include "content/dump_rewriter.h"
#include "engine/engine.h"
#include "transfer/operations.h"

namespace wpfleet::cli {

struct Workbench {
  Fleet fleet;
  Session session;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<transfer::Operations> operations;
};

// Whether any of `envs` (empty = every environment of the fleet) is on the local
// backend, so that the local platform must be up to act on it.
bool uses_local_platform(const Fleet& fleet, const std::vector<std::string>& envs);

// Opens the workbench with the local platform required up when `envs` (empty = all)
// use it. On failure prints the error and sets `exit_code` (3 for an invalid fleet
// file, 1 otherwise), returning null.
std::unique_ptr<Workbench> open_workbench(Context& ctx, const std::string& command, LockMode lock,
                                          int& exit_code,
                                          const std::vector<std::string>& envs = {});
// The same for a fleet read otherwise (e.g. the one `apply` last applied).
std::unique_ptr<Workbench> open_workbench(Context& ctx, Fleet fleet, const std::string& command,
                                          LockMode lock, int& exit_code,
                                          const std::vector<std::string>& envs = {});

// Search-replace counts per table and column, as JSON and as a table on `out`.
nlohmann::json replacement_counts_json(const std::vector<content::ColumnCounts>& counts);
void print_replacement_counts(std::ostream& out, const nlohmann::json& summary);

}  // namespace wpfleet::cli
