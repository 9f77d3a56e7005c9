#!/usr/bin/env bash
# Benchmark of the aws backend (issue: "AWS backend"), against moto's server on loopback
# behind the integration tests' AwsProxy (which counts the API calls):
#   1. `plan` with nothing to do on 5 and on 5 + EXTRA tenants (default 100 in all):
#      calls and time per plan (median and best of ROUNDS), and the ratio;
#   2. `apply` of the 13 tenants of examples/bbws.toml in a new environment, then again.
# Builds bench/aws/aws_bench.cc (target wpfleet_aws_bench, outside `all`) in the build
# directory of the given wpfleet (or BUILD_DIR), then runs it; NO_BUILD=1 skips the build.
# usage: bench/aws_bench.sh [path/to/wpfleet]   (env: EXTRA=95 ROUNDS=5 BUILD_DIR NO_BUILD)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wpfleet=$(realpath "${1:-$here/../build/wpfleet}")
build=${BUILD_DIR:-$(dirname "$wpfleet")}
[ -f "$build/CMakeCache.txt" ] || { echo "no CMake build in $build: set BUILD_DIR" >&2; exit 2; }
python3 -c 'import moto' 2>/dev/null || { echo "moto is missing: run scripts/install-deps" >&2; exit 2; }
if [ "${NO_BUILD:-}" != 1 ]; then
  cmake "$build" >/dev/null  # the bench's folder is added at configure time
  cmake --build "$build" -j"$(nproc)" --target wpfleet_aws_bench
fi
exec "$build/bench/aws/wpfleet_aws_bench" "$wpfleet" --extra "${EXTRA:-95}" --rounds "${ROUNDS:-5}"
