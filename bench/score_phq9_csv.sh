#!/usr/bin/env bash
# Benchmark: `attune score phq9 --csv` over 1,000,000 rows, end to end, pinned to one core.
# Target (issue 2): at least 1,000,000 responses per second. Prints the measured figure.
# Usage: bench/score_phq9_csv.sh BUILD_DIR [ROWS] [FLOOR]; exits 1 when below FLOOR responses/s
# (a regression guard far below the target, so a busy CI machine does not fail spuriously).
set -euo pipefail
build=${1:-build}
rows=${2:-1000000}
floor=${3:-0}
attune="$build/attune"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Deterministic synthetic answers (a linear congruential generator in awk): ids, 10 items, ~1% missing.
awk -v n="$rows" 'BEGIN {
  print "id,phq9_1,phq9_2,phq9_3,phq9_4,phq9_5,phq9_6,phq9_7,phq9_8,phq9_9,phq9_10";
  s = 12345;
  for (i = 1; i <= n; i++) {
    line = "c" i;
    for (j = 1; j <= 10; j++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      v = int(s / 65536) % 400;
      line = line "," (v < 4 ? "" : (v % 4));
    }
    print line;
  }
}' > "$work/phq9.csv"

pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c 0); fi
best=""
for run in 1 2 3; do
  start=$(date +%s%N)
  "${pin[@]}" "$attune" score phq9 --csv "$work/phq9.csv" --out "$work/scores.csv"
  end=$(date +%s%N)
  ns=$((end - start))
  if [ -z "$best" ] || [ "$ns" -lt "$best" ]; then best=$ns; fi
done
scored=$(($(wc -l < "$work/scores.csv") - 1))
if [ "$scored" -ne "$rows" ]; then
  echo "bench score_phq9_csv: expected $rows scored rows, got $scored" >&2
  exit 1
fi
rate=$(awk -v r="$rows" -v ns="$best" 'BEGIN { printf "%.0f", r / (ns / 1e9) }')
secs=$(awk -v ns="$best" 'BEGIN { printf "%.3f", ns / 1e9 }')
echo "bench score_phq9_csv: $rows rows in $secs s (best of 3, one core) = $rate responses/s (target >= 1000000)"
if [ "$rate" -lt "$floor" ]; then
  echo "bench score_phq9_csv: below the regression floor of $floor responses/s" >&2
  exit 1
fi
