#!/usr/bin/env bash
# compare.sh: runs every guest program and some busybox applets natively and under an
# emulator, and compares stdout and exit status exactly.
#
# Usage: tests/guest/compare.sh EMU GUEST_DIR
#   EMU        the emulator binary, run as `EMU PROGRAM ARGS...` (e.g. build/bin/emu, or
#              tests/guest/fake-emu to check this script natively)
#   GUEST_DIR  holds musl/ and glibc/ from guest/build.sh (e.g. build/guest)
# Environment:
#   COMPARE_TIMEOUT  seconds per run (default 60)
#   COMPARE_FILTER   extended regex: only run tests whose name matches (e.g. 'musl/|echo')
#   BUSYBOX          busybox binary (default /bin/busybox; the busybox tests are skipped
#                    with a note if it is missing)
#
# Test names are LIBC/PROGRAM for guests and busybox/APPLET for busybox. guest/bench_*
# programs are benchmarks and are not compared; guest/poison* would retire host RAM and run
# under emu only (tests/guest/poison_check.sh). The guest `segv` must die of SIGSEGV:
# exit status 139 both natively (through a shell) and under EMU, and EMU must print
# exactly one line mentioning SIGSEGV (or "Segmentation fault") on stderr.
#
# Prints PASS NAME / FAIL NAME (with a diff and EMU's stderr) for each test, then
# "N passed, M failed"; exits 1 if any test failed, 2 on a usage or setup error.
set -euo pipefail

# shellcheck source=tests/guest/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { echo "usage: $0 EMU GUEST_DIR" >&2; exit 2; }

[ $# -eq 2 ] || usage
emu=$(resolve_emu "$1")
guest_dir=$2
timeout_s=${COMPARE_TIMEOUT:-60}
filter=${COMPARE_FILTER:-}
busybox=${BUSYBOX:-/bin/busybox}
require_guest_dir "$guest_dir"
command -v timeout > /dev/null || die "timeout (coreutils) is required"

work=$(mktemp -d "${TMPDIR:-/tmp}/emu-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Fixtures, read (never written) by the guests: a text file and a small directory tree.
fixtures="$work/fixtures"
mkdir -p "$fixtures/dir/subdir"
for i in $(seq 1 400); do
  printf 'line %d: the quick brown fox jumps over the lazy dog %d\n' "$i" $((i * i % 97))
done > "$fixtures/data.txt"
printf 'alpha\n' > "$fixtures/dir/a.txt"
printf 'bravo bravo\n' > "$fixtures/dir/b.txt"
printf 'charlie\n%.0s' $(seq 1 300) > "$fixtures/dir/c_long.txt"
: > "$fixtures/dir/empty"
for i in $(seq 1 12); do printf '%d\n' "$i" > "$fixtures/dir/num_$i"; done
printf 'nested\n' > "$fixtures/dir/subdir/inner.txt"
ln -s a.txt "$fixtures/dir/link"
data="$fixtures/data.txt"
dir="$fixtures/dir"
# A host directory the guests may write (host_file_shared), bound :rw under emu.
rw_dir="$work/rw"
mkdir -p "$rw_dir"

# Environment that args_env prints.
export EMU_TEST_A=alpha
export EMU_TEST_B="two words = ok"
unset EMU_TEST_UNSET

selected() { [ -z "$filter" ] || [[ $1 =~ $filter ]]; }

# show_details: the stdout diff and the start of EMU's stderr.
show_details() {
  if ! cmp -s "$work/native.out" "$work/emu.out"; then
    echo "  --- stdout diff (native vs emu):"
    diff -u --label native --label emu "$work/native.out" "$work/emu.out" | head -n 40 | sed 's/^/  /' || true
  fi
  if [ -s "$work/emu.err" ]; then
    echo "  --- emu stderr (first 15 lines):"
    head -n 15 "$work/emu.err" | sed 's/^/  /'
  fi
}

# run_native CMD...: exit status in $native_rc. The command runs through an inner bash so that
# a death by signal shows as 128+N and bash's "Segmentation fault" report stays off our stderr.
run_native() {
  native_rc=0
  bash -c '"$@"; exit $?' native timeout -k 5 "$timeout_s" "$@" \
    < /dev/null > "$work/native.out" 2> "$work/native.err" || native_rc=$?
}

# run_emu CMD...: exit status in $emu_rc. If EMU itself dies of a signal, the braces keep
# bash's job report off our stderr (the status still shows it). The guest's /tmp is its own
# tmpfs, so the fixtures (under the host's /tmp) are bound in, read-only, where they are.
run_emu() {
  emu_rc=0
  { timeout -k 5 "$timeout_s" "$emu" --bind "$fixtures:$fixtures" ${emu_args[@]+"${emu_args[@]}"} "$@" \
      < /dev/null > "$work/emu.out" 2> "$work/emu.err" || emu_rc=$?; } 2> /dev/null
}

# check NAME MODE CMD...
#   MODE exact:  stdout and exit status must match
#   MODE status: only the exit status must match (and must be 0 natively)
#   MODE firstline: the exit status and the first line of stdout must match (0 natively)
#   MODE segv:   exit status must match and be 139; EMU prints one SIGSEGV line on stderr
check() {
  local name=$1 mode=$2
  shift 2
  selected "$name" || return 0
  run_native "$@"
  run_emu "$@"
  if [ "$emu_rc" -eq 124 ] || [ "$emu_rc" -eq 137 ]; then
    fail "$name" "emu timed out after ${timeout_s}s (status $emu_rc)"
    show_details
    return 0
  fi
  if [ "$native_rc" -eq 124 ]; then
    fail "$name" "the native run timed out after ${timeout_s}s"
    return 0
  fi
  local problems=()
  [ "$native_rc" -eq "$emu_rc" ] || problems+=("exit status native $native_rc, emu $emu_rc")
  if [ "$mode" = firstline ]; then
    [ "$(head -n 1 "$work/native.out")" = "$(head -n 1 "$work/emu.out")" ] ||
      problems+=("first line of stdout differs")
  elif [ "$mode" != status ] && ! cmp -s "$work/native.out" "$work/emu.out"; then
    problems+=("stdout differs")
  fi
  if { [ "$mode" = status ] || [ "$mode" = firstline ]; } && [ "$native_rc" -ne 0 ]; then
    problems+=("native run exited $native_rc")
  fi
  if [ "$mode" = segv ]; then
    [ "$native_rc" -eq 139 ] || problems+=("native exit status $native_rc, expected 139")
    local lines
    lines=$(grep -ciE 'SIGSEGV|segmentation fault' "$work/emu.err" || true)
    [ "$lines" -eq 1 ] || problems+=("emu printed $lines SIGSEGV lines on stderr, expected 1")
  fi
  report "$name" ${problems[@]+"${problems[@]}"}
}

# Arguments for each guest program; programs not listed run without arguments. emu_args:
# emu options for it (credentials runs as whoever runs the native side, root or not).
emu_args=()
guest_args() {
  emu_args=()
  case $1 in
    credentials) args=(); emu_args=(--uid "$(id -u)" --gid "$(id -g)") ;;
    hello) args=(world "two words" "" "-x") ;;
    args_env) args=(one "two three" "--flag=4") ;;
    files) args=("$data" "$dir") ;;
    procfs) args=(a "b c") ;;
    host_file_shared) args=("$rw_dir"); emu_args=(--bind "$rw_dir:$rw_dir:rw") ;;
    *) args=() ;;
  esac
}

