#!/usr/bin/env bash
# ksm_check.sh: the KSM guest under emu, checked against what Linux 6.1's KSM gives (the
# guest rewrites /sys/kernel/mm/ksm, which a test must not do to its host, so there is no
# native run to compare with), and the --trace=ksm events of the same run.
#
# Usage: tests/guest/ksm_check.sh EMU GUEST_DIR
# Prints PASS/FAIL per case, then "N passed, M failed".
set -uo pipefail
# shellcheck source=tests/guest/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

emu_guest_args "$@"
work=$(mktemp -d "${TMPDIR:-/tmp}/emu-ksm.XXXXXX")
trap 'rm -rf "$work"' EXIT

ok() { echo "PASS $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1${2:+ ($2)}"; failed=$((failed + 1)); }

# 12 identical pages and 4 others: one KSM page shared by 12 entries after two scans; a
# write takes one away; a fork child's mappings are not counted before ksmd has looked at
# them (6.1 counts rmap_items); UNMERGEABLE of six pages
# (five of them merged) and run=2 give private copies back.
want="run 0, pages_to_scan 100, sleep_millisecs 20, max_page_sharing 256
before: pages_shared 0, pages_sharing 0, merging 0
run=3: EINVAL
max_page_sharing=1: EINVAL
mergeable, run 0: pages_shared 0, pages_sharing 0, merging 0
one 200 ms sleep: at least 2 full scans yes
after two scans: pages_shared 1, pages_sharing 11, merging 12
merge_across_nodes=0 while shared: EBUSY
cow_ksm after a write: +1
after a write: page 3 byte 10 'W', byte 11 'K', other pages intact yes
after a write: pages_shared 1, pages_sharing 10, merging 11
child: page 0 'C', page 1 'K'
child: pages_shared 1, pages_sharing 10, merging 0
parent after child: page 0 'K', status 0
after fork: pages_shared 1, pages_sharing 10, merging 11
after UNMERGEABLE of 6 pages: pages_shared 1, pages_sharing 5, merging 6
after run=2: pages_shared 0, pages_sharing 0, merging 0
data intact yes
merge_across_nodes=0 after unmerge: 0"

for libc in musl glibc; do
  prog=$guest_dir/$libc/ksm_merge
  [ -x "$prog" ] || { bad "$libc/ksm_merge" "not built"; continue; }
  rc=0
  timeout 120 "$emu" --trace=ksm --trace-file "$work/trace.$libc" "$prog" > "$work/out" \
    2> "$work/err" || rc=$?
  if [ "$rc" = 0 ] && [ "$(cat "$work/out")" = "$want" ]; then
    ok "$libc/ksm_merge"
  else
    bad "$libc/ksm_merge" "status $rc"
    diff <(printf '%s\n' "$want") "$work/out" | head -n 20
    head -n 5 "$work/err"
  fi
  # The trace tells the same story: 11 merges (one new KSM page, then ten into it), at
  # least one full scan before the first merge, two copies on write (the parent's and the
  # child's), and 5 + 6 unmerges (UNMERGEABLE, run=2).
  t=$work/trace.$libc
  merges=$(grep -c '^ksm-merge ' "$t" || true)
  new=$(grep -c '^ksm-merge into=new ' "$t" || true)
  unmerges=$(grep -c '^ksm-unmerge ' "$t" || true)
  cows=$(grep -c '^ksm-cow ' "$t" || true)
  all=$(grep -c '^ksm-unmerge-all' "$t" || true)
  first_merge=$(grep -nm1 '^ksm-merge ' "$t" | cut -d: -f1)
  scans_before=$(head -n "${first_merge:-0}" "$t" | grep -c '^ksm-full-scan ' || true)
  steps=$(grep -c '^ksm-scan ' "$t" || true)
  if [ "$merges" = 11 ] && [ "$new" = 1 ] && [ "$unmerges" = 11 ] && [ "$all" = 1 ] && [ "$cows" = 2 ] &&
     [ "$scans_before" -ge 1 ] && [ "$steps" -ge 2 ]; then
    ok "$libc/ksm_merge --trace=ksm"
  else
    bad "$libc/ksm_merge --trace=ksm" "merges $merges (new $new), unmerges $unmerges, cows $cows," \
      "unmerge-all $all, full scans before the first merge $scans_before, steps $steps"
    grep -m 5 '^ksm' "$t"
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
