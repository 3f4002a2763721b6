#!/usr/bin/env bash
# poison_check.sh: hardware-poison guests (guest/poison.c) under emu, checked against what
# Linux 6.1's memory-failure code gives. The host cannot take part (MADV_HWPOISON would
# retire its own RAM, and needs memory-failure support it may lack), so every expected
# output is written here from 6.1's semantics:
#  - MADV_HWPOISON on an anonymous page: neighbours intact, a hwpoison entry (pagemap: swap
#    type 22, offset the frame), SIGBUS BUS_MCEERR_AR at the touched address with
#    si_addr_lsb 12, mincore 1 for it, EHWPOISON from MADV_POPULATE_*, EFAULT from
#    syscalls copying from or into it, HardwareCorrupted one page up;
#  - a page shared after fork: both processes get BUS_MCEERR_AR when they touch it; a
#    child that asked for early kill (PR_MCE_KILL) gets BUS_MCEERR_AO at once;
#  - MADV_SOFT_OFFLINE keeps the data in new frames (each retired frame counted);
#  - without CAP_SYS_ADMIN: EPERM;
#  - file pages: a clean one is read again, a dirty one is lost (SIGBUS, then EIO from the
#    next fsync only); tmpfs keeps its poisoned page (read() EIO);
#  - --poison: the first access is a machine check; --trace=poison shows each step;
#  - LTP-style madvise07 (MADV_HWPOISON then access: SIGBUS) and madvise11 (soft offline
#    of many pages: data intact) equivalents, written from their descriptions.
#
# Usage: tests/guest/poison_check.sh EMU GUEST_DIR
# Prints PASS/FAIL per case, then "N passed, M failed".
set -uo pipefail
# shellcheck source=tests/guest/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

emu_guest_args "$@"
work=$(mktemp -d "${TMPDIR:-/tmp}/emu-poison.XXXXXX")
trap 'rm -rf "$work"' EXIT

# expect NAME EXPECTED_STDOUT -- CMD...: status 0 and exactly this output.
expect() {
  local name=$1 want=$2
  shift 3
  local rc=0
  timeout 120 env -i "$@" > "$work/out" 2> "$work/err" || rc=$?
  if [ "$rc" = 0 ] && [ "$(cat "$work/out")" = "$want" ]; then
    pass "$name"
  else
    fail "$name" "status $rc"
    diff <(printf '%s\n' "$want") "$work/out" | head -n 20
    head -n 10 "$work/err"
  fi
}

for libc in musl glibc; do
  prog=$guest_dir/$libc/poison
  [ -x "$prog" ] || die "$prog not built"

  expect "$libc/anon" "madvise(MADV_HWPOISON) = 0
HardwareCorrupted grew by 4 kB
page 0 intact: yes
page 2 intact: yes
page 3 intact: yes
pagemap: present=0 swap=1 type=22 offset-is-pfn=yes
anon: read +0x1011 SIGBUS BUS_MCEERR_AR addr=+0x1011 lsb=12
anon: write +0x1064 SIGBUS BUS_MCEERR_AR addr=+0x1064 lsb=12
anon: read +0x2000 ok
mincore = 0: 1 1 1 1
MADV_POPULATE_READ = EHWPOISON
MADV_POPULATE_WRITE = EHWPOISON
MADV_POPULATE_READ (page 0 only) = 0
write(pipe, poisoned) = EFAULT
write(pipe, page 0) = 16
read(pipe, into poisoned) = EFAULT
madvise(MADV_HWPOISON) again = EFAULT
munmap = 0
HardwareCorrupted grew by 4 kB in all" -- "$emu" "$prog" anon

  expect "$libc/fork-late-kill" "child: no signal while waiting
child: read +0x8 SIGBUS BUS_MCEERR_AR addr=+0x8 lsb=12
child: page 1 intact: yes
parent: madvise(MADV_HWPOISON) = 0
child exit status 0
parent: write +0x8 SIGBUS BUS_MCEERR_AR addr=+0x8 lsb=12
parent: page 1 intact: yes" -- "$emu" "$prog" fork

  expect "$libc/fork-early-kill" "child: PR_MCE_KILL = 0
