#!/usr/bin/env bash
# Runs Linux 6.1's vm and memfd selftests natively and under emu, prints a table
# `test | native | emu`, and checks each emu outcome against vm_expected.txt.
#
# Usage: tests/conformance/vm_selftests.sh EMU OUTDIR
#   EMU     the emulator (extra options in $EMU_FLAGS)
#   OUTDIR  where build_vm_selftests.sh puts the programs (OUTDIR/{glibc,musl}/NAME, built
#           here when missing or stale); each run's output goes to OUTDIR/logs/.
# Environment: VM_TIMEOUT (seconds per run, default 60), VM_FILTER (regex on test names),
#   VM_SELFTESTS_SRC (unpacked kernel tree, default third_party/linux-selftests).
#
# Outcomes come from the exit status, the kselftest convention: 0 pass, 1 fail, 2 xfail,
# 3 xpass, 4 skip; a run past the timeout is "timeout", one killed by a signal (status
# 128+N for N up to 64, which emu also uses for a guest killed by a signal) is "crash"; any
# other status (exit(-1) is 255) is "fail". Beside it, the kselftest counts when the test
# printed them ("# Totals:" or its ok/not ok lines). The suite passes when every emu
# outcome equals the expected one; native outcomes are recorded only: the host kernel's
# configuration (no reserved huge pages, KSM, secretmem) decides some of them.
# Ends with "N passed, M failed".
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
timeout_s=${VM_TIMEOUT:-60}
filter=${VM_FILTER:-}
expected_file="$here/vm_expected.txt"
read -r -a emu_flags <<< "${EMU_FLAGS:-}"

"$here/build_vm_selftests.sh" "${VM_SELFTESTS_SRC:-$top/third_party/linux-selftests}" "$out" ||
  die "building the selftests failed"

# NAME|ARGS|NATIVE[|VARIANT[|TIMEOUT]]: NATIVE is "run", or why the test is not run on the
# host. The arguments are those of Linux's run_vmtests.sh; a program it runs several times
# has one entry per invocation, told apart by VARIANT (its id is LIBC/NAME:VARIANT).
# TIMEOUT (seconds) replaces VM_TIMEOUT for a test that runs until stopped.
tests=(
  "madv_populate||run"
  "mremap_test||run"
  "map_fixed_noreplace||run"
  "map_populate||run"
  "mlock2-tests||run"
  "mrelease_test||run"
  "mremap_dontunmap||run"
  "soft-dirty||run"
  "on-fault-limit||run"
  "virtual_address_range||run"
  "va_128TBswitch||run"
  "map_hugetlb||run"
  "userfaultfd|anon 20 16|run"
  "memfd_test||run"
  "mlock-random-test||run"
  "memfd_secret||run"
  "ksm_tests|-M -p 10|it rewrites the host's /sys/kernel/mm/ksm settings|M"
  "ksm_tests|-U|it rewrites the host's /sys/kernel/mm/ksm settings|U"
  "ksm_tests|-Z -p 10 -z 0|it rewrites the host's /sys/kernel/mm/ksm settings|Z0"
  "ksm_tests|-Z -p 10 -z 1|it rewrites the host's /sys/kernel/mm/ksm settings|Z1"
  "ksm_tests|-N -m 1|it rewrites the host's /sys/kernel/mm/ksm settings|N1"
  "ksm_tests|-N -m 0|it rewrites the host's /sys/kernel/mm/ksm settings|N0"
  "migration||run"
  "khugepaged||it rewrites the host's /sys/kernel/mm/transparent_hugepage settings"
  "split_huge_page_test||it writes the host's debugfs split_huge_pages"
  "transhuge-stress|64|run||5"
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
  (cd "$scratch" && timeout -k 5 "$run_timeout" "$@" < /dev/null > "$log" 2>&1) || rc=$?
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
  IFS='|' read -r name args native_policy variant test_timeout <<< "$entry"
  run_timeout=${test_timeout:-$timeout_s}
  read -r -a argv <<< "$args"
  for libc in glibc musl; do
    bin="$out/$libc/$name"
    [ -x "$bin" ] || continue
    id="$libc/$name${variant:+:$variant}"
    if [ -n "$filter" ] && ! [[ $id =~ $filter ]]; then continue; fi
    log_name=${id//\//.}
    if [ "$native_policy" = run ]; then
      native=$(run_one "$logs/$log_name.native" "$bin" ${argv[@]+"${argv[@]}"})
    else
      native="not run"
      echo "not run natively: $native_policy" > "$logs/$log_name.native"
    fi
    # The scratch directory is the guest's working directory too, writable as natively
    # (soft-dirty creates its test file there).
    emu_result=$(run_one "$logs/$log_name.emu" "$emu" --bind "$scratch:$scratch:rw" \
      ${emu_flags[@]+"${emu_flags[@]}"} \
      "$bin" ${argv[@]+"${argv[@]}"})
    rows+=("$id|$native|$emu_result")
    got=${emu_result%% *}
    want=${expected[$id]:-}
    if [ -z "$want" ]; then
      fail "$id" "emu gave '$got' and vm_expected.txt has no line for it"
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
