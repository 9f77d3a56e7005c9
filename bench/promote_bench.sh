#!/usr/bin/env bash
# Promote benchmark (issue "Content engine"): a tenant whose database holds SIZE MB of
# generated WordPress content (bench/rewriter/gen_dump.cc, tables renamed bench_* beside
# WordPress's own, its URLs the dev site's) is promoted dev -> sit, and compared with a
# plain `mariadb-dump | mariadb` copy of the same database measured in the same run.
# Promote runs once per number of streams (--streams 1 2 3 4, into an emptied target),
# between two plain copies whose mean is the baseline; the last promote, with the default
# streams, also snapshots a target that now holds the same SIZE MB.
# usage: bench/promote_bench.sh [path/to/wpfleet]   (env: SIZE_MB=1000, STREAMS="1 2 3 4")
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../src" && pwd)
wpfleet=$(realpath "${1:-$here/../build/wpfleet}")
size=${SIZE_MB:-1000}
source "$here/lib.sh"
bench_setup promote-bench
port=$(free_port)
cat > "$fleet" <<TOML
[environments.dev]
domain = "{tenant}.wpdev.localhost"
listen = "127.0.0.1:$port"
[environments.sit]
domain = "{tenant}.wpsit.localhost"
listen = "127.0.0.1:$port"
basic_auth = { user = "bbws-sit" }

[[tenants]]
id = "alpha"
title = "Alpha"
admin_email = "a@alpha.example"
environments = ["dev", "sit"]
TOML
"$wpfleet" -f "$fleet" up >/dev/null 2>&1
"$wpfleet" -f "$fleet" apply --yes >/dev/null 2>&1

bench_root_client "$work/.wpfleet/mariadb/mysqld.sock"

g++ -std=c++20 -O2 -I"$src" "$here/rewriter/gen_dump.cc" "$src/content/sql_escape.cc" -o "$work/gen_dump"
"$work/gen_dump" "$size" | sed 's/`wp_/`bench_/g; s#http://old\.example#http://alpha.wpdev.localhost:'"$port"'#g' \
  > "$work/content.sql"
t0=$(now); mysql_root dev_alpha_db < "$work/content.sql"; t1=$(now)
rm "$work/content.sql"
echo "promote benchmark on $(nproc) CPUs, $(date -u +%F): a ${size} MB dump of generated content, loaded in $(secs "$t0" "$t1") s"

# The baseline, measured before and after the promotes (the machine is shared: its load
# changes over minutes); the ratios are to the mean of the two.
plain_copy() {
  mysql_root -e "CREATE DATABASE plain_copy"
  local t0 t1
  t0=$(now)
  mysqldump_root --single-transaction --quick dev_alpha_db | mysql_root plain_copy
  t1=$(now)
  mysql_root -e "DROP DATABASE plain_copy"
  secs "$t0" "$t1"
}
plain_before=$(plain_copy)
echo "plain mariadb-dump | mariadb copy (before): ${plain_before} s, $(python3 -c "print(f'{$size / $plain_before:.0f}')") MB/s"

# The bulk of the copy, for comparing runs: CHECKSUM TABLE of the generated tables
# (settle rewrites some of WordPress's own rows, such as the admin's password hash).
bulk_checksum() {
  local tables
  tables=$(mysql_root -N -e "SELECT GROUP_CONCAT(CONCAT('\`', table_name, '\`')) FROM information_schema.tables
                             WHERE table_schema = 'sit_alpha_db' AND table_name LIKE 'bench%'")
  mysql_root -N sit_alpha_db -e "CHECKSUM TABLE $tables" | md5sum | cut -c1-12
}
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
mbps() { python3 -c "print(f'{$size / $1:.0f}')"; }

# One promote per number of streams (1 is mariadb-dump | mariadb through the rewriter),
# each into a target emptied first, so that none snapshots a full one.
first_sum=""
results=()
for streams in ${STREAMS:-1 2 3 4}; do
  mysql_root -e "DROP DATABASE IF EXISTS sit_alpha_db; CREATE DATABASE sit_alpha_db"
  t0=$(now)
  "$wpfleet" -f "$fleet" promote alpha --from dev --to sit --streams "$streams" >/dev/null 2>"$work/promote.err" ||
    { cat "$work/promote.err"; exit 1; }
  t1=$(now)
  took=$(secs "$t0" "$t1")
  sum=$(bulk_checksum)
  [ -z "$first_sum" ] && first_sum=$sum
  same=$([ "$sum" = "$first_sum" ] && echo "same-tables-as-the-first" || echo "TABLES-DIFFER-from-the-first")
  results+=("$streams $took $same")
done
plain_after=$(plain_copy)
plain=$(python3 -c "print(f'{($plain_before + $plain_after) / 2:.2f}')")
echo "plain mariadb-dump | mariadb copy (after): ${plain_after} s; baseline (mean): ${plain} s, $(mbps "$plain") MB/s"
for line in "${results[@]}"; do
  set -- $line  # streams, seconds, same?
  echo "wpfleet promote --streams $1: $2 s, $(ratio "$2" "$plain")x the plain copy, $(mbps "$2") MB/s ($3)"
done
t0=$(now); "$wpfleet" -f "$fleet" promote alpha --from dev --to sit >/dev/null 2>&1; t1=$(now)
second=$(secs "$t0" "$t1")
echo "wpfleet promote again (default streams; snapshots the ${size} MB target first): ${second} s, $(ratio "$second" "$plain")x the plain copy"
