# read loops: from pipes, files, here-strings and redirections; IFS splitting and -r.
printf 'a 1\nb 2\nc 3\n' | while read -r name val; do echo "$name=$((val * 10))"; done
dir=$(mktemp -d)
printf 'root:x:0\nuser:y:1000\nlast:z:7' > "$dir/passwd"
while IFS=: read -r user pw id; do echo "user=$user id=$id"; done < "$dir/passwd"
echo "the last line without a newline: read gives up with status 1 but fills the variables"
total=0
seq 1 100 > "$dir/nums"
while read -r n; do total=$((total + n)); done < "$dir/nums"
echo "total=$total"
read -r a b rest <<EOS
one two three four
EOS
echo "a=$a b=$b rest=$rest"
exec 3< "$dir/nums"
read -r first <&3; read -r second <&3
exec 3<&-
echo "fd 3: $first $second"
printf 'back\\slash\n' | { read -r raw; echo "raw: $raw"; }
printf 'back\\slash\n' | { read cooked; echo "cooked: $cooked"; }
seq 1 3 | { while read -r n; do echo "line $n"; done; echo "loop status $?"; }
echo "no input" | { read -r x y; echo "x=$x y=[$y]"; }
: | { read -r nothing; echo "read from empty pipe: $?"; }
rm -r "$dir"
exit 0
