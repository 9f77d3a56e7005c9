#!/usr/bin/env bash
# Benchmarks of the local platform (issue: "Local platform"), run on the real servers:
#   1. one new tenant, apply to first 200 through nginx (p50 of ROUNDS), against a bare
#      wp_install() of the same core in the same MariaDB (one before each round)
#   2. the 13-tenant example fleet from empty
#   2b. another tenant's first uncached page right after each of those applies, over its
#      warm time (the reload empties opcache's shared memory)
#   3. N generated tenants from empty (default 100: 1, then 12, then the rest)
#   4. idle memory per additional tenant at 13 and at N tenants (PSS of MariaDB +
#      php-fpm + nginx, after php-fpm's idle workers have exited)
#   5. `plan` over PLAN_TENANTS tenants with nothing to do (default 1000)
# usage: bench/apply_bench.sh [path/to/wpfleet]   (env: ROUNDS, N, PLAN_TENANTS, ONLY_PROVISIONING,
#                                                   BASELINE)
#   ONLY_PROVISIONING=1 stops after 1, 2 and 2b.
#   BASELINE=path/to/an/earlier/wpfleet: in 1, each round also adds a tenant with that
#   binary on the same platform, before or after this one's in turn, and both are reported
#   (the two must share the state directory's format).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wpfleet=$(realpath "${1:-$here/../build/wpfleet}")
rounds=${ROUNDS:-10} n=${N:-100} plan_tenants=${PLAN_TENANTS:-1000}
baseline=${BASELINE:+$(realpath "$BASELINE")}
only_provisioning=${ONLY_PROVISIONING:-0}
source "$here/lib.sh"
bench_setup apply-bench
port=$(free_port)

# The platform's process tree (the supervisor of state dir $1, MariaDB, php-fpm and
# nginx with all their workers, and the cron runs it starts). `pss`: the sum of their PSS
# (KiB). `busy`: how many of them are not there at rest (php-fpm workers, php-cli runs of
# `wpfleet cron run`, which a new site's first events keep busy for a while).
platform_tree() {  # state-dir pss|busy
  python3 - "$1/run/supervisor.pid" "$2" <<'PYTHON'
import os, sys
root = int(open(sys.argv[1]).read().split()[0])
children, names = {}, {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        stat = open(f"/proc/{pid}/stat").read()
        names[int(pid)] = stat[stat.index("(") + 1:stat.rindex(")")]
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(pid))
    except (OSError, ValueError):
        pass
tree, todo = [], [root]
while todo:
    pid = todo.pop()
    tree.append(pid)
    todo += children.get(pid, [])
if sys.argv[2] == "busy":
    parent = {c: p for p, cs in children.items() for c in cs}
    fpm = lambda p: names.get(p, "").startswith("php-fpm")
    workers = sum(1 for p in tree if fpm(p) and fpm(parent.get(p, 0)))
    runs = sum(1 for p in tree if p != root and (names.get(p) == "php" or names.get(p, "").startswith("wpfleet")))
    print(workers + runs)
    sys.exit()
total = 0
for pid in tree:
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    except OSError:
        pass
print(total)
PYTHON
}
platform_pss_kib() { platform_tree "$1" pss; }

fleet_up() {  # dir fleet-text
  mkdir -p "$1"
  cat > "$1/fleet.toml"
  "$wpfleet" -f "$1/fleet.toml" up >/dev/null 2>&1
}

echo "wpfleet benchmarks on $(nproc) CPUs, $(date -u +%F)"

# 2. The example fleet from empty.
sed "s/127.0.0.1:8080/127.0.0.1:$port/" "$here/../examples/bbws.toml" | fleet_up "$work/example"
t0=$(now); "$wpfleet" -f "$work/example/fleet.toml" apply --yes >/dev/null 2>&1; t1=$(now)
example_s=$(secs "$t0" "$t1")
echo "example fleet (13 tenants, 17 sites) from empty: ${example_s} s"

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

