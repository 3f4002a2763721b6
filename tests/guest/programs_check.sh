#!/usr/bin/env bash
# programs_check.sh: real programs with processes and threads, run natively and under an
# emulator, their stdout and exit status compared exactly.
#
# Usage: tests/guest/programs_check.sh EMU OUT
#   EMU  the emulator binary, run as `EMU PROGRAM ARGS...` (tests/guest/fake-emu checks this
#        script natively)
#   OUT  where the programs are built (e.g. build/programs); rebuilt when a source is newer
# Environment:
#   PROGRAMS_TIMEOUT  seconds per run (default 180)
#   PROGRAMS_FILTER   extended regex: only the tests whose name matches (e.g. 'go|rust')
#
# The programs, from tests/guest/programs/:
#   sh/SHELL/NAME  sh/NAME.sh run by `busybox sh` (busybox-static) and by bash-static: pipes,
#                  subshells, $(...), & and wait, read loops, here-documents, traps, set -e.
#                  Only static programs run under emu, so PATH starts with links to busybox
#                  for each of its applets (OUT/bin); /usr/bin and /bin come after, for the
#                  harness itself.
#   go/goroutines  goroutines.go, Debian's golang-go with CGO_ENABLED=0 (static)
#   rust/threads   threads.rs, Debian's rustc with -C target-feature=+crt-static (static-pie)
#   c++/threads    threads.cpp, g++ -static -pthread
# scripts/bootstrap installs the toolchains (golang-go, rustc, g++). Debian's own rustc
# (/usr/bin/rustc) is used even when another one comes first on PATH.
#
# Prints PASS NAME / FAIL NAME (with the stdout diff and EMU's stderr) for each test, then
# "N passed, M failed"; exits 1 if any test failed, 2 on a usage or setup error.
set -euo pipefail

