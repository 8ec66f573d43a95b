#!/bin/sh
# vox sketch against the Unix pipelines it replaces, on one generated file of
# LINES lines (default 10^7) with a heavy-tailed (log-uniform, Zipf-like) choice
# of words among 10^6. Same file, same machine, one run; LC_ALL=C for sort, its
# fastest setting. Prints a table; JSON lines go to BUILD/bench/sketch-vs-unix.jsonl.
# Usage: bench/sketch-vs-unix.sh BUILD [LINES]
set -eu
build=$1
lines=${2:-10000000}
vox=$build/vox
dir=$build/bench/sketch-vs-unix
out=$build/bench/sketch-vs-unix.jsonl
mkdir -p "$dir"
export LC_ALL=C

input=$dir/words-$lines.txt
if [ ! -s "$input" ]; then
	awk -v n="$lines" 'BEGIN { srand(1); for (i = 0; i < n; i++)
		printf "w%d\n", int(exp(rand() * log(1000000))) }' >"$input"
fi

# run NAME COMMAND: time it, keep its peak RSS (largest process) and output.
run() {
	name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$dir/$name.time" sh -c "$*" >"$dir/$name.out"
	read -r secs kb <"$dir/$name.time"
	eval "${name}_s=$secs ${name}_kb=$kb"
}

run unix_distinct "sort '$input' | uniq | wc -l"
run vox_distinct "'$vox' sketch distinct --json '$input'"
run unix_top "sort '$input' | uniq -c | sort -rn | head -10"
run vox_top "'$vox' sketch top -k 10 --json '$input'"

exact=$(cat "$dir/unix_distinct.out")
estimate=$(sed 's/.*"estimate":\([0-9.e+]*\).*/\1/' "$dir/vox_distinct.out")
top_exact=$(awk 'NR == 1 { print $2 " " $1 }' "$dir/unix_top.out")
top_vox=$(sed 's/.*"items":\[{"item":"\([^"]*\)","estimate":\([0-9]*\).*/\1 \2/' "$dir/vox_top.out")

: >"$out"
printf '%-10s %12s %10s %12s %10s %8s %8s\n' job "unix s" "unix MB" "vox s" "vox MB" speedup "mem %"
for job in distinct top; do
	eval "us=\$unix_${job}_s uk=\$unix_${job}_kb vs=\$vox_${job}_s vk=\$vox_${job}_kb"
	awk -v j="$job" -v us="$us" -v uk="$uk" -v vs="$vs" -v vk="$vk" -v n="$lines" -v o="$out" 'BEGIN {
		sp = vs > 0 ? us / vs : 0; mem = 100 * vk / uk
		printf "%-10s %12.2f %10.1f %12.2f %10.1f %7.1fx %7.2f%%\n", j, us, uk / 1024, vs, vk / 1024, sp, mem
		printf "{\"suite\":\"sketch-vs-unix\",\"case\":\"%s/%d\",\"unix_s\":%s,\"unix_rss_kb\":%s,\"vox_s\":%s,\"vox_rss_kb\":%s,\"speedup\":%.2f,\"memory_percent\":%.3f}\n", j, n, us, uk, vs, vk, sp, mem >> o
	}'
done
echo "distinct: exact $exact, vox estimate $estimate"
echo "top item: exact '$top_exact', vox '$top_vox'"
