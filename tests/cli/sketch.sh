#!/bin/sh
# vox sketch end to end: answers on inputs with known truth, the JSON schema, and
# every failure path's exit status and message. TAP output; VOX names the binary.
set -u
vox=${VOX:-build/vox}
. tests/tap.sh

within() { # within VALUE TARGET REL: |VALUE - TARGET| <= REL * TARGET
	awk -v v="$1" -v t="$2" -v r="$3" 'BEGIN { d = v - t; if (d < 0) d = -d; exit !(d <= r * t) }'
}

# 20000 distinct keys, each 1 to 3 times: HyperLogLog p=14 is within 3 * 0.81%.
awk 'BEGIN { for (i = 0; i < 20000; i++) for (j = 0; j <= i % 3; j++) print "key" i }' >"$tmp/keys"
"$vox" sketch distinct --json --exact "$tmp/keys" >"$tmp/d.json"
check "distinct: JSON has estimate, bytes and exact" \
	'grep -q "^{\"estimate\":[0-9]*,\"bytes\":[0-9]*,.*\"exact\":20000}$" "$tmp/d.json"'
check "distinct: estimate within 3 standard errors" \
	'within "$(json_num estimate "$tmp/d.json")" 20000 0.0243'
check "distinct: stdin equals the file" \
	'"$vox" sketch distinct --json <"$tmp/keys" | grep -q "\"estimate\":$(json_num estimate "$tmp/d.json"),"'
check "distinct: 3 records, 2 distinct, exactly" \
	'printf "a\nb\na" | "$vox" sketch distinct --json | grep -q "\"estimate\":2,"'

# top: a 5000 times, b 3000, c 1000, then 20000 singletons.
awk 'BEGIN { for (i = 0; i < 5000; i++) print "a"; for (i = 0; i < 3000; i++) print "b";
	for (i = 0; i < 1000; i++) print "c"; for (i = 0; i < 20000; i++) print "s" i }' >"$tmp/top"
"$vox" sketch top -k 3 --json "$tmp/top" >"$tmp/t.json"
check "top: the three heavy items, in order" \
	'grep -q "^{\"items\":\[{\"item\":\"a\",.*{\"item\":\"b\",.*{\"item\":\"c\"," "$tmp/t.json"'
check "top: bounds hold: lower <= true count <= upper" \
	'sed "s/},{/\n/g" "$tmp/t.json" | awk -F"[:,]" "
		/\"item\":\"a\"/ { t = 5000 } /\"item\":\"b\"/ { t = 3000 } /\"item\":\"c\"/ { t = 1000 }
		{ for (i = 1; i < NF; i++) { if (\$i ~ /lower/) lo = \$(i+1); if (\$i ~ /upper/) hi = \$(i+1) }
		  if (lo > t || hi < t) bad = 1 } END { exit bad }"'
check "top: --exact adds the exact counts" \
	'"$vox" sketch top -k 1 --exact --json "$tmp/top" | grep -q "\"exact\":5000"'

# quantiles of 1..10000: KLL k=200 is within 1.33% in rank.
seq 1 10000 >"$tmp/seq"
"$vox" sketch quantiles --q 0.5,0.99 --json --exact "$tmp/seq" >"$tmp/q.json"
check "quantiles: JSON has the asked quantiles" \
	'grep -q "\"quantiles\":{\"0.5\":[0-9.e+]*,\"0.99\":[0-9.e+]*}" "$tmp/q.json"'
check "quantiles: median within rank error" \
	'within "$(sed -n "s/.*\"quantiles\":{\"0.5\":\([0-9.e+]*\).*/\1/p" "$tmp/q.json")" 5000 0.027'
check "quantiles: a non-number fails with its line" \
	'printf "1\n2\nx\n" | fails 1 "(stdin):3" "$vox" sketch quantiles'

# bloom: no false negatives; few false positives; bad files are refused.
"$vox" sketch bloom build --capacity 20000 --fpr 0.01 -o "$tmp/f.bloom" "$tmp/keys" 2>"$tmp/err"
check "bloom build: writes a filter and says so" 'test -s "$tmp/f.bloom" && grep -q "records" "$tmp/err"'
check "bloom query: every built key is present" \
	'test "$("$vox" sketch bloom query "$tmp/f.bloom" "$tmp/keys" 2>/dev/null | wc -l)" -eq "$(wc -l <"$tmp/keys")"'
awk 'BEGIN { for (i = 0; i < 20000; i++) print "absent" i }' >"$tmp/absent"
check "bloom query: about 1% of absent keys reported" \
	'test "$("$vox" sketch bloom query "$tmp/f.bloom" "$tmp/absent" 2>/dev/null | wc -l)" -lt 400'
check "bloom query --exact: counts false positives" \
	'"$vox" sketch bloom query --exact "$tmp/keys" "$tmp/f.bloom" "$tmp/absent" 2>&1 >/dev/null | grep -q "false positives"'
"$vox" sketch bloom build --blocked --capacity 20000 -o "$tmp/b.bloom" "$tmp/keys" 2>/dev/null
check "bloom: a blocked filter queries too" \
	'test "$("$vox" sketch bloom query "$tmp/b.bloom" "$tmp/keys" 2>/dev/null | wc -l)" -eq "$(wc -l <"$tmp/keys")"'
head -c 100 "$tmp/f.bloom" >"$tmp/cut.bloom"
check "bloom query: a truncated filter is refused" \
	'fails 1 "not a Bloom filter file" "$vox" sketch bloom query "$tmp/cut.bloom" "$tmp/keys"'
check "bloom query: a text file is refused" \
	'fails 1 "not a Bloom filter file" "$vox" sketch bloom query "$tmp/keys" "$tmp/keys"'
check "bloom build: an unwritable output fails" \
	'fails 1 "$tmp/no/such/dir" "$vox" sketch bloom build -o "$tmp/no/such/dir/f" "$tmp/keys"'

# similar: two near-duplicate lines among unrelated ones.
cat >"$tmp/lines" <<'TXT'
the quick brown fox jumps over the lazy dog near the river bank
a completely different sentence about licences and copyright
the quick brown fox jumps over the lazy dog near the river bend
TXT
check "similar: finds the near-duplicate pair" \
	'"$vox" sketch similar --threshold 0.7 "$tmp/lines" 2>/dev/null | grep -q "^1	3	"'
check "similar --exact --json: recall reported" \
	'"$vox" sketch similar --threshold 0.7 --exact --json "$tmp/lines" | grep -q "\"exact\":{\"pairs\":1,\"found\":1,"'

# Failure paths.
check "missing input: exit 1 naming the file" 'fails 1 "$tmp/nope" "$vox" sketch distinct "$tmp/nope"'
check "directory input: exit 1" 'fails 1 "Is a directory" "$vox" sketch top "$tmp"'
check "bad option: exit 2" 'fails 2 "unknown option or missing value: --bogus" "$vox" sketch distinct --bogus'
check "bad precision: exit 2" 'fails 2 "precision" "$vox" sketch distinct --precision 30'
check "unknown subcommand: exit 2" 'fails 2 "not a command" "$vox" sketch nope'
check "--help: exit 0 with usage" '"$vox" sketch top --help | grep -q "^usage: vox sketch top"'

done_testing
