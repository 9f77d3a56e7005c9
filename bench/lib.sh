# Shared by the benchmark scripts: a throwaway fleet under a temp dir, removed (with
# every tenant it created) when the script exits.
#   source "$(dirname "$0")/lib.sh"; bench_setup NAME; ... (fleet in $fleet, dir in $work)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }

# Deletes every tenant of every fleet under $work, stops their platforms, removes $work.
# The fleets may share a port, so all are stopped first and then pruned one at a time.
bench_cleanup() {
  local fleets=()
  for f in "$work"/fleet.toml "$work"/*/fleet.toml; do [ -f "$f" ] && fleets+=("$f"); done
  for f in "${fleets[@]}"; do "$wpfleet" -f "$f" down >/dev/null 2>&1 || true; done
  for f in "${fleets[@]}"; do
    sed -i '/^\[\[tenants\]\]/,$d' "$f"
    "$wpfleet" -f "$f" up >/dev/null 2>&1 || true
    "$wpfleet" -f "$f" apply --prune --yes >/dev/null 2>&1 || true
    "$wpfleet" -f "$f" down >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}

bench_setup() {  # name
  work=$(mktemp -d "/tmp/wpfleet-$1-XXXXXX")
  chmod 711 "$work"
  fleet="$work/fleet.toml"
  trap bench_cleanup EXIT
}
