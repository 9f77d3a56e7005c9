#!/usr/bin/env bash
# Edge throughput (issue "Edge"): wrk on loopback against a tenant in an environment with
# basic auth on and a 10 s page micro-cache, compared with a bare nginx (no auth, no
# routing) serving the same bytes as a static file:
#   1. a static asset (theme CSS)            -> requests/s and ratio to bare nginx
#   2. an anonymous page from the micro-cache -> requests/s and ratio to bare nginx
#   3. an uncached PHP page (query string)    -> requests/s
# usage: bench/edge_bench.sh [path/to/wpfleet]   (env: SECONDS_PER_RUN, CONNECTIONS)
set -euo pipefail
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
wpfleet=$(realpath "${1:-$here/../build/wpfleet}")
duration=${SECONDS_PER_RUN:-10} connections=${CONNECTIONS:-32}
source "$here/lib.sh"
bench_setup edge-bench
port=$(free_port) bare_port=$(free_port)
stop_bare() { [ -f "$work/bare/nginx.pid" ] && kill "$(cat "$work/bare/nginx.pid")" 2>/dev/null || true; }
trap 'stop_bare; bench_cleanup' EXIT

cat > "$fleet" <<TOML
[environments.sit]
domain = "{tenant}.wpsit.localhost"
listen = "127.0.0.1:$port"
basic_auth = { user = "bbws-sit" }
page_cache = "10s"

[[tenants]]
id = "goldencrust"
title = "Golden Crust Bakery & Cafe"
admin_email = "owner@goldencrust.example"
environments = ["sit"]
TOML
"$wpfleet" -f "$fleet" up >/dev/null 2>&1
"$wpfleet" -f "$fleet" apply --yes >/dev/null 2>&1
host=goldencrust.wpsit.localhost
auth="Authorization: Basic $(printf 'bbws-sit:%s' "$("$wpfleet" -f "$fleet" secret get -e sit basic-auth-password)" | base64 -w0)"
css=/wp-content/themes/twentytwentythree/style.css

# The bare baseline: one nginx, one server, the same files, nothing in front.
mkdir -p "$work/bare/root/wp-content/themes/twentytwentythree" "$work/bare/tmp"
cp "$work/.wpfleet/core/wp-content/themes/twentytwentythree/style.css" "$work/bare/root$css"
curl -fs -H "$auth" --resolve "$host:$port:127.0.0.1" "http://$host:$port/" > "$work/bare/root/page.html"
cat > "$work/bare/nginx.conf" <<NGINX
worker_processes 1;
pid $work/bare/nginx.pid;
error_log $work/bare/error.log;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path $work/bare/tmp; proxy_temp_path $work/bare/tmp; fastcgi_temp_path $work/bare/tmp;
  uwsgi_temp_path $work/bare/tmp; scgi_temp_path $work/bare/tmp;
  sendfile on;
  server { listen 127.0.0.1:$bare_port; root $work/bare/root; }
}
NGINX
nginx -c "$work/bare/nginx.conf" -p "$work/bare" -e "$work/bare/error.log"

rps() {  # url [headers...]
  local url=$1; shift
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  wrk -t2 -c"$connections" -d"${duration}s" "${args[@]}" "$url" | awk '/Requests\/sec/{print $2}'
}
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

static=$(rps "http://127.0.0.1:$port$css" "Host: $host" "$auth")
static_bare=$(rps "http://127.0.0.1:$bare_port$css")
curl -fs -o /dev/null -H "$auth" --resolve "$host:$port:127.0.0.1" "http://$host:$port/"  # fill the cache
page=$(rps "http://127.0.0.1:$port/" "Host: $host" "$auth")
page_bare=$(rps "http://127.0.0.1:$bare_port/page.html")
php=$(rps "http://127.0.0.1:$port/?uncached=1" "Host: $host" "$auth")

echo "edge benchmarks on $(nproc) CPUs, wrk -t2 -c$connections -d${duration}s, $(date -u +%F)"
echo "static asset, sit (auth on):   $static req/s; bare nginx $static_bare req/s; ratio $(ratio "$static" "$static_bare")"
echo "cached page, sit (auth on):    $page req/s; bare nginx $page_bare req/s; ratio $(ratio "$page" "$page_bare")"
echo "uncached PHP page, sit:        $php req/s"
