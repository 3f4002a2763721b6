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
#   EMU --strace GUEST_DIR/LIBC/crash killself     (kill(getpid(), SIGKILL)) and expects the
#     exit status as natively and
#       kill(PID, SIGKILL) = ?
#       +++ killed by SIGKILL +++
#   EMU --strace-file FILE GUEST_DIR/LIBC/trace_tasks     (fork + wait, fork + exec + wait,
#     a thread with a futex handoff) and expects stdout as natively, nothing on stderr, and
#     FILE in `strace -f -o FILE`'s form ("PID   line"). With each "<unfinished ...>" joined to
#     its "<... NAME resumed>", the clone, clone3, wait4, execve, exit and exit_group lines and
#     the "+++"/"---" lines of each thread must be exactly, in order:
#       100: clone(child_stack=NULL, flags=SIGCHLD) = 101
#            wait4(101, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 101
#            --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=101, si_uid=0,
#                si_status=3, si_utime=0, si_stime=0} ---
#            clone(child_stack=NULL, flags=SIGCHLD) = 102
#            wait4(102, [{WIFEXITED(s) && WEXITSTATUS(s) == 7}], 0, NULL) = 102
#            --- SIGCHLD {... si_pid=102 ... si_status=7 ...} ---
#            the thread's clone (musl) or clone3 (glibc), flags decoded, = 103
#            exit_group(0) = ?    +++ exited with 0 +++
#       101: exit_group(3) = ?    +++ exited with 3 +++
#       102: execve("BIN", ["BIN", "child"], 0x... /* 1 var */) = 0
#            exit_group(7) = ?    +++ exited with 7 +++
#       103: exit(0) = ?          +++ exited with 0 +++
#   EMU --strace GUEST_DIR/LIBC/trace_tasks and expects strace -f's "[pid   N] " lead exactly
#     while more than one thread lives: none on the first line and on the first clone, one
#     on the children's lines, and none again on the last two lines ("exit_group(0) = ?",
#     "+++ exited with 0 +++").
# Ends with "N passed, M failed"; exits 1 if anything failed.
set -euo pipefail

# shellcheck source=tests/guest/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

emu_guest_args "$@"
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
  # The braces keep bash's report of a death by signal (crash killself) off our stderr.
  { timeout -k 5 "$timeout_s" "$bin" "$@" < /dev/null > "$work/native.out" 2> /dev/null ||
      native_rc=$?; } 2> /dev/null
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

