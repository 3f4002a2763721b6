# Traps: a signal the shell sends itself, one from a background job that interrupts wait,
# ignored signals, a child shell's own trap and exit status, and the EXIT trap.
trap 'echo got USR1' USR1
kill -USR1 $$
echo "after USR1"
trap 'echo got USR2' USR2
( sleep 0.2; kill -USR2 $$ ) &
sleeper=$!
wait $sleeper
echo "wait returned $?"
wait $sleeper 2>/dev/null
trap '' INT
kill -INT $$
echo "INT ignored"
trap - INT
$SHELL_UNDER_TEST -c 'trap "echo inner TERM; exit 9" TERM; kill -TERM $$; echo not reached'
echo "inner shell status $?"
$SHELL_UNDER_TEST -c 'kill -TERM $$; echo not reached'
echo "inner shell killed by TERM: $?"
trap 'echo EXIT trap ran' EXIT
exit 6
