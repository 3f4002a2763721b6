# Pipelines: data through several processes, more than a pipe buffer, and the exit status of
# a pipeline (the last command's, or the rightmost failure's under pipefail).
seq 1 200 | grep 7 | sort -rn | head -n 5
echo "hello world" | tr a-z A-Z | sed 's/WORLD/THERE/'
seq 1 1000 | awk '{ s += $1 } END { print "sum", s }'
printf '%s\n' c b a b c c | sort | uniq -c
seq 1 5000 | cat | cat | cat | cat | wc -l
seq 1 100000 | tail -n 1
seq 1 30000 | md5sum
false | true; echo "false | true: $?"
true | false; echo "true | false: $?"
(exit 3) | (exit 4); echo "(exit 3) | (exit 4): $?"
set -o pipefail
(exit 3) | true; echo "pipefail (exit 3) | true: $?"
(exit 3) | (exit 4) | true; echo "pipefail 3 | 4 | true: $?"
true | true; echo "pipefail true | true: $?"
set +o pipefail
yes | head -n 3
echo "a pipe into a compound command:"
printf 'x\ny\n' | { read -r first; read -r second; echo "$second$first"; }
exit 11