# check_trace_tasks LIBC: the process and thread lines of trace_tasks, in strace -f -o's form
# and in strace -f's.
check_trace_tasks() {
  local libc=$1 bin
  bin="$(cd "$guest_dir/$libc" && pwd)/trace_tasks"
  [ -x "$bin" ] || die "$bin is missing (guest/build.sh $guest_dir)"
  local name="strace/$libc/tasks-file"
  native_rc=0
  timeout -k 5 "$timeout_s" "$bin" < /dev/null > "$work/native.out" 2> /dev/null || native_rc=$?
  emu_rc=0
  rm -f "$work/st"
  { timeout -k 5 "$timeout_s" "$emu" --strace-file "$work/st" "$bin" \
      < /dev/null > "$work/emu.out" 2> "$work/emu.err" || emu_rc=$?; } 2> /dev/null
  expect_same_run "strace/$libc/tasks-stdout"
  if [ -s "$work/emu.err" ]; then
    fail "$name" "stderr is not empty: $(head -n 3 "$work/emu.err")"
  elif ! python3 - "$work/st" "$bin" "$libc" \
      > "$work/check.err" 2>&1 <<'PY'; then
import re, sys
path, binary, libc = sys.argv[1:]
# The thread's creation as each libc asks for it (musl adds CLONE_DETACHED, which strace
# has no name for).
flags = ("CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|"
         "CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID")
musl_re = (r"^clone\(child_stack=0x[0-9a-f]+, flags=" + re.escape(flags) +
           r"\|0x400000, parent_tid=\[103\], tls=0x[0-9a-f]+, child_tidptr=0x[0-9a-f]+\) = 103$")
glibc_re = (r"^clone3\(\{flags=" + re.escape(flags) + r", child_tid=0x[0-9a-f]+, "
            r"parent_tid=0x[0-9a-f]+, exit_signal=0, stack=0x[0-9a-f]+, stack_size=0x[0-9a-f]+, "
            r"tls=0x[0-9a-f]+\} => \{parent_tid=\[103\]\}, 88\) = 103$")
lines = {}
held = {}
for raw in open(path, encoding="utf-8").read().splitlines():
    m = re.match(r"^(\d+) +(.*)$", raw)
    if not m:
        sys.exit(f"line without a pid column: {raw!r}")
    pid, text = int(m.group(1)), m.group(2)
    if text.endswith(" <unfinished ...>"):
        held[pid] = text[: -len(" <unfinished ...>")]
        continue
    r = re.match(r"^<\.\.\. (\w+) resumed>(.*)$", text)
    if r:
        if pid not in held or not held[pid].startswith(r.group(1) + "("):
            sys.exit(f"resumed without its start: {raw!r}")
        text = held.pop(pid) + r.group(2)
    lines.setdefault(pid, []).append(text)
if held:
    sys.exit(f"never resumed: {held}")
keep = re.compile(r"^(clone3?|wait4|execve|exit|exit_group)\(|^(\+\+\+|---) ")
got = {pid: [l for l in ls if keep.match(l)] for pid, ls in lines.items()}
def chld(pid, status):
    return ("--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=%d, si_uid=0, "
            "si_status=%d, si_utime=0, si_stime=0} ---" % (pid, status))
want = {
    100: ["clone(child_stack=NULL, flags=SIGCHLD) = 101",
          "wait4(101, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 101", chld(101, 3),
          "clone(child_stack=NULL, flags=SIGCHLD) = 102",
          "wait4(102, [{WIFEXITED(s) && WEXITSTATUS(s) == 7}], 0, NULL) = 102", chld(102, 7),
          None, "exit_group(0) = ?", "+++ exited with 0 +++"],
    101: ["exit_group(3) = ?", "+++ exited with 3 +++"],
    102: [None, "exit_group(7) = ?", "+++ exited with 7 +++"],
    103: ["exit(0) = ?", "+++ exited with 0 +++"],
}
# argv strings are cut at strace's -s 32; the path argument is not.
shown = '"%s"' % binary if len(binary) <= 32 else '"%s"...' % binary[:32]
patterns = {(100, 6): musl_re if libc == "musl" else glibc_re,
            (102, 0): r'^execve\("%s", \[%s, "child"\], 0x[0-9a-f]+ /\* 1 var \*/\) = 0$'
                      % (re.escape(binary), re.escape(shown))}
if sorted(got) != sorted(want):
    sys.exit(f"threads {sorted(got)}, expected {sorted(want)}")
for pid, expected in want.items():
    if len(got[pid]) != len(expected):
        sys.exit(f"pid {pid}: {got[pid]}")
    for i, (line, exp) in enumerate(zip(got[pid], expected)):
        if exp is None:
            ok = re.match(patterns[(pid, i)], line)
        else:
            ok = line == exp
        if not ok:
            sys.exit(f"pid {pid} line {i}: {line!r}, expected {exp or patterns[(pid, i)]!r}")
PY
    fail "$name" "$(head -n 5 "$work/check.err")"
  else
    pass "$name"
  fi

  # On stderr: "[pid   N] " exactly while two threads live.
  name="strace/$libc/tasks-pid-prefix"
  emu_rc=0
  { timeout -k 5 "$timeout_s" "$emu" --strace "$bin" \
      < /dev/null > "$work/emu.out" 2> "$work/emu.err" || emu_rc=$?; } 2> /dev/null
  local first last2 want_last2
  first=$(head -n 1 "$work/emu.err")
  last2=$(tail -n 2 "$work/emu.err")
  want_last2=$(printf '%s\n' "exit_group(0) = ?" "+++ exited with 0 +++")
  if [ "$emu_rc" -ne 0 ]; then
    fail "$name" "exit status $emu_rc"
  elif [[ $first == \[pid* ]]; then
    fail "$name" "the first line has a pid lead: $first"
  elif ! grep -qxF "clone(child_stack=NULL, flags=SIGCHLD) = 101" "$work/emu.err"; then
    fail "$name" "no unprefixed first clone line"
  elif ! grep -qxF "[pid   101] exit_group(3) = ?" "$work/emu.err" ||
      ! grep -qxF "[pid   101] +++ exited with 3 +++" "$work/emu.err"; then
    fail "$name" "the child's lines lack \"[pid   101] \""
  elif ! grep -qE "^\[pid   103\] exit\(0\) = \?$" "$work/emu.err"; then
    fail "$name" "the thread's exit lacks \"[pid   103] \""
  elif [ "$last2" != "$want_last2" ]; then
    fail "$name" "last lines: $last2"
  else
    pass "$name"
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

  # A SIGKILL the process sends itself ends it before kill() returns to it: strace sees no
  # result, and the death follows at once.
  run_traced "$libc" crash killself
  expect_same_run "strace/$libc/killself-status"
  expect_line "strace/$libc/killself-kill" "$work/emu.err" "${pre}kill\\([0-9]+, SIGKILL\\) += \\?\$"
  after_kill=$(grep -A1 -E "${pre}kill\\(" "$work/emu.err" | tail -n 1)
  if [ "$after_kill" = "+++ killed by SIGKILL +++" ]; then
    pass "strace/$libc/killself-death"
  else
    fail "strace/$libc/killself-death" "the line after kill(): '$after_kill'"
  fi

  check_trace_tasks "$libc"
done

summary
