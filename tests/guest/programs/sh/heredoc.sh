# Here-documents: expanded, quoted, tab-stripped, into pipelines, and one larger than a pipe
# buffer.
name=world
cat <<EOS
hello $name
sum $((2 + 3)) and $(echo substituted)
EOS
cat <<'EOS'
not expanded: $name $(echo x)
EOS
cat <<-EOS
	tabs stripped for $name
	EOS
tr a-z A-Z <<EOS | sed 's/^/> /'
piped here-doc
second line
EOS
while read -r w; do echo "word $w"; done <<EOS
alpha
beta
EOS
big=$(seq 1 15000)
cat <<EOS | wc -c
$big
EOS
f() { cat; }
f <<EOS
into a function
EOS
exit 0
