#!/usr/bin/env bash
# Prints a fleet file with N generated tenants in env dev listening on 127.0.0.1:PORT.
# usage: bench/fleet_gen.sh N PORT [PREFIX]
set -euo pipefail
n=$1 port=$2 prefix=${3:-t}
cat <<TOML
[environments.dev]
backend = "local"
domain = "{tenant}.wpdev.localhost"
listen = "127.0.0.1:$port"
TOML
for i in $(seq 1 "$n"); do
  printf '\n[[tenants]]\nid = "%s%04d"\ntitle = "Bench Site %d"\nadmin_email = "admin@%s%04d.example"\nenvironments = ["dev"]\n' \
    "$prefix" "$i" "$i" "$prefix" "$i"
done
