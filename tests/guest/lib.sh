# shellcheck shell=bash
# Shared helpers for tests/guest/*.sh (sourced, not run).
# Provides: die, resolve_emu, require_guest_dir, emu_guest_args, pass, fail, report, summary.
# Counters: passed, failed.

passed=0
failed=0

die() { echo "$(basename "$0"): error: $*" >&2; exit 2; }

# resolve_emu EMU: prints EMU as an absolute path, or dies with a clear message.
# A bare command name is looked up in PATH (e.g. qemu-x86_64-static).
resolve_emu() {
  local emu=$1
  if [[ $emu != */* ]] && command -v "$emu" > /dev/null; then
    emu=$(command -v "$emu")
  fi
  [ -e "$emu" ] ||
    die "emulator '$emu' does not exist (build it: cmake --build build; or use tests/guest/fake-emu)"
  if [ ! -f "$emu" ] || [ ! -x "$emu" ]; then die "emulator '$emu' is not an executable file"; fi
  case $emu in /*) ;; *) emu="$PWD/$emu" ;; esac
  printf '%s\n' "$emu"
}

# require_guest_dir DIR: DIR must hold musl/ and glibc/ from guest/build.sh.
require_guest_dir() {
  local libc
  for libc in musl glibc; do
    [ -d "$1/$libc" ] || die "'$1/$libc' is missing (build the guests: guest/build.sh $1)"
  done
}

# emu_guest_args "$@": a script's usual two arguments, EMU and GUEST_DIR, checked and set
# as $emu (absolute) and $guest_dir.
emu_guest_args() {
  [ $# -eq 2 ] || { echo "usage: $0 EMU GUEST_DIR" >&2; exit 2; }
  emu=$(resolve_emu "$1")
  guest_dir=$2
  require_guest_dir "$guest_dir"
}

pass() { echo "PASS $1"; passed=$((passed + 1)); }

# fail NAME WHY
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# report NAME [PROBLEM...]: PASS when nothing was found wrong, else FAIL with every problem
# and the script's own show_details.
report() {
  local name=$1
  shift
  if [ $# -eq 0 ]; then
    pass "$name"
    return
  fi
  local why
  why=$(printf '%s; ' "$@")
  fail "$name" "${why%; }"
  show_details
}

# summary: the last line of every script; returns non-zero if anything failed.
summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
