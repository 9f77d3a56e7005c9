// Runs PHP code against one tenant's WordPress from the command line, as the tenant's
// user and under the same open_basedir as its pool: installing, updating options,
// running due cron events. Input goes on stdin (it may hold secrets); never on argv.
#pragma once

#include <ctime>
#include <optional>
#include <string>

#include "backends/registry.h"
#include "util/mysql_client.h"
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

// Whether the tenant has a cron event due at `now`, read from its `cron` option without
// starting PHP: loading WordPress once a minute for every idle tenant would cost more
// CPU than the sites themselves.
Result<bool> cron_due(MysqlClient& root, const std::string& env, const std::string& tenant,
                      std::time_t now);

// The earliest event time in a serialized WordPress `cron` option (its top-level keys
// are unix timestamps), or nothing when it schedules no event.
std::optional<std::time_t> earliest_cron_event(const std::string& serialized);

}  // namespace wpfleet::local
