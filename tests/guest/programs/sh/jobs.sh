# Background jobs: & and wait, statuses of waited jobs, many jobs at once, a killed job.
dir=$(mktemp -d)
sleep 0.2 & slow=$!
(exit 5) & fast=$!
wait $fast; echo "wait fast: $?"
wait $slow; echo "wait slow: $?"
for i in 1 2 3 4 5 6 7 8; do (echo "job $i" > "$dir/j$i") & done
wait
cat "$dir"/j*
sleep 10 & victim=$!
kill $victim
wait $victim; echo "killed job: $?"
sleep 10 & victim=$!
kill -9 $victim
wait $victim; echo "SIGKILLed job: $?"
( sleep 0.1; exit 2 ) & a=$!
( exit 3 ) & b=$!
wait $a $b; echo "wait two: $?"
n=0
for i in $(seq 1 20); do
  ( : ) &
  n=$((n + 1))
done
wait; echo "waited for $n quick jobs"
wait; echo "wait with no jobs: $?"
rm -r "$dir"
exit 0
