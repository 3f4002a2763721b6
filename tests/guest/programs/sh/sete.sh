# set -e: which failures end the shell and which do not.
set -e
if false; then echo no; fi
echo "if condition failure is fine"
false || echo "|| catches it"
! true
echo "! true does not stop the shell"
false && echo no
echo "&& list failure is fine"
( set -e; false; echo "set -e is off inside the left side of ||" ) || echo "no"
set +e
( set -e; false; echo "not reached" ); echo "subshell under set -e stopped with $?"
set -e
( true | false ) || echo "pipeline ending in false: $?"
false | true
echo "pipeline ending in true continues"
x=$(false) || echo "failed substitution in assignment: $?"
f() { false; echo "rest of function (runs: the call is in an || list)"; }
f || echo "function failed"
g() { echo "g runs"; return 3; }
g || echo "g returned $?"
echo "now a plain failing command ends the script"
sh_status() { return 8; }
sh_status
echo "not reached"
