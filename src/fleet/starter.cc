#include "fleet/parse.h"

namespace wpfleet {

std::string starter_fleet_file() {
  return R"(# wpfleet fleet file: the WordPress sites you want and where they run.
# Edit it, then `wpfleet plan` shows what would change and `wpfleet apply` makes it so.
# Applying is safe to repeat: what already exists is kept, not re-created.

# An environment is one place tenants run. Define each as [environments.NAME], where NAME
# is 1-16 lowercase letters or digits starting with a letter.
[environments.dev]
# Which backend runs it. Only "local" (this machine) is available for now.
backend = "local"
# Each tenant's host name; {tenant} is replaced by the tenant id. Browsers and curl send
# *.localhost to this machine, so these names work without any DNS set-up.
domain = "{tenant}.wpdev.localhost"
# Where the web server listens: an IPv4 address, "localhost" or "[::1]", then a port.
listen = "127.0.0.1:8080"
# Whether this is production (default false).
production = false

# PHP limits for each tenant in this environment. The table and each key are optional;
# the values shown are the defaults.
[environments.dev.php]
max_children = 5       # PHP worker processes per tenant, 1..200
memory_limit = "256M"  # memory one request may use, 32M..4G
upload_max = "64M"     # largest file upload, 1M..2G
idle_timeout = "10s"   # idle workers exit after this long, 1s..3600s

# Staging: the same web server as dev, told apart by host name.
[environments.sit]
backend = "local"
domain = "{tenant}.wpsit.localhost"
listen = "127.0.0.1:8080"

# A tenant is one WordPress site. Add a [[tenants]] block for each.
[[tenants]]
# A DNS label, unique in the fleet: 1-32 characters from a-z, 0-9 and '-'.
id = "demo-bakery"
# The WordPress site title.
title = "Demo Bakery"
# The site administrator's email address.
admin_email = "owner@demo-bakery.example"
# The environments this tenant runs in.
environments = ["dev", "sit"]
# Optional extra host names, by environment. A host name may lead to only one site per
# listen address, so an alias for both dev and sit (which share 127.0.0.1:8080) would clash.
aliases = { dev = ["www.demo-bakery.wpdev.localhost"] }

[[tenants]]
id = "demo-florist"
title = "Demo Florist"
admin_email = "owner@demo-florist.example"
environments = ["dev"]
# A plain list of aliases applies to every environment of the tenant.
aliases = ["shop.demo-florist.wpdev.localhost"]
)";
}

}  // namespace wpfleet
