#!/usr/bin/env bash
# cli_check.sh EMU GUEST_DIR: emu's command line and its answers to bad input.
#  - a missing program, a directory, a text file, truncated / 32-bit / non-x86 ELF files and
#    a dynamically linked program each give one line on stderr and a non-zero status;
#  - option errors give status 2, --help status 0; a -m the host cannot reserve gives one
#    line and status 1;
#  - --root confines the guest: files inside are readable, escapes through "..", absolute
#    and relative symlinks are not, and writes are refused;
#  - --bind shows a host directory at a guest path, writable only with :rw, and nothing
#    (.., symlinks, /proc/self/root, rename) reaches a host file outside it;
#  - an unimplemented syscall is reported once, however often it is called;
#  - the machine has one CPU, whoever asks: busybox nproc (sched_getaffinity), glibc's and
#    musl's get_nprocs/sysconf (/sys/devices/system/cpu/online, sched_getaffinity),
#    /proc/cpuinfo and /proc/stat.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/guest/lib.sh
. "$here/lib.sh"
[ $# -eq 2 ] || die "usage: cli_check.sh EMU GUEST_DIR"
emu=$(resolve_emu "$1")
guests=$2
require_guest_dir "$guests"
tmp=$(mktemp -d)
# The guest's /tmp is its own tmpfs: files emu must run from here are bound in.
trap 'rm -rf "$tmp"' EXIT

# expect_error NAME STATUS PATTERN -- CMD...: one stderr line matching PATTERN, given status.
expect_error() {
  local name=$1 want=$2 pattern=$3
  shift 4
  local err rc lines
  err=$(timeout 20 "$@" 2>&1 >/dev/null)
  rc=$?
  lines=$(printf '%s' "$err" | grep -c '')
  if [ "$rc" -ne "$want" ]; then
    fail "$name" "status $rc, expected $want (stderr: $err)"
  elif [ "$lines" -ne 1 ] || ! grep -qE "$pattern" <<<"$err"; then
    fail "$name" "expected one line matching /$pattern/, got: $err"
  else
    pass "$name"
  fi
}

hello=$guests/musl/hello
printf 'just text\n' >"$tmp/text"
head -c 40 "$hello" >"$tmp/truncated-header"
head -c 3000 "$hello" >"$tmp/truncated-body"
cp "$hello" "$tmp/elf32" && printf '\001' | dd of="$tmp/elf32" bs=1 seek=4 conv=notrunc status=none
cp "$hello" "$tmp/arm" && printf '\050\000' | dd of="$tmp/arm" bs=1 seek=18 conv=notrunc status=none
head -c 100000 /dev/urandom >"$tmp/random"
chmod +x "$tmp"/*

expect_error poison-bad-address 2 "emu: bad --poison address '0x12g'" -- "$emu" --poison 0x12g "$hello"
expect_error poison-empty-item 2 "emu: bad --poison address ''" -- "$emu" --poison 0x1000,,0x2000 "$hello"
expect_error poison-beyond-ram 2 'emu: --poison address 0x20000000 is beyond the 16 MiB of RAM' -- \
  "$emu" -m 16M --poison 0x1000,0x20000000 "$hello"
expect_error poison-after-alone 2 'emu: --poison-after needs --poison addresses' -- \
  "$emu" --poison-after 10 "$hello"
expect_error poison-after-bad 2 "emu: bad --poison-after '10:ticks'" -- \
  "$emu" --poison 0x1000 --poison-after 10:ticks "$hello"
expect_error poison-after-negative 2 "emu: bad --poison-after '-1'" -- \
  "$emu" --poison 0x1000 --poison-after -1 "$hello"
expect_error missing-program 127 'emu: .*No such file' -- "$emu" --bind "$tmp:$tmp" "$tmp/nope"
expect_error directory 126 'emu: .*' -- "$emu" --bind "$tmp:$tmp" "$tmp"
expect_error text-file 126 'emu: .*' -- "$emu" --bind "$tmp:$tmp" "$tmp/text"
expect_error truncated-header 126 'emu: .*' -- "$emu" --bind "$tmp:$tmp" "$tmp/truncated-header"
expect_error truncated-body 126 'emu: .*' -- "$emu" --bind "$tmp:$tmp" "$tmp/truncated-body"
expect_error elf32 126 'emu: .*' -- "$emu" --bind "$tmp:$tmp" "$tmp/elf32"
expect_error non-x86 126 'emu: .*' -- "$emu" --bind "$tmp:$tmp" "$tmp/arm"
expect_error random-bytes 126 'emu: .*' -- "$emu" --bind "$tmp:$tmp" "$tmp/random"
if [ -x /bin/ls ] && file -L /bin/ls 2>/dev/null | grep -q 'dynamically linked'; then
  expect_error dynamic-program 126 'dynamically linked' -- "$emu" /bin/ls
fi
expect_error no-program 2 'no program' -- "$emu"
expect_error bad-option 2 'unknown option' -- "$emu" --bogus "$hello"
expect_error bad-ram-size 2 'bad RAM size' -- "$emu" -m 12Q "$hello"
expect_error bad-swap-size 2 'bad swap size' -- "$emu" --swap 12Q "$hello"
expect_error ram-too-large 2 'bad RAM size .*at most' -- "$emu" -m 9T "$hello"
# RAM the host cannot reserve (here under a 2 GB address-space limit): one line, status 1,
# never an abort inside the kernel. A sanitizer build cannot start under such a limit.
if ! ldd "$emu" 2>/dev/null | grep -q libasan; then
  expect_error ram-host-refuses 1 'cannot reserve .* emulated RAM' -- \
    bash -c 'ulimit -v 2000000 && exec "$0" -m 8G "$1"' "$emu" "$hello"
fi
expect_error bad-trace-event 2 'unknown trace event' -- "$emu" --trace=nonsense "$hello"
if "$emu" --help >/dev/null 2>&1; then pass help; else fail help "--help did not exit 0"; fi

# --root: a small tree with hostile symlinks.
root=$tmp/root
mkdir -p "$root/bin" "$root/data" "$tmp/outside"
cp /bin/busybox "$root/bin/busybox"
echo inside >"$root/data/file"
echo secret >"$tmp/outside/secret"
ln -s ../../outside/secret "$root/data/up"
ln -s /outside/secret "$root/data/abs"
ln -s "$tmp/outside/secret" "$root/data/host-abs"
# expect_root NAME WANT_STATUS WANT_STDOUT -- busybox args...
expect_root() {
  local name=$1 want=$2 out_want=$3
  shift 4
  local out rc
  out=$(timeout 20 "$emu" --root "$root" /bin/busybox "$@" 2>/dev/null)
  rc=$?
  if [ "$rc" -eq "$want" ] && [ "$out" = "$out_want" ]; then
    pass "$name"
  else
    fail "$name" "status $rc (want $want), stdout '$out' (want '$out_want')"
  fi
}
expect_root root-reads-inside 0 inside -- cat /data/file
expect_root root-dotdot 1 "" -- cat /../../outside/secret
expect_root root-relative-symlink 1 "" -- cat /data/up
expect_root root-absolute-symlink 1 "" -- cat /data/abs
expect_root root-host-path-symlink 1 "" -- cat /data/host-abs
expect_root root-no-writes 1 "" -- sh -c 'echo x > /data/new'
[ ! -e "$root/data/new" ] && pass root-file-not-created || fail root-file-not-created "file exists"
expect_root root-no-truncate 1 "" -- sh -c 'echo x > /data/file'
[ "$(cat "$root/data/file")" = inside ] && pass root-file-intact || fail root-file-intact "changed"

# --bind HOST:GUEST[:rw]: only :rw lets the guest write there, and nothing escapes the bind.
bind=$tmp/bind
mkdir -p "$bind/sub" "$root/mnt"
echo bound >"$bind/file"
echo victim >"$bind/victim"
ln -s ../../outside/secret "$bind/up"
ln -s "$tmp/outside/secret" "$bind/host-abs"
ln -s /data/file "$bind/guest-abs"
# expect_bind NAME MODE WANT_STATUS WANT_STDOUT -- busybox args...  (MODE: ro or rw)
expect_bind() {
  local name=$1 mode=$2 want=$3 out_want=$4
  shift 5
  local spec="$bind:/mnt" out rc
  [ "$mode" = rw ] && spec="$spec:rw"
  out=$(timeout 20 "$emu" --root "$root" --bind "$spec" /bin/busybox "$@" 2>/dev/null)
  rc=$?
  if [ "$rc" -eq "$want" ] && [ "$out" = "$out_want" ]; then
    pass "$name"
  else
    fail "$name" "status $rc (want $want), stdout '$out' (want '$out_want')"
  fi
}
expect_bind bind-reads ro 0 bound -- cat /mnt/file
expect_bind bind-ro-no-create ro 1 "" -- sh -c 'echo x > /mnt/new'
expect_bind bind-ro-no-unlink ro 1 "" -- rm /mnt/victim
expect_bind bind-ro-no-mkdir ro 1 "" -- mkdir /mnt/dir
[ ! -e "$bind/new" ] && [ -e "$bind/victim" ] && [ ! -e "$bind/dir" ] &&
  pass bind-ro-unchanged || fail bind-ro-unchanged "the bind changed"
expect_bind bind-rw-create rw 0 "" -- sh -c 'echo made > /mnt/new'
[ "$(cat "$bind/new" 2>/dev/null)" = made ] && pass bind-rw-created || fail bind-rw-created "no file"
expect_bind bind-rw-unlink rw 0 "" -- rm /mnt/victim
[ ! -e "$bind/victim" ] && pass bind-rw-unlinked || fail bind-rw-unlinked "still there"
expect_bind bind-rw-mkdir rw 0 "" -- mkdir -p /mnt/sub/a/b
[ -d "$bind/sub/a/b" ] && pass bind-rw-mkdir-made || fail bind-rw-mkdir-made "no directory"
expect_bind bind-rw-rename rw 0 "" -- mv /mnt/new /mnt/sub/renamed
[ "$(cat "$bind/sub/renamed" 2>/dev/null)" = made ] && pass bind-rw-renamed || fail bind-rw-renamed "not moved"
expect_bind bind-rw-dotdot rw 1 "" -- sh -c 'echo pwn > /mnt/../data/file'
expect_bind bind-rw-relative-symlink rw 1 "" -- sh -c 'echo pwn > /mnt/up'
expect_bind bind-rw-host-symlink rw 1 "" -- sh -c 'echo pwn > /mnt/host-abs'
expect_bind bind-rw-guest-symlink rw 1 "" -- sh -c 'echo pwn > /mnt/guest-abs'
expect_bind bind-rw-proc-root rw 1 "" -- sh -c 'echo pwn > /proc/self/root/data/file'
expect_bind bind-rw-rename-out rw 1 "" -- mv /mnt/file /data/moved
[ "$(cat "$tmp/outside/secret")" = secret ] && [ "$(cat "$root/data/file")" = inside ] &&
  [ -e "$bind/file" ] && [ ! -e "$root/data/moved" ] && [ ! -e "$tmp/outside/pwn" ] &&
  pass bind-host-files-intact || fail bind-host-files-intact "a host file outside the bind changed"
expect_error bind-bad-spec 2 'bad --bind' -- "$emu" --bind nowhere "$hello"

# An unimplemented syscall is reported once. tls_errno calls syscall(100000) once; a loop
# calling it many times must still give one line.
cat >"$tmp/nosys.c" <<'C'
#include <unistd.h>
#include <sys/syscall.h>
int main(void) { for (int i = 0; i < 50; i++) syscall(100000); return 0; }
C
if musl-gcc -static -O2 -o "$tmp/nosys" "$tmp/nosys.c" 2>/dev/null; then
  n=$("$emu" --bind "$tmp:$tmp" "$tmp/nosys" 2>&1 >/dev/null | grep -c 'unimplemented syscall')
  [ "$n" -eq 1 ] && pass enosys-logged-once || fail enosys-logged-once "$n lines"
fi

# Random arguments to every syscall: the emulator survives and the guest runs to its end.
out=$(timeout 300 "$emu" "$guests/musl/syscall_fuzz" 2>/dev/null)
rc=$?
[ "$rc" -eq 0 ] && [ "$out" = survived ] && pass syscall-fuzz || fail syscall-fuzz "status $rc, out '$out'"

# Random arguments and pointers of every kind to the memory calls, for fixed seeds, in
# both libcs: the emulator survives (no crash, no sanitizer report) and so does the guest.
# Again with huge pages wherever they may come: THP always for anonymous memory and
# shmem_enabled always for shared anonymous mappings.
for libc in musl glibc; do
  for variant in mm-fuzz mm-fuzz-huge; do
    cmd=("$emu" "$guests/$libc/mm_fuzz")
    [ "$variant" = mm-fuzz-huge ] && cmd=("$emu" --thp always "$guests/$libc/mm_fuzz" always)
    out=$(timeout 300 "${cmd[@]}" 2>/dev/null)
    rc=$?
    out=$(printf '%s\n' "$out" | tail -n 1)
    [ "$rc" -eq 0 ] && [ "$out" = survived ] && pass "$variant/$libc" ||
      fail "$variant/$libc" "status $rc, out '$out'"
  done
done

# Fatal signals: the same exit status as the native run (the shell's 128+signal) and one
# line naming the signal. Again with --thp always, where khugepaged's wake-up is armed from
# the start: a CPU exception must not be lost to the stop that arming asks for.
for libc in musl glibc; do
  crash=$guests/$libc/crash
  [ -x "$crash" ] || continue
  for mode in div ud2 int3 abort ro exec stack kernel jmp0 hlt cli in cr3 killself; do
    # The outer redirection silences the shell's own "Segmentation fault" report.
    { (ulimit -c 0; "$crash" "$mode") >/dev/null 2>&1; } 2>/dev/null
    want=$?
    sig=$(kill -l $((want - 128)) 2>/dev/null)
    for variant in signal signal-wakeup-armed; do
      flags=()
      [ "$variant" = signal-wakeup-armed ] && flags=(--thp always)
      err=$(timeout 20 "$emu" "${flags[@]}" "$crash" "$mode" 2>&1 >/dev/null)
      got=$?
      if [ "$got" -ne "$want" ]; then
        fail "$variant/$libc/$mode" "exit status $got, native $want ($err)"
      elif [ "$(printf '%s' "$err" | grep -c '')" -ne 1 ] || ! grep -q "SIG$sig" <<<"$err"; then
        fail "$variant/$libc/$mode" "expected one line naming SIG$sig, got: $err"
      else
        pass "$variant/$libc/$mode"
      fi
    done
  done
done

# One CPU, by every account.
cpus=$(timeout 20 "$emu" /bin/busybox nproc 2>&1)
[ "$cpus" = 1 ] && pass cpus/nproc || fail cpus/nproc "got '$cpus'"
cpus=$(timeout 20 "$emu" /bin/busybox cat /sys/devices/system/cpu/online 2>&1)
[ "$cpus" = 0 ] && pass cpus/online || fail cpus/online "got '$cpus'"
cpus=$(timeout 20 "$emu" /bin/busybox grep -c '^processor' /proc/cpuinfo 2>&1)
[ "$cpus" = 1 ] && pass cpus/cpuinfo || fail cpus/cpuinfo "got '$cpus'"
cpus=$(timeout 20 "$emu" /bin/busybox grep -c '^cpu[0-9]' /proc/stat 2>&1)
[ "$cpus" = 1 ] && pass cpus/stat || fail cpus/stat "got '$cpus'"
for libc in musl glibc; do
  out=$(timeout 20 "$emu" "$guests/$libc/sched_calls" --cpus 2>&1)
  [ "$out" = "cpus: nprocs=1 onln=1 conf=1 affinity=1" ] && pass "cpus/$libc" ||
    fail "cpus/$libc" "got '$out'"
done

summary
