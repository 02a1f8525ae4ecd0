#!/usr/bin/env bash
# Benchmark (issue 3): the same CSV fitted by `attune analyze lmm` and, when R with lme4 is
# present, by lme4::lmer in the same run; prints both end-to-end times, their ratio and the
# relative difference of the objectives (REML criterion).
#   (a) crossed: ~70,000 ratings of ~1,000 targets by ~3,000 raters:  score ~ x + (1|target) + (1|rater)
#   (b) nested:  2,000 therapists x 20 clients x 12 sessions = 480,000 rows
#                (40,000 clients):                 outcome ~ session + (1|therapist/client)
# Usage: bench/lmm_vs_lme4.sh BUILD_DIR [--small] [--install-r]
#   --small      one tenth of the sizes (what ctest runs)
#   --install-r  apt-get install r-cran-lme4 first (tests never need R)
# Exits 1 when attune fails or reports non-convergence, or (with R) when the objectives differ
# by more than 1e-6 relative.
set -euo pipefail
build=${1:-build}
shift || true
small=0
install_r=0
for a in "$@"; do
  case "$a" in
    --small) small=1 ;;
    --install-r) install_r=1 ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done
attune="$build/attune"
gen="$build/bench/lmm_data"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "$install_r" = 1 ] && ! command -v Rscript >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y r-cran-lme4; else sudo apt-get install -y r-cran-lme4; fi
fi
have_r=0
if command -v Rscript >/dev/null 2>&1 && Rscript -e 'quit(status = !requireNamespace("lme4", quietly = TRUE))' >/dev/null 2>&1; then
  have_r=1
fi

if [ "$small" = 1 ]; then
  "$gen" crossed "$work/crossed.csv" 100 300 7000 1
  "$gen" nested "$work/nested.csv" 200 20 12 1
else
  "$gen" crossed "$work/crossed.csv" 1000 3000 70000 1
  "$gen" nested "$work/nested.csv" 2000 20 12 1
fi

now() { date +%s.%N; }
field() { sed -n "s/^ *\"$1\": \([^,]*\),\{0,1\}$/\1/p" "$2" | head -n 1; }  # top-level JSON number/bool
calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }
status=0
run() {  # name csv formula reference_lme4_seconds
  local name=$1 csv=$2 formula=$3 ref=$4
  local rows
  rows=$(($(wc -l < "$csv") - 1))
  local t0 t1 ours obj conv
  t0=$(now)
  "$attune" analyze lmm --csv "$csv" --formula "$formula" --json > "$work/$name.json"
  t1=$(now)
  ours=$(calc "$t1 - $t0")
  obj=$(field objective "$work/$name.json")
  conv=$(field converged "$work/$name.json")
  printf '%-8s %7d rows  %s\n' "$name" "$rows" "$formula"
  printf '  attune analyze lmm: %8.3f s  REML criterion %.10f  converged %s  (%s evaluations)\n' \
    "$ours" "$obj" "$conv" "$(field evaluations "$work/$name.json")"
  [ "$conv" = true ] || status=1
  if [ "$have_r" = 1 ]; then
    local r0 r1 theirs robj
    r0=$(now)
    robj=$(Rscript -e "suppressMessages(library(lme4)); d <- read.csv('$csv'); m <- lmer($formula, data = d, REML = TRUE); cat(sprintf('%.10f', REMLcrit(m)))")
    r1=$(now)
    theirs=$(calc "$r1 - $r0")
    printf '  lme4 (Rscript):     %8.3f s  REML criterion %s\n' "$theirs" "$robj"
    local rel
    rel=$(calc "(($obj) - ($robj)) / ($robj) < 0 ? -(($obj) - ($robj)) / ($robj) : (($obj) - ($robj)) / ($robj)")
    printf '  speed-up: %.1fx   objective relative difference: %.2e\n' "$(calc "$theirs / $ours")" "$rel"
    if [ "$(calc "$rel > 1e-6")" = 1 ]; then status=1; fi
  else
    printf '  lme4: R not installed here (use --install-r); issue 3 quotes about %s s for lme4 1.1-31 at full size\n' "$ref"
    [ "$small" = 1 ] || printf '  speed-up against that quoted figure (not measured here): %.1fx\n' "$(calc "$ref / $ours")"
  fi
}
run crossed "$work/crossed.csv" "score ~ x + (1|target) + (1|rater)" 13
run nested "$work/nested.csv" "outcome ~ session + (1|therapist/client)" 17
exit $status
