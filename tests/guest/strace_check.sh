#!/usr/bin/env bash
# strace_check.sh: checks the format of `emu --strace` on stderr.
#
# Usage: tests/guest/strace_check.sh EMU GUEST_DIR     (GUEST_DIR from guest/build.sh)
#
# Expected --strace format (that of strace(1)): one line per system call on stderr,
#   NAME(ARGS) = RESULT
# where failures read `= -1 ENAME (strerror text)` and calls that do not return read
# `= ?`. Spaces before " = " (strace pads to a column) and a "[pid N] " prefix are allowed.
# For each libc the script runs:
#   EMU --strace GUEST_DIR/LIBC/hello     and expects
#       write(1, "hello from the guest\n", 21) = 21      (any byte count)
#       exit_group(0) = ?
#     and stdout exactly as natively (the trace must not go to stdout).
#   EMU --strace GUEST_DIR/LIBC/files     and expects
#       openat(AT_FDCWD, "/nope/missing-file", O_RDONLY) = -1 ENOENT (No such file or directory)
#         (musl passes O_LARGEFILE too: "O_RDONLY|O_LARGEFILE" is accepted)
#       read(999, <anything>) = -1 EBADF (Bad file descriptor)
#       exit_group(0) = ?
# Ends with "N passed, M failed"; exits 1 if anything failed.
set -euo pipefail

# shellcheck source=tests/guest/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 EMU GUEST_DIR" >&2; exit 2; }
emu=$(resolve_emu "$1")
guest_dir=$2
require_guest_dir "$guest_dir"
timeout_s=${COMPARE_TIMEOUT:-60}

work=$(mktemp -d "${TMPDIR:-/tmp}/emu-strace.XXXXXX")
trap 'rm -rf "$work"' EXIT

pre='^(\[pid +[0-9]+\] )?'

# expect_line NAME FILE REGEX: FILE must have a line matching the extended REGEX.
expect_line() {
  if grep -qE "$3" "$2"; then
    pass "$1"
  else
    fail "$1" "no stderr line matches /$3/"
    echo "  --- emu stderr (first 25 lines):"
    head -n 25 "$2" | sed 's/^/  /'
  fi
}

# run_traced LIBC PROGRAM ARGS...: runs natively and under EMU --strace; sets rc variables.
run_traced() {
  local libc=$1 prog=$2
  shift 2
  local bin="$guest_dir/$libc/$prog"
  [ -x "$bin" ] || die "$bin is missing (guest/build.sh $guest_dir)"
  native_rc=0
  timeout -k 5 "$timeout_s" "$bin" "$@" < /dev/null > "$work/native.out" 2> /dev/null || native_rc=$?
  emu_rc=0
  { timeout -k 5 "$timeout_s" "$emu" --strace "$bin" "$@" \
      < /dev/null > "$work/emu.out" 2> "$work/emu.err" || emu_rc=$?; } 2> /dev/null
}

# expect_same_run NAME: exit status 0 and stdout as natively.
expect_same_run() {
  if [ "$emu_rc" -ne "$native_rc" ]; then
    fail "$1" "exit status native $native_rc, emu $emu_rc"
  elif ! cmp -s "$work/native.out" "$work/emu.out"; then
    fail "$1" "stdout differs from the native run"
    diff -u --label native --label emu "$work/native.out" "$work/emu.out" | head -n 20 | sed 's/^/  /' || true
  else
    pass "$1"
  fi
}

for libc in musl glibc; do
  run_traced "$libc" hello
  expect_same_run "strace/$libc/hello-stdout"
  expect_line "strace/$libc/hello-write" "$work/emu.err" "${pre}write\\(1, \"hello.*\\) += [0-9]+\$"
  expect_line "strace/$libc/hello-exit_group" "$work/emu.err" "${pre}exit_group\\(0\\) += \\?\$"

  run_traced "$libc" files
  expect_same_run "strace/$libc/files-stdout"
  expect_line "strace/$libc/files-openat-enoent" "$work/emu.err" \
    "${pre}openat\\(AT_FDCWD, \"/nope/missing-file\", O_RDONLY(\\|O_LARGEFILE)?\\) += -1 ENOENT \\(No such file or directory\\)\$"
  expect_line "strace/$libc/files-read-ebadf" "$work/emu.err" \
    "${pre}read\\(999, .*\\) += -1 EBADF \\(Bad file descriptor\\)\$"
  expect_line "strace/$libc/files-exit_group" "$work/emu.err" "${pre}exit_group\\(0\\) += \\?\$"
done

summary
