#!/usr/bin/env bash
# Promote benchmark (issue "Content engine"): a tenant whose database holds SIZE MB of
# generated WordPress content (bench/rewriter/gen_dump.cc, tables renamed bench_* beside
# WordPress's own, its URLs the dev site's) is promoted dev -> sit, and compared with a
# plain `mariadb-dump | mariadb` copy of the same database measured in the same run.
# The second promote also snapshots a target that now holds the same SIZE MB.
# usage: bench/promote_bench.sh [path/to/wpfleet]   (env: SIZE_MB=1000)
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

export MYSQL_PWD=$("$wpfleet" -f "$fleet" secret get -e platform mariadb-root-password)
sock="$work/.wpfleet/mariadb/mysqld.sock"
mysql_root() { mariadb -uroot --socket="$sock" "$@"; }

g++ -std=c++20 -O2 -I"$src" "$here/rewriter/gen_dump.cc" "$src/content/sql_escape.cc" -o "$work/gen_dump"
"$work/gen_dump" "$size" | sed 's/`wp_/`bench_/g; s#http://old\.example#http://alpha.wpdev.localhost:'"$port"'#g' \
  > "$work/content.sql"
t0=$(now); mysql_root dev_alpha_db < "$work/content.sql"; t1=$(now)
rm "$work/content.sql"
echo "promote benchmark on $(nproc) CPUs, $(date -u +%F): a ${size} MB dump of generated content, loaded in $(secs "$t0" "$t1") s"

mysql_root -e "CREATE DATABASE plain_copy"
t0=$(now)
mariadb-dump -uroot --socket="$sock" --single-transaction --quick dev_alpha_db | mysql_root plain_copy
t1=$(now)
plain=$(secs "$t0" "$t1")
mysql_root -e "DROP DATABASE plain_copy"
echo "plain mariadb-dump | mariadb copy: ${plain} s"

t0=$(now); "$wpfleet" -f "$fleet" promote alpha --from dev --to sit >/dev/null 2>&1; t1=$(now)
first=$(secs "$t0" "$t1")
echo "wpfleet promote dev -> sit (empty target): ${first} s, $(python3 -c "print(f'{$first / $plain:.2f}')")x the plain copy"
t0=$(now); "$wpfleet" -f "$fleet" promote alpha --from dev --to sit >/dev/null 2>&1; t1=$(now)
second=$(secs "$t0" "$t1")
echo "wpfleet promote again (snapshots the ${size} MB target first): ${second} s, $(python3 -c "print(f'{$second / $plain:.2f}')")x the plain copy"
