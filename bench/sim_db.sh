#!/bin/sh
# Issue 5: `attune sim clinic --therapists 200 --clients 5000 --sessions 12 --seed 1 --db FILE`
# into a fresh SQLite file; prints the wall time of the whole command and the store's own line.
# Target 30 s; fails only beyond the regression ceiling (default 120 s, four times the target).
# Usage: bench/sim_db.sh <attune binary> [ceiling_s]
set -eu
attune=$1
ceiling=${2:-120}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
start=$(date +%s.%N)
"$attune" sim clinic --therapists 200 --clients 5000 --sessions 12 --seed 1 --db "$dir/clinic.db" >"$dir/out.txt"
end=$(date +%s.%N)
cat "$dir/out.txt"
seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
echo "bench.sim_db: attune sim clinic 200 x 5000 x 12 --db (SQLite): ${seconds} s wall (target 30 s)"
if awk -v s="$seconds" -v c="$ceiling" 'BEGIN { exit !(s > c) }'; then
  echo "bench.sim_db: slower than the ${ceiling} s regression ceiling" >&2
  exit 1
fi
