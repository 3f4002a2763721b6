#!/usr/bin/env bash
# pressure_check.sh: memory-pressure guests under a small emulated RAM, checked against
# what Linux's semantics demand (the host itself cannot be squeezed safely, so there is
# no native run to compare with).
#
# Usage: tests/guest/pressure_check.sh EMU GUEST_DIR
# Prints PASS/FAIL per case, then "N passed, M failed".
set -uo pipefail
# shellcheck source=tests/guest/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

emu_guest_args "$@"
prog=$guest_dir/musl/pressure
[ -x "$prog" ] || die "$prog not built"
work=$(mktemp -d "${TMPDIR:-/tmp}/emu-pressure.XXXXXX")
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
# expect NAME STATUS EXPECTED_STDOUT STDERR_REGEX -- EMU ARGS...
expect() {
  local name=$1 status=$2 want=$3 err_re=$4
  shift 5
  local rc=0
  timeout 300 "$@" > "$work/out" 2> "$work/err" || rc=$?
  if [ "$rc" = "$status" ] && [ "$(cat "$work/out")" = "$want" ] &&
     grep -Eq -- "$err_re" "$work/err"; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name (status $rc, expected $status)"
    diff <(printf '%s\n' "$want") "$work/out" | head -n 10
    head -n 10 "$work/err"
    failed=$((failed + 1))
  fi
}

# 48 MiB private + 12 MiB shared in 16 MiB of RAM: everything comes back exactly, and the
# swap device was really used both ways.
expect roundtrip-3x-ram 0 "pass 1: private 12288 pages, shared 3072 pages
pass 2: private 12288 pages, shared 3072 pages" 'pswpin [1-9][0-9]*, pswpout [1-9]' -- \
  "$emu" -m 16M --swap 64M --stats "$prog" roundtrip 48

# MADV_FREE'd pages are dropped first and read back as zeros; the page written after the
# advice keeps what was written.
expect lazyfree-discarded 0 "after pressure: 255 zero, 0 kept, 1 rewritten
other: 6144 pages" 'pgsteal [1-9]' -- "$emu" -m 16M --swap 64M --stats "$prog" free 24

# No swap: anonymous memory cannot be reclaimed, so touching 3x RAM ends in the OOM
# killer's SIGKILL, with Linux's message naming the process and its footprint.
expect oom-without-swap 137 "touching 48 MiB" \
  '^emu: Out of memory: Killed process 100 \(pressure\) total-vm:[0-9]+kB, anon-rss:[0-9]+kB, file-rss:[0-9]+kB, shmem-rss:0kB' -- \
  "$emu" -m 16M --swap 0 "$prog" oom 48

# Swap too small: the device fills up, then the OOM killer acts.
expect oom-swap-full 137 "touching 64 MiB" 'slots in use 2048 of 2048' -- \
  "$emu" -m 16M --swap 8M --stats "$prog" oom 64

# --trace=reclaim,swap: one swap-out event per page written to swap and one swap-in per
# page read back, as many as --stats counts, and reclaim runs that freed frames.
name=trace-reclaim-swap
rc=0
timeout 300 "$emu" -m 16M --swap 64M --stats --trace=reclaim,swap --trace-file "$work/trace" \
  "$prog" roundtrip 48 > /dev/null 2> "$work/err" || rc=$?
outs=$(grep -c '^swap-out ' "$work/trace" || true)
ins=$(grep -c '^swap-in ' "$work/trace" || true)
freed=$(grep -cE '^reclaim target=[0-9]+ freed=[1-9]' "$work/trace" || true)
stat_out=$(grep -oE 'pswpout [0-9]+' "$work/err" | grep -oE '[0-9]+' || echo none)
stat_in=$(grep -oE 'pswpin [0-9]+' "$work/err" | grep -oE '[0-9]+' || echo none)
written=$(grep -c '^swap-out .*written=yes\|^swap-out .*kind=shmem' "$work/trace" || true)
if [ "$rc" = 0 ] && [ "$written" = "$stat_out" ] && [ "$ins" = "$stat_in" ] && [ "$freed" -gt 0 ] &&
   [ "$outs" -ge "$written" ]; then
  echo "PASS $name"
  passed=$((passed + 1))
else
  echo "FAIL $name (status $rc; swap-out written $written vs pswpout $stat_out;" \
    "swap-in $ins vs pswpin $stat_in; reclaim runs that freed $freed)"
  failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
