// The [environments.<name>.aws] table of a fleet file: where an `aws` environment lives
// and the names of the platform resources it uses.
#pragma once

#include <optional>
#include <string>

#include "fleet/model.h"
#include "fleet/toml_reader.h"

namespace wpfleet {

// Reads and checks the table; every problem goes to `problems`. Name patterns get
// "{env}" replaced by `env_name`; unset names take the user's naming convention
// ("{env}-cluster", "{env}-alb", ...).
std::optional<AwsSettings> read_aws_settings(const toml::table& table, const std::string& env_name,
                                             Problems& problems);

// The settings an environment gets when the table leaves them out (tests and `init`).
AwsSettings default_aws_settings(const std::string& env_name);

}  // namespace wpfleet
