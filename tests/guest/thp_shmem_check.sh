#!/usr/bin/env bash
# thp_shmem_check.sh: the shmem huge-page guest under emu, checked against what Linux 6.1
# gives (the guest sets shmem_enabled, which a test must not do to its host, so there is no
# native run to compare with).
#
# Usage: tests/guest/thp_shmem_check.sh EMU GUEST_DIR
# Prints PASS/FAIL per case, then "N passed, M failed".
set -uo pipefail
# shellcheck source=tests/guest/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

emu_guest_args "$@"
work=$(mktemp -d "${TMPDIR:-/tmp}/emu-thp-shmem.XXXXXX")
trap 'rm -rf "$work"' EXIT

ok() { echo "PASS $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1${2:+ ($2)}"; failed=$((failed + 1)); }

# advise: the memfd's half under MADV_HUGEPAGE comes in as one huge page, mapped huge by
# each mapping that lines up with it (a fork child refaults it huge); a partial munmap splits
# one mapping's entry only; ftruncate into it splits the page and frees the rest; always and
# never for shared anonymous memory.
want="madvise(MADV_HUGEPAGE) second half: 0
memfd, advise, one write in each half    ShmemPmdMapped  2048 kB  Rss  2052 kB | meminfo ShmemHugePages  2048 kB  ShmemPmdMapped  2048 kB
thp_file_alloc +1
second mapping reads 2 at +2M+5p
second mapping after its read            ShmemPmdMapped  2048 kB  Rss  2048 kB | meminfo ShmemHugePages  2048 kB  ShmemPmdMapped  2048 kB
pread at +2M+5p: 1 byte 2
child after its write                    ShmemPmdMapped  2048 kB  Rss  2048 kB | meminfo ShmemHugePages  2048 kB  ShmemPmdMapped  2048 kB
parent reads the child's write: 3
second mapping after munmap of one page  ShmemPmdMapped     0 kB  Rss  2044 kB | meminfo ShmemHugePages  2048 kB  ShmemPmdMapped  2048 kB
first mapping meanwhile                  ShmemPmdMapped  2048 kB  Rss  2052 kB | meminfo ShmemHugePages  2048 kB  ShmemPmdMapped  2048 kB
after ftruncate to 3 MiB                 ShmemPmdMapped     0 kB  Rss  1028 kB | meminfo ShmemHugePages     0 kB  ShmemPmdMapped     0 kB
data left: 2 3
memfd closed and unmapped                ShmemPmdMapped     0 kB  Rss     0 kB | meminfo ShmemHugePages     0 kB  ShmemPmdMapped     0 kB
shared anonymous, always, one write      ShmemPmdMapped  2048 kB  Rss  2048 kB | meminfo ShmemHugePages  2048 kB  ShmemPmdMapped  2048 kB
shared anonymous, never, one write       ShmemPmdMapped     0 kB  Rss     4 kB | meminfo ShmemHugePages     0 kB  ShmemPmdMapped     0 kB"

for libc in musl glibc; do
  prog=$guest_dir/$libc/thp_shmem
  [ -x "$prog" ] || { bad "$libc/thp_shmem" "not built"; continue; }
  rc=0
  timeout 120 "$emu" "$prog" > "$work/out" 2> "$work/err" || rc=$?
  if [ "$rc" = 0 ] && [ "$(cat "$work/out")" = "$want" ]; then
    ok "$libc/thp_shmem"
  else
    bad "$libc/thp_shmem" "status $rc"
    diff <(printf '%s\n' "$want") "$work/out" | head -n 20
    head -n 5 "$work/err"
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