# The baseline of 1: a bare wp_install() of the same core into an empty database of the
# same MariaDB, as root in php-cli (what WordPress's own installer does, without users,
# pools, reloads or a first page), one before each round.
state="$work/example/.wpfleet"
bare_install() {  # round
  local db="bare_install_$1" config="$work/bare-$1.php"
  local password
  password=$("$wpfleet" -f "$work/example/fleet.toml" secret get -e platform mariadb-root-password)
  ( umask 077; cat > "$config" <<PHP
<?php
define('DB_NAME', '$db'); define('DB_USER', 'root'); define('DB_PASSWORD', '$password');
define('DB_HOST', 'localhost:$state/mariadb/mysqld.sock');
define('DB_CHARSET', 'utf8mb4'); define('DB_COLLATE', '');
\$table_prefix = 'wp_';
define('WP_HOME', 'http://bare$1.example'); define('WP_SITEURL', 'http://bare$1.example');
PHP
  )
  WPFLEET_SITE_CONFIG="$config" php -r 'require getenv("WPFLEET_SITE_CONFIG");
    $c = new mysqli("localhost", DB_USER, DB_PASSWORD, "", 0, substr(DB_HOST, strlen("localhost:")));
    $c->query("CREATE DATABASE " . DB_NAME);'
  local t0 t1
  t0=$(now)
  CORE="$state/core" WPFLEET_SITE_CONFIG="$config" php -r 'define("WP_INSTALLING", true);
    require getenv("CORE") . "/wp-load.php"; require_once ABSPATH . "wp-admin/includes/upgrade.php";
    wp_install("Bare", "admin", "a@bare.example", false, "", wp_generate_password(32));' >/dev/null 2>&1
  t1=$(now)
  rm -f "$config"
  secs "$t0" "$t1"
}

# 1. One new tenant at a time, apply to first 200 (apply returns after its health check
#    saw 200 through nginx).
# 2b. Around each of those applies (whose php-fpm reload empties opcache's shared memory),
#     another tenant's uncached page: warm (median of 3) and the first one after.
page_time() {  # an uncached page of an existing tenant, in seconds
  curl -fso /dev/null -w '%{time_total}' "http://goldencrust.wpdev.localhost:$port/?uncached=$RANDOM"
}
# Adds tenant $2 and applies with binary $1: "<seconds> <site step seconds>".
add_tenant() {  # binary id
  printf '\n[[tenants]]\nid = "%s"\ntitle = "New %s"\nadmin_email = "a@%s.example"\nenvironments = ["dev"]\n' "$2" "$2" "$2" >> "$work/example/fleet.toml"
  local t0 t1
  t0=$(now); "$1" -f "$work/example/fleet.toml" apply --yes >"$work/apply.out" 2>&1; t1=$(now)
  # The site step (install or template copy, then the first 200), as apply says.
  echo "$(secs "$t0" "$t1") $(sed -n 's/.*site created (\([0-9.]*\)s).*/\1/p' "$work/apply.out")"
}
samples=() site_steps=() bare=() after_apply=() base_samples=() base_site_steps=()
baseline_apply() {  # round
  local result
  result=$(add_tenant "$baseline" "basesite$(printf %02d "$1")")
  base_samples+=("${result% *}") base_site_steps+=("${result#* }")
}
for i in $(seq 1 "$rounds"); do
  bare+=("$(bare_install "$i")")
  if [ -n "$baseline" ] && [ $((i % 2)) = 1 ]; then baseline_apply "$i"; fi
  page_time >/dev/null
  warm=$(median "$(page_time)" "$(page_time)" "$(page_time)")
  result=$(add_tenant "$wpfleet" "newsite$(printf %02d "$i")")
  after_apply+=("$(python3 -c "print(f'{$(page_time) / $warm:.2f}')")")
  curl -fso /dev/null "http://newsite$(printf %02d "$i").wpdev.localhost:$port/"
  samples+=("${result% *}") site_steps+=("${result#* }")
  if [ -n "$baseline" ] && [ $((i % 2)) = 0 ]; then baseline_apply "$i"; fi
done
p50=$(median "${samples[@]}") bare_p50=$(median "${bare[@]}")
echo "one new tenant, apply to first 200: p50 ${p50} s over $rounds (all: ${samples[*]});" \
  "bare wp_install() p50 ${bare_p50} s (all: ${bare[*]}): $(python3 -c "print(f'{$p50 / $bare_p50:.2f}')")x"
echo "  of which the site step (WordPress installed or copied from the template, first 200):" \
  "p50 $(median "${site_steps[@]}") s (all: ${site_steps[*]})"
if [ -n "$baseline" ]; then
  base_p50=$(median "${base_samples[@]}")
  echo "  baseline $baseline on the same platform, interleaved: p50 ${base_p50} s (all:" \
    "${base_samples[*]}), site step p50 $(median "${base_site_steps[@]}") s (all:" \
    "${base_site_steps[*]}); this binary over the baseline: $(python3 -c "print(f'{$p50 / $base_p50:.2f}')")x"
