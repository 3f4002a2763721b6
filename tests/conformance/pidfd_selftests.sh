#!/usr/bin/env bash
# Runs Linux 6.1's pidfd selftests natively and under emu, prints a table
# `test | native | emu`, and checks each emu outcome against pidfd_expected.txt.
#
# Usage: tests/conformance/pidfd_selftests.sh EMU OUTDIR
#   EMU     the emulator (extra options in $EMU_FLAGS)
#   OUTDIR  where build_pidfd_selftests.sh puts the programs (OUTDIR/{glibc,musl}/NAME, built
#           here when missing or stale); each run's output goes to OUTDIR/logs/.
# Environment: PIDFD_TIMEOUT (seconds per run, default 60), PIDFD_FILTER (regex on test
#   names), PIDFD_SELFTESTS_SRC (unpacked kernel tree, default third_party/linux-selftests),
#   PIDFD_NATIVE_LONG=1 (also run natively the two tests that fork 10,000 children, which
#   take minutes on a busy host).
#
# Outcomes as in vm_selftests.sh: from the exit status (0 pass, 1 fail, 2 xfail, 3 xpass,
# 4 skip; past the timeout "timeout"; killed by a signal "crash"; anything else "fail"),
# with the kselftest counts beside it. The suite passes when every emu outcome and count
# equals the expected one; native outcomes are recorded only (the host kernel decides
# them). Ends with "N passed, M failed".
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../guest/lib.sh
. "$top/tests/guest/lib.sh"

[ $# -eq 2 ] || die "usage: $0 EMU OUTDIR"
emu=$(resolve_emu "$1")
out=$2
mkdir -p "$out"
out=$(cd "$out" && pwd)
timeout_s=${PIDFD_TIMEOUT:-60}
filter=${PIDFD_FILTER:-}
expected_file="$here/pidfd_expected.txt"
read -r -a emu_flags <<< "${EMU_FLAGS:-}"

"$here/build_pidfd_selftests.sh" "${PIDFD_SELFTESTS_SRC:-$top/third_party/linux-selftests}" \
  "$out" || die "building the selftests failed"

# NAME|ARGS|NATIVE: NATIVE is "run", "long" (run natively only with PIDFD_NATIVE_LONG=1),
# or why the test is not run on the host.
tests=(
  "pidfd_test||long"
  "pidfd_fdinfo_test||run"
  "pidfd_open_test||run"
  "pidfd_poll_test||long"
  "pidfd_wait||run"
  "pidfd_getfd_test||run"
  "pidfd_setns_test||run"
)

logs="$out/logs"
scratch="$out/scratch"
rm -rf "$logs" "$scratch"
mkdir -p "$logs" "$scratch"

# outcome STATUS: the outcome word for an exit status.
outcome() {
  case $1 in
    0) echo pass ;;
    2) echo xfail ;;
    3) echo xpass ;;
    4) echo skip ;;
    124 | 137) echo timeout ;;
    *) if [ "$1" -gt 128 ] && [ "$1" -le 192 ]; then echo crash; else echo fail; fi ;;
  esac
}

# counts LOG: the kselftest counts the log reports, e.g. "p3 f1 s0", or nothing.
counts() {
  local line
  line=$(grep -aE '^# Totals: pass:[0-9]+' "$1" | tail -n 1)
  if [ -n "$line" ]; then
    sed -E 's/^# Totals: pass:([0-9]+) fail:([0-9]+) .*skip:([0-9]+).*/p\1 f\2 s\3/' <<< "$line"
    return
  fi
  local ok not_ok skip
  ok=$(grep -acE '^ok [0-9]+' "$1")
  not_ok=$(grep -acE '^not ok [0-9]+' "$1")
  skip=$(grep -acE '^ok [0-9]+ .*# SKIP' "$1")
  if [ $((ok + not_ok)) -gt 0 ]; then echo "p$((ok - skip)) f$not_ok s$skip"; fi
}

# run_one LOG CMD...: runs CMD with the timeout in a scratch directory, output to LOG;
# prints "OUTCOME [COUNTS]".
run_one() {
  local log=$1 rc=0 c
  shift
  (cd "$scratch" && timeout -k 5 "$timeout_s" "$@" < /dev/null > "$log" 2>&1) || rc=$?
  echo "exit status: $rc" >> "$log"
  c=$(counts "$log")
  if [ -n "$c" ]; then echo "$(outcome "$rc") [$c]"; else outcome "$rc"; fi
}

declare -A expected reason
while read -r name want why; do
  case $name in '' | '#'*) continue ;; esac
  expected[$name]=$want
  reason[$name]=$why
done < "$expected_file"

rows=()
mismatches=()
for entry in "${tests[@]}"; do
  IFS='|' read -r name args native_policy <<< "$entry"
  read -r -a argv <<< "$args"
  for libc in glibc musl; do
    bin="$out/$libc/$name"
    [ -x "$bin" ] || continue
    id="$libc/$name"
    if [ -n "$filter" ] && ! [[ $id =~ $filter ]]; then continue; fi
    log_name=${id//\//.}
    if [ "$native_policy" = long ] && [ "${PIDFD_NATIVE_LONG:-0}" = 1 ]; then
      native_policy=run
    elif [ "$native_policy" = long ]; then
      native_policy="it forks 10,000 children (minutes natively); PIDFD_NATIVE_LONG=1 runs it"
    fi
    if [ "$native_policy" = run ]; then
      native=$(run_one "$logs/$log_name.native" "$bin" ${argv[@]+"${argv[@]}"})
    else
      native="not run"
      echo "not run natively: $native_policy" > "$logs/$log_name.native"
    fi
    emu_result=$(run_one "$logs/$log_name.emu" "$emu" ${emu_flags[@]+"${emu_flags[@]}"} \
      "$bin" ${argv[@]+"${argv[@]}"})
    rows+=("$id|$native|$emu_result")
    got=${emu_result// /}
    want=${expected[$id]:-}
    if [ -z "$want" ]; then
      fail "$id" "emu gave '$got' and pidfd_expected.txt has no line for it"
      mismatches+=("$id")
    elif [ "$got" = "$want" ]; then
      pass "$id"
    else
      fail "$id" "emu gave '$got', expected '$want'${reason[$id]:+ (${reason[$id]})}"
      mismatches+=("$id")
    fi
  done
done

echo
printf '%-32s | %-20s | %-20s\n' test native emu
printf '%s\n' "---------------------------------+----------------------+---------------------"
for row in "${rows[@]}"; do
  IFS='|' read -r id native emu_result <<< "$row"
  printf '%-32s | %-20s | %-20s\n' "$id" "$native" "$emu_result"
done

# The lines that say why, for every mismatch: emu's own reports and the test's failures.
for id in ${mismatches[@]+"${mismatches[@]}"}; do
  echo
  echo "-- $id under emu (log: $logs/${id//\//.}.emu):"
  grep -aE '^emu:|not ok|Bail out|FAIL|[Ee]rror|exit status' "$logs/${id//\//.}.emu" |
    head -n 8 | sed 's/^/   /'
done
echo
summary
