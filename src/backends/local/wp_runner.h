// Runs PHP code against one tenant's WordPress from the command line, as the tenant's
// user and under the same open_basedir as its pool: installing, updating options,
// running due cron events. Input goes on stdin (it may hold secrets); never on argv.
#pragma once

#include <string>

#include "backends/registry.h"
#include "util/process.h"

namespace wpfleet::local {

// `php_code` is run with `php -r`; it finds WordPress through the WPFLEET_CORE and
// WPFLEET_SITE_CONFIG environment variables. Fails unless PHP exits 0; the error
// carries PHP's stderr.
Result<CommandOutput> run_wordpress_php(const BackendContext& ctx, const std::string& env,
                                        const std::string& tenant, const std::string& php_code,
                                        const std::string& stdin_data);

// Runs every due WordPress cron event of the tenant (what wp-cron.php does over HTTP).
Status run_due_cron(const BackendContext& ctx, const std::string& env, const std::string& tenant);

}  // namespace wpfleet::local
