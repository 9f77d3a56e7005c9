#!/usr/bin/env bash
# Benchmark of `wpfleet search-replace` on generated WordPress dumps:
#   1. throughput on one core (taskset -c 0), best of ROUNDS, output to /dev/null and to
#      a file in OUTPUT_DIR (tmpfs by default: a disk's writeback of the previous run's
#      gigabyte would be measured instead), for each size in SIZES (MB), against a blind
#      `sed s#FROM#TO#g` of the same dump in the same run (in this shell's locale and in
#      LC_ALL=C, sed's fastest), runs interleaved so that both see the same load;
#   2. peak RSS for each size (it must not grow with the dump);
#   2b. instructions per byte (valgrind --tool=callgrind) on a fixed 20 MB dump, less what
#      the program costs on an empty one: a figure the machine's load does not change;
#   3. the PHP reference (reference.php) on the PHP_MB dump, per value and with a line
#      pre-filter, and the ratio;
#   4. correctness: serialized values PHP cannot unserialize, before and after, and after
#      a plain textual replace (what SQL REPLACE() does).
# Writes a Markdown section to OUT.
# usage: bench/rewriter/run.sh [path/to/wpfleet]
#   (env: SIZES="100 1000" PHP_MB=100 ROUNDS=3 BENCH_DIR=/tmp/... OUTPUT_DIR=/dev/shm
#    OUT=/tmp/rewriter-bench.md)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../src" && pwd)
wpfleet=$(realpath "${1:-$here/../../build/wpfleet}")
sizes=${SIZES:-100 1000} php_mb=${PHP_MB:-100} rounds=${ROUNDS:-3}
out=${OUT:-/tmp/rewriter-bench.md}
work=${BENCH_DIR:-$(mktemp -d /tmp/wpfleet-rewriter-XXXXXX)}
output=${OUTPUT_DIR:-/dev/shm}/wpfleet-rewriter-out.sql
mkdir -p "$work"
from=http://old.example to=https://new.example

g++ -std=c++20 -O2 -I"$src" "$here/gen_dump.cc" "$src/content/sql_escape.cc" -o "$work/gen_dump"
for mb in $sizes $php_mb 20; do
  [ -s "$work/dump-$mb.sql" ] || "$work/gen_dump" "$mb" > "$work/dump-$mb.sql"
done

# Runs "$@" on core 0 ROUNDS times; prints the best wall time (s) and the peak RSS (KB).
# The output file is removed first, so that freeing the last run's is not measured.
best_of() {
  local best= rss= start end secs
  for _ in $(seq "$rounds"); do
    rm -f "$output"
    start=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$work/rss" taskset -c 0 "$@"
    end=$(date +%s.%N)
    secs=$(awk "BEGIN{printf \"%.3f\", $end - $start}")
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs rss=$(cat "$work/rss"); fi
  done
  echo "$best $rss"
}
# Like best_of, but for two commands in turn, so that both see the same load; prints
# each one's best wall time.
best_of_pair() {
  local a= b= start end secs
  for _ in $(seq "$rounds"); do
    for which in a b; do
      rm -f "$output"
      start=$(date +%s.%N)
      if [ "$which" = a ]; then taskset -c 0 sh -c "$1"; else taskset -c 0 sh -c "$2"; fi
      end=$(date +%s.%N)
      secs=$(awk "BEGIN{printf \"%.3f\", $end - $start}")
      if [ "$which" = a ]; then
        if [ -z "$a" ] || awk "BEGIN{exit !($secs < $a)}"; then a=$secs; fi
      elif [ -z "$b" ] || awk "BEGIN{exit !($secs < $b)}"; then b=$secs; fi
    done
  done
  echo "$a $b"
}
# Instructions the command "$@" FILE executes per byte of FILE, less its cost on an
# empty file (start-up: the dynamic loader alone is ~20 million for wpfleet).
instructions_per_byte() {
  local file=$1; shift
  : > "$work/empty.sql"
  local total empty
  total=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" "$file" 2>&1 >/dev/null | sed -n 's/.*Collected : //p')
  empty=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" "$work/empty.sql" 2>&1 >/dev/null | sed -n 's/.*Collected : //p')
  awk "BEGIN{printf \"%.1f\", ($total - $empty) / $(stat -L -c %s "$file")}"
}
mb_per_s() { awk "BEGIN{printf \"%.0f\", $1 / $2}"; }
bytes_mb() { awk "BEGIN{printf \"%.0f\", $(stat -L -c %s "$1") / 1e6}"; }

rewrite() { "$wpfleet" search-replace "$from" "$to" "$1" 2>/dev/null; }
php_reference() { php -d memory_limit=-1 "$here/reference.php" "$@" "$from" "$to"; }

