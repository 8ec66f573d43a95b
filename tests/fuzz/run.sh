#!/bin/sh
# Run libFuzzer targets: "runs N" for a short deterministic smoke run (fixed seed),
# "seconds N" for a longer search. Each target starts from its seed corpus in
# tests/fuzz/corpus/<name>/ when there is one; new inputs go to build/fuzz/corpus/.
# Usage: tests/fuzz/run.sh runs|seconds N TARGET...
set -eu
mode=$1 n=$2
shift 2
for f in "$@"; do
	name=$(basename "$f")
	work=$(dirname "$f")/corpus/$name
	mkdir -p "$work"
	seeds=tests/fuzz/corpus/$name
	[ -d "$seeds" ] || seeds=
	if [ "$mode" = runs ]; then
		opts="-seed=1 -runs=$n"
	else
		opts="-max_total_time=$n"
	fi
	# shellcheck disable=SC2086
	if ! "$f" $opts -print_final_stats=1 "$work" $seeds >"$work.log" 2>&1; then
		cat "$work.log"
		echo "fuzz: $name FAILED" >&2
		exit 1
	fi
	printf '%-44s %s executions\n' "$name" \
		"$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log")"
done