child: PR_MCE_KILL_GET = 1
child: SIGBUS BUS_MCEERR_AO addr=+0 lsb=12 while waiting
child: read +0x8 SIGBUS BUS_MCEERR_AR addr=+0x8 lsb=12
child: page 1 intact: yes
parent: madvise(MADV_HWPOISON) = 0
child exit status 0
parent: write +0x8 SIGBUS BUS_MCEERR_AR addr=+0x8 lsb=12
parent: page 1 intact: yes" -- "$emu" "$prog" fork-early

  # The sysctl instead of prctl: every process mapping the page hears at once, the caller
  # of MADV_HWPOISON included (no action required: collect_procs without force_early).
  expect "$libc/fork-sysctl-early-kill" "write /proc/sys/vm/memory_failure_early_kill = ok
child: SIGBUS BUS_MCEERR_AO addr=+0 lsb=12 while waiting
child: read +0x8 SIGBUS BUS_MCEERR_AR addr=+0x8 lsb=12
child: page 1 intact: yes
parent: SIGBUS BUS_MCEERR_AO addr=+0 lsb=12 on return from madvise
child exit status 0
parent: write +0x8 SIGBUS BUS_MCEERR_AR addr=+0x8 lsb=12
parent: page 1 intact: yes" -- "$emu" "$prog" fork-sysctl

  expect "$libc/sysfs-offline-page" "write /sys/devices/system/memory/soft_offline_page = ok
soft: moved yes, data intact: yes
write /sys/devices/system/memory/hard_offline_page = ok
hard: read +0x30 SIGBUS BUS_MCEERR_AR addr=+0x30 lsb=12
page 1 intact: yes
write /sys/devices/system/memory/hard_offline_page = EINVAL
write /sys/devices/system/memory/hard_offline_page = ENXIO
HardwareCorrupted grew by 2 pages" -- "$emu" "$prog" sysfs

  # madvise11's kind: many pages soft-offlined, every byte kept.
  expect "$libc/soft-offline" "madvise(MADV_SOFT_OFFLINE) = 0
pages moved to a new frame: 64 of 64
pages with their data: 64 of 64
HardwareCorrupted grew by 64 pages
write after: ok
shared: madvise(MADV_SOFT_OFFLINE) = 0
shared: child sees its data: yes, parent: yes
soft offline of page 1 again = 0" -- "$emu" "$prog" soft 64

  expect "$libc/eperm-without-cap-sys-admin" "MADV_HWPOISON = EPERM
MADV_SOFT_OFFLINE = EPERM
data intact: yes, HardwareCorrupted grew by 0 kB
open(hard_offline_page) = EACCES" -- "$emu" --uid 1000 "$prog" eperm

  mkdir -p "$work/files"
  expect "$libc/file-clean-and-dirty" "fsync = 0
clean: first byte c
clean: madvise(MADV_HWPOISON) = 0
clean: read +0x5 ok
clean: page intact: yes
dirty: madvise(MADV_HWPOISON) = 0
dirty: read +0x1005 SIGBUS BUS_MCEERR_AR addr=+0x1005 lsb=12
fsync = EIO
fsync again = 0
fdatasync = 0
pread page 1 = 3 \"ddd\"" -- "$emu" --bind "$work/files:/data:rw" "$prog" file /data/f

  expect "$libc/tmpfs" "tmpfs: madvise(MADV_HWPOISON) = 0
tmpfs: read +0x9 SIGBUS BUS_MCEERR_AR addr=+0x9 lsb=12
tmpfs: pread page 0 = EIO
tmpfs: pread page 1 = 8
tmpfs: page 1 intact: yes" -- "$emu" "$prog" tmpfs

  # --poison: a first run prints the frame the page gets; the second poisons it.
  paddr=$(env -i "$emu" "$prog" touch print | sed -n 's/^paddr //p')
  expect "$libc/cmdline-poison" "MADV_POPULATE_WRITE = 0
