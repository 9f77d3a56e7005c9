#!/usr/bin/env bash
# Edge throughput (issues "Edge" and 13): wrk on loopback against a tenant in an
# environment with basic auth on and a 10 s page micro-cache, compared with a bare nginx
# (no auth, no routing) configured like ours and serving the same bytes as static files:
#   1. a static asset (theme CSS)            -> requests/s and ratio to bare nginx
#   2. an anonymous page from the micro-cache -> requests/s and ratio to bare nginx
#   3. an uncached PHP page (query string)    -> requests/s
# and, for 1 and 2, the nginx workers' CPU per request against the bare one's.
# The bare nginx takes wpfleet's own nginx.conf settings (workers, open-file cache,
# sendfile, keepalive) from the generated file, logs every request the way ours does
# (combined, 64 KiB buffer), sends the same headers (Expires, Cache-Control and
# X-Robots-Tag on the asset; Link, X-Cache and X-Robots-Tag on the page) and gets the same
# requests (Host and Authorization included, which it ignores). One difference stays: PHP
# sends no Content-Length, so nginx sends the cached page chunked (the chunk lines are ~20
# bytes and one more write per answer) while the bare one has a length. Runs alternate
# between ours and the bare one, ROUNDS times; the figures are medians and the ratio is
# the median of the rounds' ratios, so both see the same load.
# usage: bench/edge_bench.sh [path/to/wpfleet]   (env: SECONDS_PER_RUN, CONNECTIONS, ROUNDS)
set -euo pipefail
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
wpfleet=$(realpath "${1:-$here/../build/wpfleet}")
duration=${SECONDS_PER_RUN:-5} connections=${CONNECTIONS:-32} rounds=${ROUNDS:-5}
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

# The bare baseline: one server, the same files, nothing in front, configured like ours.
mkdir -p "$work/bare/root/wp-content/themes/twentytwentythree" "$work/bare/tmp"
cp "$work/.wpfleet/core/wp-content/themes/twentytwentythree/style.css" "$work/bare/root$css"
curl -fs -H "$auth" --resolve "$host:$port:127.0.0.1" "http://$host:$port/" > "$work/bare/root/page.html"
ours() { grep -E "^ *($1) " "$work/.wpfleet/nginx/nginx.conf"; }
cat > "$work/bare/nginx.conf" <<NGINX
$(ours worker_processes)
pid $work/bare/nginx.pid;
error_log $work/bare/error.log;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
$(ours 'sendfile|tcp_nopush|keepalive_timeout|server_tokens|open_file_cache[a-z_]*')
  access_log $work/bare/access.log combined buffer=64k flush=1s;
  client_body_temp_path $work/bare/tmp; proxy_temp_path $work/bare/tmp; fastcgi_temp_path $work/bare/tmp;
  uwsgi_temp_path $work/bare/tmp; scgi_temp_path $work/bare/tmp;
  server {
    listen 127.0.0.1:$bare_port;
    root $work/bare/root;
    add_header X-Robots-Tag "noindex, nofollow" always;
    location /wp-content/ { expires 30d; add_header X-Robots-Tag "noindex, nofollow" always; }
    location = /page.html {
      add_header Link '<http://$host:$port/wp-json/>; rel="https://api.w.org/"';
      add_header X-Cache HIT always;
      add_header X-Robots-Tag "noindex, nofollow" always;
    }
  }
}
NGINX
nginx -c "$work/bare/nginx.conf" -p "$work/bare" -e "$work/bare/error.log"

# CPU time (clock ticks) of the nginx workers under the master whose pid file is $1.
worker_ticks() {
  local total=0 pid
  for pid in $(pgrep -P "$(cat "$1")"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
# Requests/s of a wrk run, then the nginx workers' CPU per request in microseconds: less
# swayed than requests/s by what else the machine runs.
rps() {  # pid-file url [headers...]
  local pid_file=$1 url=$2; shift 2
  local args=() before out
  for h in "$@"; do args+=(-H "$h"); done
  before=$(worker_ticks "$pid_file")
  out=$(wrk -t2 -c"$connections" -d"${duration}s" "${args[@]}" "$url")
  echo "$(awk '/Requests\/sec/{print $2}' <<<"$out")" \
    "$(python3 -c "print(($(worker_ticks "$pid_file") - $before) * 1e6 / $(getconf CLK_TCK) / $(awk '/requests in/{print $1}' <<<"$out"))")"
}
bytes() {  # url [curl options...]: the size of the whole answer, headers included
  local url=$1; shift
  curl -fs -D - -o /dev/null "$@" "$url" | grep -viE '^(date|last-modified|etag|expires):' | wc -c
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

curl -fs -o /dev/null -H "$auth" --resolve "$host:$port:127.0.0.1" "http://$host:$port/"  # fill the cache
echo "answer sizes without dated headers (bytes): static $(bytes "http://127.0.0.1:$port$css" -H "Host: $host" -H "$auth")" \
  "vs bare $(bytes "http://127.0.0.1:$bare_port$css"), page $(bytes "http://127.0.0.1:$port/" -H "Host: $host" -H "$auth")" \
  "vs bare $(bytes "http://127.0.0.1:$bare_port/page.html")" >&2

ours=$work/.wpfleet/run/nginx.pid bare=$work/bare/nginx.pid
static=() static_bare=() static_ratio=() page=() page_bare=() page_ratio=()
static_cpu=() page_cpu=()  # bare's CPU per request over ours: the same sense as the ratios
for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds…" >&2
  read -r s sc < <(rps "$ours" "http://127.0.0.1:$port$css" "Host: $host" "$auth")
  read -r sb sbc < <(rps "$bare" "http://127.0.0.1:$bare_port$css" "Host: $host" "$auth")
  read -r p pc < <(rps "$ours" "http://127.0.0.1:$port/" "Host: $host" "$auth")
  read -r pb pbc < <(rps "$bare" "http://127.0.0.1:$bare_port/page.html" "Host: $host" "$auth")
  static+=("$s") static_bare+=("$sb") static_ratio+=("$(ratio "$s" "$sb")")
  page+=("$p") page_bare+=("$pb") page_ratio+=("$(ratio "$p" "$pb")")
  static_cpu+=("$(ratio "$sbc" "$sc")") page_cpu+=("$(ratio "$pbc" "$pc")")
done
read -r php _ < <(rps "$ours" "http://127.0.0.1:$port/?uncached=1" "Host: $host" "$auth")

echo "edge benchmarks on $(nproc) CPUs, wrk -t2 -c$connections -d${duration}s, $rounds interleaved rounds, $(date -u +%F)"
echo "static asset, sit (auth on):   $(median "${static[@]}") req/s; bare nginx $(median "${static_bare[@]}") req/s; ratio $(median "${static_ratio[@]}") (rounds: ${static_ratio[*]})"
echo "cached page, sit (auth on):    $(median "${page[@]}") req/s; bare nginx $(median "${page_bare[@]}") req/s; ratio $(median "${page_ratio[@]}") (rounds: ${page_ratio[*]})"
echo "nginx CPU per request, bare over ours (median): static $(median "${static_cpu[@]}") (rounds: ${static_cpu[*]}), cached page $(median "${page_cpu[@]}") (rounds: ${page_cpu[*]})"
echo "uncached PHP page, sit:        $php req/s"
