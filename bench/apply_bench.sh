#!/usr/bin/env bash
# Benchmarks of the local platform (issue: "Local platform"), run on the real servers:
#   1. one new tenant, apply to first 200 through nginx (p50 of ROUNDS)
#   2. the 13-tenant example fleet from empty
#   3. N generated tenants from empty (default 100)
#   4. idle memory per additional tenant (PSS of MariaDB + php-fpm + nginx, after
#      php-fpm's idle workers have exited)
#   5. `plan` over PLAN_TENANTS tenants with nothing to do (default 1000)
# usage: bench/apply_bench.sh [path/to/wpfleet]   (env: ROUNDS, N, PLAN_TENANTS)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wpfleet=$(realpath "${1:-$here/../build/wpfleet}")
rounds=${ROUNDS:-10} n=${N:-100} plan_tenants=${PLAN_TENANTS:-1000}
source "$here/lib.sh"
bench_setup apply-bench
port=$(free_port)

# Sum of PSS (KiB) over the platform's process tree (the supervisor of state dir $1,
# MariaDB, php-fpm and nginx with all their workers).
platform_pss_kib() {
  python3 - "$1/run/supervisor.pid" <<'PYTHON'
import os, sys
root = int(open(sys.argv[1]).read().split()[0])
children = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(pid))
    except OSError:
        pass
total, todo = 0, [root]
while todo:
    pid = todo.pop()
    todo += children.get(pid, [])
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    except OSError:
        pass
print(total)
PYTHON
}

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

# 1. One new tenant at a time, apply to first 200 (apply returns after its health check
#    saw 200 through nginx).
samples=()
for i in $(seq 1 "$rounds"); do
  printf '\n[[tenants]]\nid = "newsite%02d"\ntitle = "New %d"\nadmin_email = "a@new%d.example"\nenvironments = ["dev"]\n' "$i" "$i" "$i" >> "$work/example/fleet.toml"
  t0=$(now); "$wpfleet" -f "$work/example/fleet.toml" apply --yes >/dev/null 2>&1; t1=$(now)
  curl -fso /dev/null "http://newsite$(printf %02d "$i").wpdev.localhost:$port/"
  samples+=("$(secs "$t0" "$t1")")
done
p50=$(printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
echo "one new tenant, apply to first 200: p50 ${p50} s over $rounds (all: ${samples[*]})"
"$wpfleet" -f "$work/example/fleet.toml" down >/dev/null 2>&1

# 3 + 4. N generated tenants from empty; memory before and after.
"$here/fleet_gen.sh" 1 "$port" base | fleet_up "$work/gen"
"$wpfleet" -f "$work/gen/fleet.toml" apply --yes >/dev/null 2>&1
sleep 12  # php-fpm ondemand workers exit after the 10 s idle timeout
mem_before=$(platform_pss_kib "$work/gen/.wpfleet")
"$here/fleet_gen.sh" "$n" "$port" | sed 1,4d >> "$work/gen/fleet.toml"
t0=$(now); "$wpfleet" -f "$work/gen/fleet.toml" apply --yes >/dev/null 2>&1; t1=$(now)
gen_s=$(secs "$t0" "$t1")
echo "$n generated tenants from empty: ${gen_s} s"
sleep 12
mem_after=$(platform_pss_kib "$work/gen/.wpfleet")
per_tenant=$(python3 -c "print(f'{($mem_after - $mem_before) / $n / 1024:.2f}')")
echo "idle memory (PSS): $((mem_before / 1024)) MiB with 1 tenant, $((mem_after / 1024)) MiB with $((n + 1)): ${per_tenant} MiB per additional tenant"

# 5. plan with nothing to do over PLAN_TENANTS tenants.
if [ "$plan_tenants" -gt "$n" ]; then
  "$here/fleet_gen.sh" "$plan_tenants" "$port" | sed 1,4d | awk -v skip="$n" 'BEGIN{c=0} /^\[\[tenants\]\]/{c++} c>skip' >> "$work/gen/fleet.toml"
  t0=$(now); "$wpfleet" -f "$work/gen/fleet.toml" apply --yes >/dev/null 2>&1; t1=$(now)
  echo "$((plan_tenants - n)) more tenants applied in $(secs "$t0" "$t1") s"
fi
best=""
for i in 1 2 3 4 5; do
  t0=$(now); "$wpfleet" -f "$work/gen/fleet.toml" plan >/dev/null 2>&1 || true; t1=$(now)
  s=$(secs "$t0" "$t1"); best=$(python3 -c "print(min(float('$s'), float('${best:-1e9}')))")
done
echo "plan over $(grep -c '^\[\[tenants' "$work/gen/fleet.toml") tenants, nothing to do: best of 5 ${best} s"