# shellcheck source=tests/guest/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 EMU OUT" >&2; exit 2; }
emu=$(resolve_emu "$1")
mkdir -p "$2"
out=$(cd "$2" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/programs" && pwd)
timeout_s=${PROGRAMS_TIMEOUT:-180}
filter=${PROGRAMS_FILTER:-}
busybox=/bin/busybox
bash_static=/bin/bash-static
command -v timeout > /dev/null || die "timeout (coreutils) is required"

work=$(mktemp -d "${TMPDIR:-/tmp}/emu-programs.XXXXXX")
trap 'rm -rf "$work"' EXIT

selected() { [ -z "$filter" ] || [[ $1 =~ $filter ]]; }

# The guest's PATH: every busybox applet as a link to busybox.
bindir="$out/bin"
if [ -x "$busybox" ] && [ ! -e "$bindir/.complete" ]; then
  rm -rf "$bindir"
  mkdir -p "$bindir"
  for applet in $("$busybox" --list); do ln -s "$busybox" "$bindir/$applet"; done
  touch "$bindir/.complete"
fi

show_details() {
  if ! cmp -s "$work/native.out" "$work/emu.out"; then
    echo "  --- stdout diff (native vs emu):"
    diff -u --label native --label emu "$work/native.out" "$work/emu.out" | head -n 40 |
      sed 's/^/  /' || true
  fi
  if [ -s "$work/emu.err" ]; then
    echo "  --- emu stderr (last 15 lines):"
    tail -n 15 "$work/emu.err" | sed 's/^/  /'
  fi
}

# check NAME CMD...: runs CMD natively and under EMU with the same small environment and
# compares stdout and exit status. The native run goes through an inner bash so that a death
# by signal shows as 128+N, as emu reports it.
check() {
  local name=$1
  shift
  local env_vars=(PATH="$bindir:/usr/bin:/bin" HOME=/ LC_ALL=C SHELL_UNDER_TEST="${shell_under_test:-}")
  local native_rc=0 emu_rc=0
  env -i "${env_vars[@]}" bash -c '"$@"; exit $?' native timeout -k 5 "$timeout_s" "$@" \
    < /dev/null > "$work/native.out" 2> "$work/native.err" || native_rc=$?
  { env -i "${env_vars[@]}" timeout -k 5 "$timeout_s" "$emu" "$@" \
      < /dev/null > "$work/emu.out" 2> "$work/emu.err" || emu_rc=$?; } 2> /dev/null
  local problems=()
  if [ "$native_rc" -eq 124 ]; then
    problems+=("the native run timed out after ${timeout_s}s")
  elif [ "$emu_rc" -eq 124 ] || [ "$emu_rc" -eq 137 ]; then
    problems+=("emu timed out after ${timeout_s}s (status $emu_rc)")
  else
    [ "$native_rc" -eq "$emu_rc" ] || problems+=("exit status native $native_rc, emu $emu_rc")
    cmp -s "$work/native.out" "$work/emu.out" || problems+=("stdout differs")
    [ -s "$work/native.out" ] || problems+=("the native run printed nothing")
  fi
  report "$name" ${problems[@]+"${problems[@]}"}
}

# build NAME BINARY SOURCE CMD...: runs CMD (which writes BINARY) unless BINARY is newer than
# SOURCE; a failure is the test NAME's failure, with the compiler's messages.
build() {
  local name=$1 bin=$2 source=$3
  shift 3
  [ "$bin" -nt "$source" ] && [ "$bin" -nt "${BASH_SOURCE[0]}" ] && return 0
  echo "  BUILD $name" >&2
  if ! "$@" > "$work/build.log" 2>&1; then
    fail "$name" "building it failed: $*"
    sed 's/^/  /' "$work/build.log" | tail -n 20
    return 1
  fi
  return 0
}

# Shell scripts, under busybox sh and bash-static.
shells=()
if [ -x "$busybox" ]; then shells+=(busybox); else fail "sh/busybox" "$busybox is missing"; fi
if [ -x "$bash_static" ]; then shells+=(bash); else fail "sh/bash" "$bash_static is missing"; fi
for shell in ${shells[@]+"${shells[@]}"}; do
  case $shell in
    busybox) shell_cmd=("$busybox" sh) ;;
    bash) shell_cmd=("$bash_static") ;;
  esac
  shell_under_test="${shell_cmd[*]}"
  for script in "$src"/sh/*.sh; do
    name="sh/$shell/$(basename "$script" .sh)"
    selected "$name" || continue
    check "$name" "${shell_cmd[@]}" "$script"
  done
done
shell_under_test=""

# Go: the toolchain's caches live under OUT, so nothing is written to $HOME.
if selected go/goroutines; then
  if [ ! -x /usr/bin/go ]; then
    fail go/goroutines "/usr/bin/go is missing (scripts/bootstrap installs golang-go)"
  elif build go/goroutines "$out/goroutines" "$src/goroutines.go" \
      env CGO_ENABLED=0 GO111MODULE=off GOCACHE="$out/go-cache" GOPATH="$out/go-path" \
      GOFLAGS= /usr/bin/go build -o "$out/goroutines" "$src/goroutines.go"; then
    check go/goroutines "$out/goroutines"
  fi
fi

if selected rust/threads; then
  if [ ! -x /usr/bin/rustc ]; then
    fail rust/threads "/usr/bin/rustc is missing (scripts/bootstrap installs rustc)"
  elif build rust/threads "$out/threads_rs" "$src/threads.rs" \
      /usr/bin/rustc --edition 2021 -O -C target-feature=+crt-static -o "$out/threads_rs" \
      "$src/threads.rs"; then
    check rust/threads "$out/threads_rs"
  fi
fi

if selected c++/threads; then
  if build c++/threads "$out/threads_cpp" "$src/threads.cpp" \
      g++ -std=c++20 -O2 -Wall -Wextra -static -pthread -o "$out/threads_cpp" "$src/threads.cpp"; then
    check c++/threads "$out/threads_cpp"
  fi
fi

summary
