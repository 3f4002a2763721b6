#!/usr/bin/env bash
# kpage_check.sh: the kpageflags guest under emu, checked against what Linux 6.1 gives for
# /proc/kpageflags, /proc/kpagecount and /sys/kernel/debug/split_huge_pages (the guest
# needs root and debugfs and would split the host's huge pages, so there is no native run
# to compare with); and the same guest without root, which the files' modes keep out.
#
# Usage: tests/guest/kpage_check.sh EMU GUEST_DIR
# Prints PASS/FAIL per case, then "N passed, M failed".
set -uo pipefail
# shellcheck source=tests/guest/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

emu_guest_args "$@"
work=$(mktemp -d "${TMPDIR:-/tmp}/emu-kpage.XXXXXX")
trap 'rm -rf "$work"' EXIT

ok() { echo "PASS $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1${2:+ ($2)}"; failed=$((failed + 1)); }

# Four THPs mapped huge, split through the process's own range; a THP the fork child maps
# small (its write copied page 0) while the parent maps it huge, split through the child's
# range for both; "1" for every THP, and the errors of bad input.
want='kpageflags at a byte offset: EINVAL
kpageflags, 4 bytes: EINVAL
split_huge_pages opened for reading: 0, read: EINVAL
PMD-mapped, written:               THP pages 2048, compound heads 4, AnonHugePages  8192 kB
  a THP'"'"'s first page:              lru mmap anonymous head thp, count 1
  a THP'"'"'s 100th page:              mmap anonymous tail thp, count 1
split own range: ok
data after the split: intact
after the split:                   THP pages    0, compound heads 0, AnonHugePages     0 kB
  the first page:                  lru mmap anonymous, count 1
  the 100th page:                  lru mmap anonymous, count 1
child, PTE-mapped:                 THP pages  511, compound heads 0, AnonHugePages     0 kB
  page 0 (its own copy):           not thp, count 1
  page 1 (shared):                 mmap anonymous tail thp, count 2
child splits its range: ok
child, after the split:            THP pages    0, compound heads 0, AnonHugePages     0 kB
  page 1:                          lru mmap anonymous, count 2
child'"'"'s data: intact
child status 0
parent, after the child'"'"'s split:   THP pages    0, compound heads 0, AnonHugePages     0 kB
parent'"'"'s data: intact
two more THPs:                     THP pages 1024, compound heads 2, AnonHugePages  4096 kB
"2": EINVAL
"5,0x1000": EINVAL
pid 0: ESRCH
no such pid: ESRCH
a file without huge pages: ok
no such file: EINVAL
after those:                       THP pages 1024, compound heads 2, AnonHugePages  4096 kB
"1": ok
after "1":                         THP pages    0, compound heads 0, AnonHugePages     0 kB
data: intact'

# run NAME WANT_STATUS WANT_OUTPUT EMU_ARGS...: one run of the guest, output and status
# compared exactly.
run() {
  local name=$1 want_rc=$2 want_out=$3 libc=$4
  shift 4
  local prog=$guest_dir/$libc/kpageflags
  [ -x "$prog" ] || { bad "$name" "not built"; return; }
  local rc=0
  timeout 120 "$emu" "$@" "$prog" > "$work/out" 2> "$work/err" || rc=$?
  if [ "$rc" = "$want_rc" ] && [ "$(cat "$work/out")" = "$want_out" ]; then
    ok "$name"
  else
    bad "$name" "status $rc"
    diff <(printf '%s\n' "$want_out") "$work/out" | head -n 20
    head -n 5 "$work/err"
  fi
}

for libc in musl glibc; do
  run "$libc/kpageflags" 0 "$want" "$libc"
  # Without root: /proc/kpageflags is 0400 root (pagemap opens; kpageflags does not).
  run "$libc/kpageflags --uid 1000" 1 "open: EACCES" "$libc" --uid 1000 --gid 1000
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
