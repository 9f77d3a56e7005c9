// The PHP half of `wpfleet audit`: a script that tries, from inside a tenant's own pool
// (its Unix user, its php_admin settings), what a hostile plugin would.
#pragma once

#include <string>

namespace wpfleet::local {

// Its file name in StateLayout::php_support_dir(), inside every pool's open_basedir.
inline constexpr const char* kAuditProbeFile = "audit-probe.php";
// Where the environment's direct socket (wpfleet's alone) passes it to the pool.
inline constexpr const char* kAuditProbeUri = "/.wpfleet/audit";

// The script. It reads a JSON request body:
//   {"functions": [...], "forbidden": [paths], "databases": [names], "lookalike": name,
//    "sendmail_path": "..."}
// and answers {"uid": N, "checks": [{"name", "ok", "detail"}]}, "ok" meaning the attempt
// was refused (or, for the first check, that the probe really runs as the tenant).
std::string audit_probe_script();

}  // namespace wpfleet::local
