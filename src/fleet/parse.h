// Reading a fleet file. Every problem is reported as "file:line:column: what is wrong;
// how to fix it", and all problems found are reported together, not just the first.
#pragma once

#include <string>

#include "fleet/model.h"
#include "util/result.h"

namespace wpfleet {

// Parses and validates. On failure the Error message holds one line per problem.
Result<Fleet> load_fleet_file(const std::string& path);

// Same, from text already in memory; `path` is used in messages only.
Result<Fleet> parse_fleet(const std::string& text, const std::string& path);

// The commented starter file `wpfleet init` writes (dev + sit, two demo tenants).
std::string starter_fleet_file();

}  // namespace wpfleet
