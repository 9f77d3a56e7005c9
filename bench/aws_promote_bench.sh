#!/usr/bin/env bash
# Promote benchmark on aws environments, direct paths (issue 8): a tenant whose database
# holds SIZE MB of generated WordPress content (bench/rewriter/gen_dump.cc, tables renamed
# bench_* beside the WordPress-shaped ones, its URLs dev's) is promoted dev -> sit between
# two emulated accounts, against a plain `mariadb-dump | mariadb` copy between the same
# two database servers in the same run; and the AWS API calls of the promote.
# Builds bench/aws_promote_bench.cc (target wpfleet_aws_promote_bench, outside `all`) in
# the build directory of the given wpfleet (or BUILD_DIR), then runs it; NO_BUILD=1 skips
# the build.
# usage: bench/aws_promote_bench.sh [path/to/wpfleet]   (env: SIZE_MB=1000 BUILD_DIR NO_BUILD)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../src" && pwd)
wpfleet=$(realpath "${1:-$here/../build/wpfleet}")
build=${BUILD_DIR:-$(dirname "$wpfleet")}
size=${SIZE_MB:-1000}
[ -f "$build/CMakeCache.txt" ] || { echo "no CMake build in $build: set BUILD_DIR" >&2; exit 2; }
python3 -c 'import moto' 2>/dev/null || { echo "moto is missing: run scripts/install-deps" >&2; exit 2; }
if [ "${NO_BUILD:-}" != 1 ]; then
  cmake "$build" >/dev/null  # the bench's folder is added at configure time
  cmake --build "$build" -j"$(nproc)" --target wpfleet_aws_promote_bench
fi
work=$(mktemp -d /tmp/wpfleet-aws-promote-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
g++ -std=c++20 -O2 -I"$src" "$here/rewriter/gen_dump.cc" "$src/content/sql_escape.cc" -o "$work/gen_dump"
"$work/gen_dump" "$size" |
  sed 's/`wp_/`bench_/g; s#http://old\.example#https://goldencrust.wpdev.kimmyai.io#g' > "$work/content.sql"
"$build/bench/aws/wpfleet_aws_promote_bench" "$work/content.sql" "$size"
