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

# `mysql_root` and `mysqldump_root`: the fleet's platform MariaDB as root over `socket`.
# The password goes into an option file (0600) in $work, removed with it: never into the
# environment of every later command, as MYSQL_PWD would. (wpfleet's passwords are
# letters and digits: nothing an option file would read otherwise.)
bench_root_client() {  # socket
  ( umask 077
    printf '[client]\nuser=root\nsocket=%s\npassword=%s\n' "$1" \
      "$("$wpfleet" -f "$fleet" secret get -e platform mariadb-root-password)" > "$work/root.cnf" )
}
mysql_root() { mariadb --defaults-extra-file="$work/root.cnf" "$@"; }
mysqldump_root() { mariadb-dump --defaults-extra-file="$work/root.cnf" "$@"; }

bench_setup() {  # name
  work=$(mktemp -d "/tmp/wpfleet-$1-XXXXXX")
  chmod 711 "$work"
  fleet="$work/fleet.toml"
  trap bench_cleanup EXIT
}
