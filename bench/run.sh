#!/bin/sh
# make bench: run every benchmark program; JSON lines into BUILD/bench/<name>.jsonl,
# the human table on the terminal. Extra arguments go to every program.
# Usage: bench/run.sh BUILD [ARGS...]
set -eu
build=$1
shift
for b in "$build"/bench/bench_*; do
	[ -x "$b" ] || continue
	case "$b" in *.o|*.d|*.jsonl) continue ;; esac
	echo "== $(basename "$b")"
	"$b" --json "$@" >"$b.jsonl"
done
for s in bench/*.sh; do
	[ "$s" = bench/run.sh ] && continue
	echo "== $s"
	"$s" "$build"
done
echo "bench: results in $build/bench/*.jsonl"
