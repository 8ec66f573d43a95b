#!/bin/sh
# make demo: the main job first — vox replay carries real speech through the
# whole call pipeline under 5 % bursty loss and 20 ms of jitter and reports what
# a listener got — then the sketches at work on a real text stream (the words of
# every copyright file and licence text installed here), exact answers beside.
# Usage: scripts/demo.sh BUILD
set -eu
build=$1
vox=$build/vox
dir=$build/demo
mkdir -p "$dir"
export LC_ALL=C

say() { printf '\n== %s\n$ %s\n' "$1" "$2"; }

tests/data/make-speech.sh "$dir" >/dev/null
say "A call on a virtual clock: 26 s of speech, Opus, Noise, 5 % loss in bursts of 2, 20 ms jitter" \
	"vox replay $dir/passage.wav $dir/passage-out.wav --loss 5 --burst 2 --jitter 20"
"$vox" replay "$dir/passage.wav" "$dir/passage-out.wav" --loss 5 --burst 2 --jitter 20
echo "(what the receiver played: $dir/passage-out.wav)"

words=$dir/words.txt
lines=$dir/lines.txt
find /usr/share/doc -name copyright -type f 2>/dev/null | sort | xargs cat \
	/usr/share/common-licenses/* 2>/dev/null >"$lines" || true
if [ ! -s "$lines" ]; then
	echo "demo: no copyright files under /usr/share/doc to read" >&2
	exit 1
fi
tr -cs 'A-Za-z' '\n' <"$lines" | tr 'A-Z' 'a-z' | sed '/^$/d' >"$words"
awk '{ print length($0) }' "$words" >"$dir/lengths.txt"

say "Distinct words (HyperLogLog, 12 KiB)" "vox sketch distinct --exact $words"
"$vox" sketch distinct --exact "$words"

say "Ten most frequent words (Misra–Gries, 1000 counters)" "vox sketch top -k 10 --exact $words"
"$vox" sketch top -k 10 --exact "$words"

say "Word length quantiles (KLL, k=200)" "vox sketch quantiles --q 0.5,0.9,0.99,0.999 --exact $dir/lengths.txt"
"$vox" sketch quantiles --q 0.5,0.9,0.99,0.999 --exact "$dir/lengths.txt"

half=$(($(wc -l <"$words") / 2))
head -n "$half" "$words" >"$dir/first-half.txt"
tail -n +"$((half + 1))" "$words" | sort -u >"$dir/second-half.txt"
distinct=$(sort -u "$dir/first-half.txt" | wc -l)
say "Bloom filter of the first half's $distinct distinct words; which second-half words did it see?" \
	"vox sketch bloom build --capacity $distinct --fpr 0.01 -o $dir/first.bloom $dir/first-half.txt"
"$vox" sketch bloom build --capacity "$distinct" --fpr 0.01 -o "$dir/first.bloom" "$dir/first-half.txt"
"$vox" sketch bloom query --exact "$dir/first-half.txt" "$dir/first.bloom" "$dir/second-half.txt" >"$dir/seen.txt"

say "Near-duplicate lines of the licence texts (MinHash + LSH banding)" \
	"vox sketch similar --threshold 0.8 --exact $dir/sample.txt"
awk 'length($0) > 40' "$lines" | head -n 4000 >"$dir/sample.txt"
"$vox" sketch similar --threshold 0.8 --exact "$dir/sample.txt" >"$dir/similar.txt"
# One pair that is similar but not identical, with its two lines.
awk -F'\t' '$3 < 1 { print $1, $2, $3; exit }' "$dir/similar.txt" | {
	read -r a b sim || exit 0
	echo "for example, records $a and $b (estimated similarity $sim):"
	sed -n "${a}p" "$dir/sample.txt"
	sed -n "${b}p" "$dir/sample.txt"
}
