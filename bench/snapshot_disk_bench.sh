#!/usr/bin/env bash
# Snapshot disk benchmark (issue 11, "snapshots that do not fill the disk"): the disk
# taken by 10 snapshots of a site with SIZE_MB of files in wp-content (FILES files of
# random, so incompressible, content, as photos are), CHANGED of them rewritten and a
# post edited between one snapshot and the next. Before: full copies, the format every
# snapshot had until now and `export` still writes (each an archive with every file),
# measured as 10 exports of the same content in the same run. After: `snapshot create`,
# whose files go by content into the environment's blob store.
# usage: bench/snapshot_disk_bench.sh [path/to/wpfleet]
#        (env: SIZE_MB=150, FILES=600, CHANGED=3, ROUNDS=10)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wpfleet=$(realpath "${1:-$here/../build/wpfleet}")
size=${SIZE_MB:-150}
files=${FILES:-600}
changed=${CHANGED:-3}
rounds=${ROUNDS:-10}
source "$here/lib.sh"
bench_setup snapshot-bench
port=$(free_port)
cat > "$fleet" <<TOML
[environments.dev]
domain = "{tenant}.wpdev.localhost"
listen = "127.0.0.1:$port"
snapshot_retention = $rounds

[[tenants]]
id = "alpha"
title = "Alpha"
admin_email = "a@alpha.example"
environments = ["dev"]
TOML
"$wpfleet" -f "$fleet" up >/dev/null 2>&1
"$wpfleet" -f "$fleet" apply --yes >/dev/null 2>&1

state="$work/.wpfleet"
content="$state/sites/dev/alpha/wp-content"
owner=$(stat -c %u:%g "$content")
bench_root_client "$state/mariadb/mysqld.sock"

# The tenant's uploads, written as its PHP would have.
file_kb=$((size * 1024 / files))
mkdir -p "$content/uploads/bench"
for i in $(seq 1 "$files"); do
  head -c "${file_kb}K" /dev/urandom > "$content/uploads/bench/$i.jpg"
done
chown -R "$owner" "$content/uploads"
echo "snapshot disk benchmark, $(date -u +%F): $files files of $file_kb KiB ($(du -sm "$content" | cut -f1) MB in wp-content), $changed files and a post changed between $rounds snapshots"

exports="$work/exports"
mkdir -p "$exports"
export_s=0
snapshot_s=0
add() { python3 -c "print(f'{$1 + $2:.2f}')"; }
for round in $(seq 1 "$rounds"); do
  if [ "$round" -gt 1 ]; then
    for i in $(seq 1 "$changed"); do
      n=$(( (round * changed + i) % files + 1 ))
      head -c "${file_kb}K" /dev/urandom > "$content/uploads/bench/$n.jpg"
      chown "$owner" "$content/uploads/bench/$n.jpg"
    done
    mysql_root dev_alpha_db -e "UPDATE wp_posts SET post_content = 'round $round' WHERE ID = 1"
  fi
  t0=$(now); "$wpfleet" -f "$fleet" export alpha -e dev -o "$exports/$round.tar" >/dev/null 2>&1; t1=$(now)
  export_s=$(add "$export_s" "$(secs "$t0" "$t1")")
  t0=$(now); "$wpfleet" -f "$fleet" snapshot create alpha -e dev >/dev/null 2>&1; t1=$(now)
  snapshot_s=$(add "$snapshot_s" "$(secs "$t0" "$t1")")
done

mb() { python3 -c "print(f'{$1 / 1048576:.1f}')"; }
before=$(du -sb "$exports" | cut -f1)
after=$(du -sb "$state/snapshots/dev" "$state/blobs/dev" | awk '{s += $1} END {print s}')
archives=$(du -sb "$state/snapshots/dev" | cut -f1)
echo "before (full copies, as export writes): $(mb "$before") MiB for $rounds snapshots, $(mb $((before / rounds))) MiB each; $export_s s in all"
echo "after (files by content): $(mb "$after") MiB for $rounds snapshots ($(mb "$archives") MiB of archives: dumps and file lists); $snapshot_s s in all"
echo "after / before: $(python3 -c "print(f'{$after / $before:.3f}')") of the disk; time $(python3 -c "print(f'{$snapshot_s / $export_s:.2f}')")x the exports'"
"$wpfleet" -f "$fleet" snapshot list alpha -e dev | head -4