for libc in musl glibc glibc-pie; do
  shopt -s nullglob
  programs=("$guest_dir/$libc"/*)
  shopt -u nullglob
  [ ${#programs[@]} -gt 0 ] || die "no guest programs in $guest_dir/$libc"
  for prog in "${programs[@]}"; do
    name=$(basename "$prog")
    if [ ! -f "$prog" ] || [ ! -x "$prog" ]; then continue; fi
    # Emu-only guests (their own suites): pressure squeezes RAM, ksm_merge and thp_shmem
    # rewrite machine-wide settings, poison* need memory-failure support the host does not
    # offer, kpageflags needs root and debugfs and would split the host's huge pages.
    case $name in bench_* | crash | syscall_fuzz | mm_fuzz | pressure | ksm_merge | thp_shmem | poison* | kpageflags | *.tmp.*) continue ;; esac
    guest_args "$name"
    if [ "$name" = segv ]; then
      check "$libc/$name" segv "$prog" ${args[@]+"${args[@]}"}
    else
      check "$libc/$name" exact "$prog" ${args[@]+"${args[@]}"}
    fi
  done
done

# Host stdin from a pipe that a host process writes slowly, while other guest threads or
# processes keep running: each read waits in the guest (the scheduler looks at the host fd
# now and then), so neither the reader nor the others stop. Natively and under EMU, the
# same lines at the same pace.
slow_lines() {
  sleep 0.3
  for i in 1 2 3 4; do
    printf 'line %d of the pipe\n' "$i"
    sleep 0.3
  done
}

# check_piped NAME CMD...: as `check NAME exact CMD...`, with stdin from slow_lines.
check_piped() {
  local name=$1
  shift
  selected "$name" || return 0
  native_rc=0
  slow_lines | bash -c '"$@"; exit $?' native timeout -k 5 "$timeout_s" "$@" \
    > "$work/native.out" 2> "$work/native.err" || native_rc=$?
  emu_rc=0
  { slow_lines | timeout -k 5 "$timeout_s" "$emu" "$@" \
      > "$work/emu.out" 2> "$work/emu.err" || emu_rc=$?; } 2> /dev/null
  local problems=()
  if [ "$emu_rc" -eq 124 ] || [ "$emu_rc" -eq 137 ]; then
    problems+=("emu timed out after ${timeout_s}s (status $emu_rc)")
  else
    [ "$native_rc" -eq "$emu_rc" ] || problems+=("exit status native $native_rc, emu $emu_rc")
    cmp -s "$work/native.out" "$work/emu.out" || problems+=("stdout differs")
    grep -q 'line 4 of the pipe' "$work/native.out" || problems+=("the native run missed lines")
  fi
  report "$name" ${problems[@]+"${problems[@]}"}
}

for libc in musl glibc; do
  [ -x "$guest_dir/$libc/stdin_threads" ] &&
    check_piped "$libc/stdin_threads-pipe" "$guest_dir/$libc/stdin_threads"
done
if [ -x "$busybox" ]; then
  # A background job spins until the reader is done (it looks for a file the shell creates
  # after the last line), while the shell's `read` waits for each line; what the job says
  # is shown once both are done, so the order is fixed.
  # shellcheck disable=SC2016 # expanded by the guest's shell
  check_piped busybox/sh-read-pipe "$busybox" sh -c '
    out=/tmp/emu-bg-$$ flag=/tmp/emu-flag-$$
    (while [ ! -e $flag ]; do :; done; echo "the background job saw the reader finish" > $out) &
    n=0
    while read -r l; do n=$((n + 1)); echo "read: $l"; done
    : > $flag
    wait
    cat $out
    rm -f $out $flag
    echo "lines: $n"'
fi

if [ -x "$busybox" ]; then
  bb=$busybox
  check busybox/echo exact "$bb" echo a b c
  check busybox/seq exact "$bb" seq 1 100
  check busybox/sha256sum exact "$bb" sha256sum "$data"
  check busybox/md5sum exact "$bb" md5sum "$data" "$dir/a.txt"
  check busybox/cat exact "$bb" cat "$data"
  check busybox/ls exact "$bb" ls "$dir"
  check busybox/ls-1a exact "$bb" ls -1a "$dir/subdir"
  check busybox/wc exact "$bb" wc "$data"
  check busybox/head exact "$bb" head -n 5 "$data"
  check busybox/tail exact "$bb" tail -n 3 "$data"
  check busybox/sort exact "$bb" sort -r "$dir/c_long.txt" "$dir/b.txt"
  check busybox/grep exact "$bb" grep -c fox "$data"
  check busybox/uname-s exact "$bb" uname -s
  check busybox/uname-m exact "$bb" uname -m
  check busybox/uname-a status "$bb" uname -a
  check busybox/basename exact "$bb" basename /a/b/c
  check busybox/printf exact "$bb" printf '%s=%d [%5.2f] %x\n' answer 42 3.14159 255
  check busybox/expr exact "$bb" expr 2 + 3
  check busybox/true exact "$bb" true
  check busybox/false exact "$bb" false
  # shellcheck disable=SC2016 # expanded by the guest's shell
  check busybox/sh-arith exact "$bb" sh -c 'x=6; echo "$((x * 7))"; exit 3'
  # Applets that write, on /tmp: natively the host's (a fresh name, removed after each
  # check), under emu its own tmpfs. emu runs one process per check (no fork yet), so each
  # check is one applet, or sh builtins that write and read back.
  u="/tmp/emu-bb-$$"
  bb_write() {
    check "$@"
    rm -rf "$u" "$u".*
  }
  bb_write busybox/mkdir-p exact "$bb" mkdir -p "$u/a/b/c"
  bb_write busybox/mkdir-exists exact "$bb" mkdir /tmp
  bb_write busybox/touch exact "$bb" touch "$u.t"
  bb_write busybox/cp exact "$bb" cp "$data" "$u.cp"
  bb_write busybox/mv-missing exact "$bb" mv "$u.none" "$u.mv"
  bb_write busybox/rm-r-missing exact "$bb" rm -r "$u"
  bb_write busybox/ln-s exact "$bb" ln -sv target "$u.ln"
  bb_write busybox/sort-o exact "$bb" sort -o "$u.sorted" "$dir/c_long.txt" "$dir/b.txt"
  # shellcheck disable=SC2016 # expanded by the guest's shell
  # (The file is read back by sourcing it: busybox's `read` needs poll, not emulated yet.)
  bb_write busybox/sh-write exact "$bb" sh -c 'echo "echo one" > "$1"; echo "echo two" >> "$1"
    . "$1"; cd /tmp && pwd; : > "$1"; . "$1"; echo "after truncation"' sh "$u.sh"
  # Readers of /proc: their numbers differ from the host's, their headers must not.
  check busybox/free firstline "$bb" free
  check busybox/ps firstline "$bb" ps
  check busybox/df firstline "$bb" df /
  check busybox/cat-maps status "$bb" cat /proc/self/maps
else
  echo "NOTE: $busybox not found: busybox tests skipped" >&2
fi

summary
