#!/usr/bin/env bash
# Benchmark (issue 3): the same CSV fitted by `attune analyze lmm` and, when R with lme4 is
# present, by lme4::lmer in the same run; prints both end-to-end times, their ratio and the
# relative difference of the objectives (REML criterion).
#   (a) crossed: ~70,000 ratings of ~1,000 targets by ~3,000 raters:  score ~ x + (1|target) + (1|rater)
#   (b) nested:  2,000 therapists x 20 clients x 12 sessions = 480,000 rows
#                (40,000 clients):                 outcome ~ session + (1|therapist/client)
# Usage: bench/lmm_vs_lme4.sh BUILD_DIR [--small] [--install-r] [--repeat N]
#   --small      one tenth of the sizes (what ctest runs)
#   --install-r  apt-get install r-cran-lme4 first (tests never need R)
#   --repeat N   fit each design N times with each tool (default 1); the ratios use the fastest run
# Times are end to end (process start, CSV reading, model frame, fit, output): wall time and CPU
# time (user + system of the child process; on a shared machine the CPU ratio is the steadier one).
# Exits 1 when attune fails or reports non-convergence, or (with R) when the objectives differ
# by more than 1e-6 relative.
set -euo pipefail
build=${1:-build}
shift || true
small=0
install_r=0
repeat=1
while [ $# -gt 0 ]; do
  case "$1" in
    --small) small=1 ;;
    --install-r) install_r=1 ;;
    --repeat) repeat=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
attune="$build/attune"
gen="$build/bench/lmm_data"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "$install_r" = 1 ] && ! command -v Rscript >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y r-cran-lme4
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
# Sets CPU to the CPU seconds (user + system) used so far by finished children of this shell
# (`times` must run in this shell, not in a $(...) subshell).
read_cpu() {
  times > "$work/times"
  CPU=$(tail -n 1 "$work/times" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] } printf "%.3f", t }')
}
field() { sed -n "s/^ *\"$1\": \([^,]*\),\{0,1\}$/\1/p" "$2" | head -n 1; }  # top-level JSON number/bool
calc() { awk "BEGIN { printf \"%.6g\", ($1) }"; }  # the parentheses keep a ">" from meaning "write to a file"
min() { calc "($1) < ($2) ? ($1) : ($2)"; }
# lme4 end to end: R start, library(lme4), read.csv, lmer (REML); prints REML criterion, evaluations, theta.
rscript='suppressMessages(library(lme4)); a <- commandArgs(TRUE); d <- read.csv(a[1]);
m <- lmer(as.formula(a[2]), data = d, REML = TRUE);
cat(sprintf("%.10f %d %s\n", REMLcrit(m), m@optinfo$feval, paste(sprintf("%.8f", getME(m, "theta")), collapse = ",")))'
status=0
run() {  # name csv formula reference_lme4_seconds
  local name=$1 csv=$2 formula=$3 ref=$4
  local rows
  rows=$(($(wc -l < "$csv") - 1))
  printf '%-8s %7d rows  %s   (load average: %s)\n' "$name" "$rows" "$formula" "$(cut -d' ' -f1-3 /proc/loadavg)"
  local best_ours="" best_ours_cpu="" obj="" conv=""
  local t0 t1 c0 c1 wall cpu
  for ((i = 1; i <= repeat; i++)); do
    read_cpu; c0=$CPU; t0=$(now)
    "$attune" analyze lmm --csv "$csv" --formula "$formula" --json > "$work/$name.json"
    t1=$(now); read_cpu; c1=$CPU
    wall=$(calc "$t1 - $t0"); cpu=$(calc "$c1 - $c0")
    obj=$(field objective "$work/$name.json")
    conv=$(field converged "$work/$name.json")
    printf '  attune analyze lmm: %8.3f s wall %7.3f s CPU  REML criterion %.10f  converged %s  (%s evaluations)\n' \
      "$wall" "$cpu" "$obj" "$conv" "$(field evaluations "$work/$name.json")"
    [ "$conv" = true ] || status=1
    best_ours=$([ -z "$best_ours" ] && echo "$wall" || min "$best_ours" "$wall")
    best_ours_cpu=$([ -z "$best_ours_cpu" ] && echo "$cpu" || min "$best_ours_cpu" "$cpu")
  done
  if [ "$have_r" = 1 ]; then
    local best_r="" best_r_cpu="" out robj
    for ((i = 1; i <= repeat; i++)); do
      read_cpu; c0=$CPU; t0=$(now)
      out=$(Rscript -e "$rscript" "$csv" "$formula")
      t1=$(now); read_cpu; c1=$CPU
      wall=$(calc "$t1 - $t0"); cpu=$(calc "$c1 - $c0")
      robj=${out%% *}
      printf '  lme4 (Rscript):     %8.3f s wall %7.3f s CPU  REML criterion %s  (%s evaluations, theta %s)\n' \
        "$wall" "$cpu" "$robj" "$(echo "$out" | cut -d' ' -f2)" "$(echo "$out" | cut -d' ' -f3)"
      best_r=$([ -z "$best_r" ] && echo "$wall" || min "$best_r" "$wall")
      best_r_cpu=$([ -z "$best_r_cpu" ] && echo "$cpu" || min "$best_r_cpu" "$cpu")
    done
    local rel
    rel=$(calc "(($obj) - ($robj)) / ($robj) < 0 ? -(($obj) - ($robj)) / ($robj) : (($obj) - ($robj)) / ($robj)")
    printf '  speed-up (fastest runs): %.1fx wall (%.3f s vs %.3f s), %.1fx CPU (%.3f s vs %.3f s)\n' \
      "$(calc "$best_r / $best_ours")" "$best_r" "$best_ours" "$(calc "$best_r_cpu / $best_ours_cpu")" "$best_r_cpu" "$best_ours_cpu"
    printf '  objective relative difference |attune - lme4| / lme4: %.2e (target 1e-6)\n' "$rel"
    if [ "$(calc "$rel > 1e-6")" = 1 ]; then status=1; fi
  else
    printf '  lme4: R not installed here (use --install-r); issue 3 quotes about %s s for lme4 1.1-31 at full size\n' "$ref"
    [ "$small" = 1 ] || printf '  speed-up against that quoted figure (not measured here): %.1fx\n' "$(calc "$ref / $best_ours")"
  fi
}
run crossed "$work/crossed.csv" "score ~ x + (1|target) + (1|rater)" 13
run nested "$work/nested.csv" "outcome ~ session + (1|therapist/client)" 17
exit $status
