#!/bin/sh
# make bench: run every benchmark program; JSON lines into BUILD/bench/<name>.jsonl,
# the human table on the terminal. Extra arguments go to every program. Then the
# side-by-side scripts, bench/*.sh and bench/peers/*.sh; the peers run in real time
# (about a minute), 5 s of audio per condition with --quick, none with BENCH_PEERS=0.
# Usage: bench/run.sh BUILD [ARGS...]
set -eu
build=$1
shift
quick=0
for a in "$@"; do [ "$a" = --quick ] && quick=1; done
for b in "$build"/bench/bench_*; do
	[ -x "$b" ] || continue
	case "$b" in *.o|*.d|*.jsonl) continue ;; esac
	echo "== $(basename "$b")"
	"$b" --json "$@" >"$b.jsonl"
done
for s in bench/*.sh bench/peers/*.sh; do
	[ "$s" = bench/run.sh ] && continue
	case $s in
	bench/peers/*)
		[ "${BENCH_PEERS:-1}" = 0 ] && continue
		echo "== $s"
		if [ $quick = 1 ]; then "$s" "$build" --seconds 5; else "$s" "$build"; fi
		continue ;;
	esac
	echo "== $s"
	"$s" "$build"
done
echo "bench: results in $build/bench/*.jsonl"
