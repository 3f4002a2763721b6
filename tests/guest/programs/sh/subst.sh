# Command substitution and subshells: output captured, variables isolated, statuses kept.
outer=$(echo "inner $(echo nested $(echo deepest))")
echo "$outer"
old=`echo backticks`
echo "$old"
count=$(seq 1 250 | wc -l)
echo "lines: $count"
v=1
(v=2; echo "in subshell v=$v")
echo "after subshell v=$v"
( cd / && pwd )
x=$( (exit 7) ); echo "substitution status: $?"
y=$(echo out; exit 9); echo "y=$y status=$?"
echo "arithmetic: $(( $(echo 6) * $(echo 7) ))"
big=$(seq 1 20000)
echo "captured ${#big} characters"
{ echo one; echo two; } | tr a-z A-Z
f() { echo "function output $1"; return 4; }
r=$(f arg); echo "$r status=$?"
( exit 13 ); echo "subshell status: $?"
exit $(( 2 + 3 ))
