#!/usr/bin/env bash
# trace_check.sh: checks emu's page-fault trace (--trace=fault) in both formats.
#
# Usage: tests/guest/trace_check.sh EMU GUEST_DIR     (GUEST_DIR from guest/build.sh)
#
# Runs, for each libc:
#   EMU --trace=fault --trace-file T --trace-format json GUEST_DIR/LIBC/demo
#   EMU --trace=fault --trace-file T --trace-format text GUEST_DIR/LIBC/demo
# and expects:
#   - exit status 0 and stdout identical to the native demo (the trace goes to T only);
#   - json: T is JSON Lines, one object per line; every non-empty line parses as a JSON
#     object (checked with python3), and at least MIN_EVENTS lines carry all of these keys:
#       "thread"      guest thread id (number)
#       "rip"         guest instruction pointer of the faulting instruction
#       "insn"        that instruction, disassembled (string)
#       "addr"        the faulting virtual address
#       "access"      kind of access (e.g. "read", "write", "exec")
#       "walk"        the page-table walk that failed (string or array, emulator's choice)
#       "resolution"  how the kernel resolved it (e.g. zero page, new anonymous page, SIGSEGV)
#       "ns"          time spent handling the fault, in nanoseconds (number)
#     Keys are found with grep as `"key":` (whitespace allowed before the colon).
#   - text: T has at least MIN_EVENTS non-empty lines (one per fault; free format).
# MIN_EVENTS is 64: the demo touches 64 pages of fresh or dropped anonymous memory
# (16 zero-page reads, 16 writes, 16 re-reads after MADV_DONTNEED, 16 writes), each of
# which must fault; start-up faults come on top.
# Ends with "N passed, M failed"; exits 1 if anything failed.
set -euo pipefail

# shellcheck source=tests/guest/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 EMU GUEST_DIR" >&2; exit 2; }
emu=$(resolve_emu "$1")
guest_dir=$2
require_guest_dir "$guest_dir"
timeout_s=${COMPARE_TIMEOUT:-60}
min_events=64
keys=(thread rip insn addr access walk resolution ns)

work=$(mktemp -d "${TMPDIR:-/tmp}/emu-trace.XXXXXX")
trap 'rm -rf "$work"' EXIT

# run_demo LIBC FORMAT: runs the demo natively and traced; sets native_rc and emu_rc.
run_demo() {
  local bin="$guest_dir/$1/demo"
  [ -x "$bin" ] || die "$bin is missing (guest/build.sh $guest_dir)"
  native_rc=0
  timeout -k 5 "$timeout_s" "$bin" < /dev/null > "$work/native.out" 2> /dev/null || native_rc=$?
  rm -f "$work/trace"
  emu_rc=0
  { timeout -k 5 "$timeout_s" "$emu" --trace=fault --trace-file "$work/trace" --trace-format "$2" \
      "$bin" < /dev/null > "$work/emu.out" 2> "$work/emu.err" || emu_rc=$?; } 2> /dev/null
}

expect_same_run() {
  if [ "$emu_rc" -ne 0 ] || [ "$native_rc" -ne 0 ]; then
    fail "$1" "exit status native $native_rc, emu $emu_rc"
    head -n 10 "$work/emu.err" | sed 's/^/  /'
  elif ! cmp -s "$work/native.out" "$work/emu.out"; then
    fail "$1" "stdout differs from the native demo"
    diff -u --label native --label emu "$work/native.out" "$work/emu.out" | head -n 20 | sed 's/^/  /' || true
  else
    pass "$1"
  fi
}

show_trace_head() {
  if [ -f "$work/trace" ]; then
    echo "  --- trace file (first 5 lines):"
    head -n 5 "$work/trace" | cut -c1-300 | sed 's/^/  /'
  else
    echo "  --- no trace file was written"
  fi
}

for libc in musl glibc; do
  run_demo "$libc" json
  expect_same_run "trace/$libc/json-run"

  name="trace/$libc/json-keys"
  if [ ! -s "$work/trace" ]; then
    fail "$name" "trace file missing or empty"
  else
    # Lines that carry every key.
    cp "$work/trace" "$work/with_keys"
    missing=()
    for key in "${keys[@]}"; do
      grep -q "\"$key\"[[:space:]]*:" "$work/trace" || missing+=("$key")
      grep "\"$key\"[[:space:]]*:" "$work/with_keys" > "$work/with_keys.next" || true
      mv "$work/with_keys.next" "$work/with_keys"
    done
    complete=$(wc -l < "$work/with_keys")
    if [ ${#missing[@]} -gt 0 ]; then
      fail "$name" "keys never seen: ${missing[*]}"
      show_trace_head
    elif [ "$complete" -lt "$min_events" ]; then
      fail "$name" "only $complete lines carry all keys, expected at least $min_events"
      show_trace_head
    else
      pass "$name"
    fi
  fi

  name="trace/$libc/json-valid"
  if [ ! -s "$work/trace" ]; then
    fail "$name" "trace file missing or empty"
  elif ! command -v python3 > /dev/null; then
    pass "$name (not checked: no python3)"
  elif python3 - "$work/trace" > "$work/json.err" 2>&1 <<'PY'; then
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    for number, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as e:
            sys.exit(f"line {number}: not JSON: {e}: {line[:200]!r}")
        if not isinstance(value, dict):
            sys.exit(f"line {number}: not a JSON object: {line[:200]!r}")
PY
    pass "$name"
  else
    fail "$name" "$(head -n 3 "$work/json.err")"
  fi

  run_demo "$libc" text
  expect_same_run "trace/$libc/text-run"
  name="trace/$libc/text-lines"
  if [ ! -f "$work/trace" ]; then
    fail "$name" "trace file missing"
  else
    lines=$(grep -c . "$work/trace" || true)
    if [ "$lines" -ge "$min_events" ]; then
      pass "$name"
    else
      fail "$name" "only $lines lines, expected at least $min_events"
      show_trace_head
    fi
  fi

  # --trace=madvise,tlb: the demo's madvise calls, in order, with their results and the
  # pages each acted on, and a TLB flush for the range MADV_DONTNEED unmapped.
  name="trace/$libc/madvise-events"
  bin="$guest_dir/$libc/demo"
  rm -f "$work/trace"
  if ! timeout -k 5 "$timeout_s" "$emu" --trace=madvise,tlb --trace-file "$work/trace" "$bin" \
      < /dev/null > /dev/null 2> "$work/emu.err"; then
    fail "$name" "emu exited non-zero"
  else
    got=$(grep '^madvise ' "$work/trace" | sed -E 's/ start=[^ ]+ end=[^ ]+//; s/ effect=.*//')
    want=$(printf '%s\n' \
      "madvise advice=MADV_NOHUGEPAGE result=0 pages=0" \
      "madvise advice=MADV_DONTNEED result=0 pages=16" \
      "madvise advice=MADV_WILLNEED result=0 pages=0" \
      "madvise advice=MADV_COLD result=0 pages=16" \
      "madvise advice=MADV_PAGEOUT result=0 pages=0")
    dontneed=$(grep '^madvise advice=MADV_DONTNEED' "$work/trace" | grep -oE 'start=[^ ]+ end=[^ ]+')
    if [ "$got" != "$want" ]; then
      fail "$name" "madvise events differ"
      diff <(echo "$want") <(echo "$got") | sed 's/^/  /'
    elif ! grep -qxF "tlb-flush reason=unmap $dontneed" "$work/trace"; then
      fail "$name" "no tlb-flush for the DONTNEED range ($dontneed)"
    else
      pass "$name"
    fi
  fi
done

summary