fi
echo "another tenant's first uncached page after each apply, over its warm time: median" \
  "$(median "${after_apply[@]}")x (all: ${after_apply[*]})"
echo "load average (1, 5, 15 min) at the end of 1: $(cut -d' ' -f1-3 /proc/loadavg)"
"$wpfleet" -f "$work/example/fleet.toml" down >/dev/null 2>&1
[ "$only_provisioning" = 1 ] && exit 0

# 3 + 4. N generated tenants from empty; idle memory with 1, 13 and N tenants. The
# 13-tenant figure is where a small fleet is (MariaDB's buffer pool still filling); by
# N it has stopped growing.
# At rest: no php-fpm worker (they exit after 10 s idle) and no cron run, for 3 s in a
# row. How long the platform took to get there is said, since the first cron run of many
# new sites (all their events are due at once) is most of it.
idle_pss_kib() {
  local quiet=0 waited=0
  while [ "$quiet" -lt 3 ] && [ "$waited" -lt 900 ]; do
    sleep 1; waited=$((waited + 1))
    if [ "$(platform_tree "$work/gen/.wpfleet" busy)" = 0 ]; then quiet=$((quiet + 1)); else quiet=0; fi
  done
  echo "  (at rest ${waited} s after the apply)" >&2
  platform_pss_kib "$work/gen/.wpfleet"
}
per_tenant_mib() { python3 -c "print(f'{($2 - $1) / ($3 - 1) / 1024:.2f}')"; }
"$here/fleet_gen.sh" 1 "$port" base | fleet_up "$work/gen"
"$wpfleet" -f "$work/gen/fleet.toml" apply --yes >/dev/null 2>&1
mem_1=$(idle_pss_kib)
"$here/fleet_gen.sh" "$((n - 1))" "$port" | sed 1,4d > "$work/gen/more.toml"
# The first 12 generated tenants, then the rest.
awk 'BEGIN{c=0} /^\[\[tenants\]\]/{c++} c>=1 && c<=12' "$work/gen/more.toml" >> "$work/gen/fleet.toml"
t0=$(now); "$wpfleet" -f "$work/gen/fleet.toml" apply --yes >/dev/null 2>&1; t1=$(now)
gen13_s=$(secs "$t0" "$t1")
mem_13=$(idle_pss_kib)
awk 'BEGIN{c=0} /^\[\[tenants\]\]/{c++} c>12' "$work/gen/more.toml" >> "$work/gen/fleet.toml"
t0=$(now); "$wpfleet" -f "$work/gen/fleet.toml" apply --yes >/dev/null 2>&1; t1=$(now)
total=$(grep -c '^\[\[tenants' "$work/gen/fleet.toml")
echo "generated tenants from empty: 12 in ${gen13_s} s, then $((total - 13)) more in $(secs "$t0" "$t1") s"
mem_n=$(idle_pss_kib)
echo "idle memory (PSS): $((mem_1 / 1024)) MiB with 1 tenant, $((mem_13 / 1024)) MiB with 13, $((mem_n / 1024)) MiB with $total"
echo "idle memory per additional tenant: $(per_tenant_mib "$mem_1" "$mem_13" 13) MiB at 13 tenants, $(per_tenant_mib "$mem_1" "$mem_n" "$total") MiB at $total"

# 5. plan with nothing to do over PLAN_TENANTS tenants.
if [ "$plan_tenants" -gt "$n" ]; then
  "$here/fleet_gen.sh" "$plan_tenants" "$port" | sed 1,4d | awk -v skip="$((n - 1))" 'BEGIN{c=0} /^\[\[tenants\]\]/{c++} c>skip' >> "$work/gen/fleet.toml"
  t0=$(now); "$wpfleet" -f "$work/gen/fleet.toml" apply --yes >/dev/null 2>&1; t1=$(now)
  echo "$((plan_tenants - n + 1)) more tenants applied in $(secs "$t0" "$t1") s"
fi
best=""
for i in 1 2 3 4 5; do
  t0=$(now); "$wpfleet" -f "$work/gen/fleet.toml" plan >/dev/null 2>&1 || true; t1=$(now)
  s=$(secs "$t0" "$t1"); best=$(python3 -c "print(min(float('$s'), float('${best:-1e9}')))")
done
echo "plan over $(grep -c '^\[\[tenants' "$work/gen/fleet.toml") tenants, nothing to do: best of 5 ${best} s"
