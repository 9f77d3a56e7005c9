#include "fleet/parse.h"

namespace wpfleet {

std::string starter_fleet_file() {
  return R"toml(# wpfleet fleet file: the WordPress sites you want and where they run.
# Edit it, then `wpfleet plan` shows what would change and `wpfleet apply` makes it so.
# Applying is safe to repeat: what already exists is kept, not re-created.
# Every key is here with what it does; the optional ones that are off are commented out.

# Optional: where to say that a site went down or came back (once per change, then once
# when it recovers). The supervisor checks every site each minute; `wpfleet events`
# lists the changes. A webhook gets a JSON POST with "text" (Slack's and Teams' incoming
# webhooks take it); a command runs with the event as JSON on its stdin.
# alerts = [
#   { webhook = "https://hooks.slack.com/services/..." },
#   { command = "/usr/local/bin/page-on-call" },
# ]

# An environment is one place tenants run. Define each as [environments.NAME], where NAME
# is 1-16 lowercase letters or digits starting with a letter.
[environments.dev]
# Which backend runs it: "local" (this machine: MariaDB, php-fpm and nginx that
# `wpfleet up` starts) or "aws" (your own AWS platform; see the end of this file).
backend = "local"
# Each tenant's host name; {tenant} is replaced by the tenant id. Browsers and curl send
# *.localhost to this machine, so these names work without any DNS set-up.
domain = "{tenant}.wpdev.localhost"
# Where the web server listens: an IPv4 address, "localhost" or "[::1]", then a port.
# Environments may share one; host names tell their sites apart.
listen = "127.0.0.1:8080"
# Which WordPress its tenants run (local backend): "debian" (the default: Debian's
# wordpress package, works offline) or a release of wordpress.org such as "6.8.3", which
# apply downloads once, checks against the checksum wordpress.org publishes and keeps as
# one read-only copy that every tenant on that version shares. Set
# WPFLEET_CORE_DOWNLOAD_URL to download from a mirror instead of https://wordpress.org.
core = "debian"
# Whether this is production (default false). Outside production, search engines are
# asked not to index the sites and their mail is kept in `wpfleet logs` instead of sent;
# in production, deleting a tenant and promoting into it need --approve.
production = false
# Optional: keep anonymous page views in a micro-cache for this long (1s..3600s). Logged-in
# users, wp-admin, logins, previews and form posts always reach WordPress.
# page_cache = "10s"
# How many snapshots of each tenant to keep (1..1000, default 10). One is taken before
# every promote, import and restore, so that `wpfleet rollback` can undo it.
snapshot_retention = 10
# Optional: the disk this environment's snapshots may take (MB, GB or TB; 1GB = 1024MB).
# Snapshots share the files they have in common, so each costs its database dump and
# the files changed since. After each new snapshot the oldest are deleted until they
# fit, never one an unfinished operation needs, nor a production tenant's newest.
# snapshot_budget = "5GB"
# Optional: back up every tenant on a schedule (the supervisor runs due backups; each is
# checked by loading it where the site cannot see it). `every` is hours or days (1h..90d),
# `keep` the verified backups kept per tenant, `to` an absolute directory.
# backup = { every = "24h", keep = 14, to = "/var/backups/wpfleet" }

# PHP limits for each tenant in this environment. The table and each key are optional;
# the values shown are the defaults.
[environments.dev.php]
max_children = 5       # PHP worker processes per tenant, 1..200
memory_limit = "256M"  # memory one request may use, 32M..4G
upload_max = "64M"     # largest file upload, 1M..2G
idle_timeout = "10s"   # idle workers exit after this long, 1s..3600s

# Staging: the same web server as dev, told apart by host name, behind a password.
[environments.sit]
backend = "local"
domain = "{tenant}.wpsit.localhost"
listen = "127.0.0.1:8080"
# Optional: visitors must log in as this user, with a password that apply generates:
# `wpfleet secret get -e sit basic-auth-password` prints it, `wpfleet secret rotate -e
# sit basic-auth-password` replaces it.
basic_auth = { user = "demo-sit" }
# Optional, with basic_auth: addresses (IPv4 or IPv6, with a /prefix) that skip the password.
# allow = ["203.0.113.0/24"]
# Optional: HTTPS with a certificate from wpfleet's own CA (`wpfleet ca path` prints the
# file to trust). Environments that share a listen address must agree, so turn it on in
# dev as well, or give sit a listen address of its own.
# tls = true
# Optional: run in order on each tenant after content is promoted or imported into this
# environment; if one fails, the content from before is put back. "sql: ..." is one SQL
# statement on the tenant's database; "php: ..." is PHP run with WordPress loaded, as
# the tenant.
# after_promote = [
#   "sql: UPDATE wp_users SET user_email = CONCAT('user', ID, '@example.invalid')",
#   "php: update_option('blogdescription', 'Staging copy');",
# ]

# An environment on AWS names its account, region, network and the platform pieces your
# Terraform made; examples/bbws-aws.toml (in wpfleet's source) shows every key.
# [environments.prod]
# backend = "aws"
# domain = "{tenant}.example.com"
# production = true
# [environments.prod.aws]
# region = "eu-west-1"
# account_id = "123456789012"
# subnets = ["subnet-0123456789abcdef0"]
# security_groups = ["sg-0123456789abcdef0"]

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
# Optional: the tenant's own host name in some environments (a client's domain), instead
# of the environment's domain pattern. It becomes the site's home URL there.
# domains = { sit = "demo-bakery.example" }
# Optional extra host names, by environment. A host name alone: "www." and the tenant's
# host name redirects to it (301, path kept), any other is served as it is. State the mode
# with { host = "...", redirect = true } or redirect = false. A host name may lead to only
# one site per listen address, so an alias for both dev and sit (which share
# 127.0.0.1:8080) would clash.
aliases = { dev = ["www.demo-bakery.wpdev.localhost"] }

[[tenants]]
id = "demo-florist"
title = "Demo Florist"
admin_email = "owner@demo-florist.example"
environments = ["dev"]
# A plain list of aliases applies to every environment of the tenant.
aliases = ["shop.demo-florist.wpdev.localhost",
           { host = "florist.wpdev.localhost", redirect = true }]
)toml";
}

}  // namespace wpfleet