{
  echo "### search-replace on a WordPress dump"
  echo
  echo "$(lscpu | sed -n 's/^Model name: *//p'), one core (taskset -c 0); dumps from"
  echo "\`bench/rewriter/gen_dump.cc\` (mariadb-dump format; posts with block markup, serialized"
  echo "options and attachment metadata, page-builder JSON; most values without the URL);"
  echo "\`wpfleet search-replace $from $to\`, best of $rounds. Run it again with"
  echo "\`bench/rewriter/run.sh build/wpfleet\` (env: SIZES, PHP_MB, ROUNDS, BENCH_DIR, OUT)."
  echo
  echo "| dump | time → /dev/null | MB/s | time → file ($(dirname "$output")) | MB/s | peak RSS |"
  echo "|---|---|---|---|---|---|"
  for mb in $sizes; do
    dump="$work/dump-$mb.sql" size=$(bytes_mb "$work/dump-$mb.sql")
    read -r null_s rss < <(best_of sh -c "'$wpfleet' search-replace $from $to '$dump' >/dev/null 2>&1")
    read -r file_s _ < <(best_of sh -c "'$wpfleet' search-replace $from $to '$dump' >'$output' 2>/dev/null")
    echo "| $size MB | ${null_s} s | $(mb_per_s "$size" "$null_s") | ${file_s} s | $(mb_per_s "$size" "$file_s") | $((rss / 1024)) MB |"
  done
  rm -f "$output"

  locale_name=${LC_ALL:-${LANG:-POSIX}}
  echo
  echo "Against a blind \`sed 's#$from#$to#g'\` of the same dump (which breaks serialized"
  echo "values), output to /dev/null, best of $rounds with the runs interleaved; wpfleet's"
  echo "speed ÷ sed's (≥ 1.0× is the target):"
  echo
  echo "| dump | wpfleet | sed ($locale_name) | wpfleet is | sed (LC_ALL=C) | wpfleet is |"
  echo "|---|---|---|---|---|---|"
  for mb in $sizes; do
    dump="$work/dump-$mb.sql" size=$(bytes_mb "$dump")
    ours="'$wpfleet' search-replace $from $to '$dump' >/dev/null 2>&1"
    read -r ours_s sed_s < <(best_of_pair "$ours" "sed 's#$from#$to#g' '$dump' >/dev/null")
    read -r ours_c_s sed_c_s < <(best_of_pair "$ours" "LC_ALL=C sed 's#$from#$to#g' '$dump' >/dev/null")
    ours_s=$(awk "BEGIN{print ($ours_s < $ours_c_s) ? $ours_s : $ours_c_s}")
    echo "| $size MB | ${ours_s} s | ${sed_s} s | $(awk "BEGIN{printf \"%.2f\", $sed_s / $ours_s}")× | ${sed_c_s} s | $(awk "BEGIN{printf \"%.2f\", $sed_c_s / $ours_s}")× |"
  done

  slice="$work/dump-20.sql"
  echo
  echo "Instructions per byte (valgrind --tool=callgrind, less the cost on an empty file) on"
  echo "the fixed $(bytes_mb "$slice") MB dump \`gen_dump 20\`:"
  echo
  echo "| | instructions/byte |"
  echo "|---|---|"
  echo "| wpfleet search-replace | $(instructions_per_byte "$slice" "$wpfleet" search-replace "$from" "$to") |"
  echo "| sed ($locale_name) | $(instructions_per_byte "$slice" sed "s#$from#$to#g") |"
  echo "| sed (LC_ALL=C) | $(LC_ALL=C instructions_per_byte "$slice" sed "s#$from#$to#g") |"

  dump="$work/dump-$php_mb.sql" size=$(bytes_mb "$dump")
  read -r ours_s _ < <(best_of sh -c "'$wpfleet' search-replace $from $to '$dump' >/dev/null 2>&1")
  read -r php_s _ < <(best_of sh -c "php -d memory_limit=-1 '$here/reference.php' $from $to <'$dump' >/dev/null")
  read -r php_pre_s _ < <(best_of sh -c "php -d memory_limit=-1 '$here/reference.php' --prefilter $from $to <'$dump' >/dev/null")
  echo
  echo "PHP reference (\`bench/rewriter/reference.php\`: unserialize, recursive str_replace and"
  echo "serialize per serialized value, str_replace elsewhere), same $size MB dump, one core:"
  echo
  echo "| | time | MB/s | wpfleet is |"
  echo "|---|---|---|---|"
  echo "| wpfleet search-replace | ${ours_s} s | $(mb_per_s "$size" "$ours_s") | |"
  echo "| PHP, every value | ${php_s} s | $(mb_per_s "$size" "$php_s") | $(awk "BEGIN{printf \"%.1f\", $php_s / $ours_s}")× faster |"
  echo "| PHP, lines without the host skipped | ${php_pre_s} s | $(mb_per_s "$size" "$php_pre_s") | $(awk "BEGIN{printf \"%.1f\", $php_pre_s / $ours_s}")× faster |"

  check() { php "$here/check_serialized.php"; }
  echo
  echo "Serialized values PHP cannot unserialize in the $size MB dump (\`check_serialized.php\`):"
  echo
  echo "| | serialized values | broken |"
  echo "|---|---|---|"
  for row in "input:cat '$dump'" "after wpfleet search-replace:rewrite '$dump'" \
             "after a textual replace (SQL REPLACE()):sed 's#$from#$to#g' '$dump'" \
             "after the PHP reference:php_reference <'$dump'"; do
    read -r serialized broken < <(eval "${row#*:}" | check | php -r '$c = json_decode(fgets(STDIN), true); echo $c["serialized"], " ", $c["broken"], "\n";')
    echo "| ${row%%:*} | $serialized | $broken |"
  done
  echo
  echo "Counts (\`--dry-run\`) for the $size MB dump:"
  echo
  echo '```'
  "$wpfleet" search-replace --dry-run "$from" "$to" "$dump"
  echo '```'
} > "$out"
echo "wrote $out (dumps in $work)"