touch: read +0x1123 SIGBUS BUS_MCEERR_AR addr=+0x1000 lsb=12
page 0 intact: yes, page 2 intact: yes
touch again: write +0x1010 SIGBUS BUS_MCEERR_AR addr=+0x1010 lsb=12
HardwareCorrupted grew by 4 kB" -- "$emu" --poison "$paddr" "$prog" touch quiet

  # A syscall's copy meets the poison first: EFAULT, then the access finds a hwpoison entry.
  paddr=$(env -i "$emu" "$prog" copy print | sed -n 's/^paddr //p')
  expect "$libc/cmdline-poison-uaccess" "MADV_POPULATE_WRITE = 0
write(pipe, page 1) = EFAULT
touch: read +0x1123 SIGBUS BUS_MCEERR_AR addr=+0x1123 lsb=12
page 0 intact: yes" -- "$emu" --poison "$paddr" "$prog" copy quiet

  paddr=$(env -i "$emu" "$prog" fork-touch late print | sed -n 's/^paddr //p')
  expect "$libc/cmdline-poison-fork-late" "MADV_POPULATE_READ = 0
child: read +0x40 SIGBUS BUS_MCEERR_AR addr=+0 lsb=12
parent: no signal while waiting
parent: read +0x80 SIGBUS BUS_MCEERR_AR addr=+0x80 lsb=12" -- \
    "$emu" --poison "$paddr" "$prog" fork-touch late quiet

  paddr=$(env -i "$emu" "$prog" fork-touch early print | sed -n 's/^paddr //p')
  expect "$libc/cmdline-poison-fork-early" "PR_MCE_KILL = 0
MADV_POPULATE_READ = 0
child: read +0x40 SIGBUS BUS_MCEERR_AR addr=+0 lsb=12
parent: SIGBUS BUS_MCEERR_AO addr=+0 lsb=12 while waiting
parent: read +0x80 SIGBUS BUS_MCEERR_AR addr=+0x80 lsb=12" -- \
    "$emu" --poison "$paddr" "$prog" fork-touch early quiet
done

prog=$guest_dir/musl/poison

# madvise07's kind: MADV_HWPOISON, then the access, without a handler: the process dies of
# SIGBUS, and emu names the code and the address.
rc=0
out=$(timeout 60 env -i "$emu" "$prog" die 2> "$work/err") || rc=$?
if [ "$rc" = 135 ] && [ "$out" = "madvise(MADV_HWPOISON) = 0" ] &&
   grep -qE '^emu: .*killed by SIGBUS \(BUS_MCEERR_AR\) at address 0x[0-9a-f]+00a,' "$work/err"; then
  pass "madvise07-sigbus"
else
  fail "madvise07-sigbus" "status $rc: $out $(cat "$work/err")"
fi

# --trace=madvise: the two injecting advice give the same "madvise" event as the others,
# with the pages they injected (one for madvise07's page; two soft-offlined pages).
rc=0
timeout 60 env -i "$emu" --trace=madvise --trace-file "$work/mtrace" "$prog" die \
  > /dev/null 2>&1 || rc=$?
got=$(sed -E 's/ effect=.*//' "$work/mtrace")
start=$(grep -oE 'start=0x[0-9a-f]+' "$work/mtrace" | head -n 1 | cut -d= -f2)
timeout 60 env -i "$emu" --trace=madvise --trace-file "$work/mtrace2" "$prog" soft 2 \
  > /dev/null 2>&1 || rc=$?
got2=$(head -n 1 "$work/mtrace2" | sed -E 's/ start=[^ ]+ end=[^ ]+//; s/ effect=.*//')
if [ "$rc" = 135 ] && [ -n "$start" ] &&
   [ "$got" = "madvise advice=MADV_HWPOISON start=$start end=$(printf '%#x' $((start + 4096))) result=0 pages=1" ] &&
   [ "$got2" = "madvise advice=MADV_SOFT_OFFLINE result=0 pages=2" ]; then
  pass "trace-madvise-injection"
