#!/usr/bin/env bash
# Parallel efficiency of `infersweep sweep` from one rank to two (one thread per rank) on a
# real grid: efficiency = T(1 rank) / (2 x T(2 ranks)). Target >= 90 %. A first run fills the
# predictor cache so that neither timed run builds predictors.
#   bench/sweep_efficiency.sh BUILD_DIR VIDUR_DATA_DIR [GRID]
set -euo pipefail
build=$1
traces=$2/processed_traces
grid=${3:-$(dirname "$0")/grids/efficiency.yaml}
mpiexec=$(command -v mpiexec.mpich || command -v mpiexec)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1
sweep() {  # ranks out
  "$mpiexec" -n "$1" "$build/bin/infersweep" sweep --grid "$grid" --trace-dir "$traces" --out "$work/$2" \
    --threads 1 --quiet
}
sweep 2 warm.h5
seconds() {  # ranks out
  local start end
  start=$(date +%s.%N)
  sweep "$1" "$2"
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}
t1=$(seconds 1 one.h5)
t2=$(seconds 2 two.h5)
configs=$("$build/bin/infersweep" status "$work/one.h5" | sed -n 's/^configs: \([0-9]*\)\/.*/\1/p')
awk -v c="$configs" -v g="$(basename "$grid")" -v t1="$t1" -v t2="$t2" 'BEGIN {
  printf "sweep_efficiency: %s configs of %s, 1 rank %.1f s, 2 ranks %.1f s: efficiency %.1f %% (target >= 90 %%)\n",
         c, g, t1, t2, 100 * t1 / (2 * t2) }'