else
  fail "trace-madvise-injection" "status $rc: $got / $got2"
fi

# --trace=poison, end to end: the injection, the machine check with its instruction, the
# page's handling, the unmap of each mapper and each signal, in this order.
paddr=$(env -i "$emu" "$prog" fork-touch early print | sed -n 's/^paddr //p')
pfn=$(printf '%d' $((paddr >> 12)))
rc=0
timeout 60 env -i "$emu" --poison "$paddr" --trace=poison --trace-file "$work/trace" \
  "$prog" fork-touch early quiet > /dev/null 2> "$work/err" || rc=$?
sed -E 's/rip=0x[0-9a-f]+/rip=R/; s/insn="[^"]*"/insn=I/; s/addr=0x[0-9a-f]+/addr=A/g' \
  "$work/trace" > "$work/trace.norm"
# The mappers come in reverse-map order (the child's entry, made last, first); the signals
# in process order (collect_procs walks the tasks), then the parent's own access.
want="poison-inject source=cmdline paddr=A pfn=$pfn
machine-check pid=101 tid=101 rip=R insn=I addr=A access=read paddr=A pfn=$pfn
memory-failure pfn=$pfn type=\"shmem page\" result=Recovered
poison-unmap pid=101 addr=A entry=hwpoison
poison-unmap pid=100 addr=A entry=hwpoison
poison-signal pid=100 tid=100 sig=SIGBUS code=BUS_MCEERR_AO addr=A lsb=12
poison-signal pid=101 tid=101 sig=SIGBUS code=BUS_MCEERR_AR addr=A lsb=12
poison-signal pid=100 tid=100 sig=SIGBUS code=BUS_MCEERR_AR addr=A lsb=12"
if [ "$rc" = 0 ] && [ "$(cat "$work/trace.norm")" = "$want" ] &&
   grep -qE "^poison-inject source=cmdline paddr=$paddr " "$work/trace" &&
   grep -qE '^machine-check .*insn="mov[a-z]* ' "$work/trace" &&
   grep -qE '^machine-check .*paddr='"$(printf '%#x' $((paddr + 0x40)))" "$work/trace"; then
  pass "trace-poison"
else
  fail "trace-poison" "status $rc"
  diff <(printf '%s\n' "$want") "$work/trace.norm" | head -n 20
  cat "$work/trace" | head -n 12
fi

# --poison-after: injected at the first syscall, before the page has its frame: the same
# machine check as with --poison, the injection traced as such.
paddr=$(env -i "$emu" "$prog" touch print | sed -n 's/^paddr //p')
rc=0
out=$(timeout 60 env -i "$emu" --poison "$paddr" --poison-after 0:syscalls --trace=poison \
  --trace-file "$work/trace2" "$prog" touch quiet 2>&1) || rc=$?
if [ "$rc" = 0 ] && grep -q '^touch: read +0x1123 SIGBUS BUS_MCEERR_AR addr=+0x1000 lsb=12$' <<<"$out" &&
   [ "$(head -n 1 "$work/trace2")" = "poison-inject source=poison-after paddr=$paddr pfn=$((paddr >> 12))" ]; then
  pass "poison-after-fires"
else
  fail "poison-after-fires" "status $rc: $out $(head -n 3 "$work/trace2")"
fi

# --poison-after: nothing happens while the count is not reached.
rc=0
out=$(timeout 60 env -i "$emu" --poison "$(env -i "$emu" "$prog" touch print | sed -n 's/^paddr //p')" \
  --poison-after 100000 "$prog" touch quiet 2>&1) || rc=$?
if [ "$rc" = 0 ] && grep -q '^touch: read +0x1123 ok$' <<<"$out"; then
  pass "poison-after-not-reached"
else
  fail "poison-after-not-reached" "status $rc: $out"
fi

summary
