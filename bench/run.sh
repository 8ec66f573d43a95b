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
for s in bench/*.sh; do
	[ "$s" = bench/run.sh ] && continue
	echo "== $s"
	"$s" "$build"
done
peer_args=
[ $quick = 1 ] && peer_args="--seconds 5"
for s in bench/peers/*.sh; do
	[ "${BENCH_PEERS:-1}" = 0 ] && break
	echo "== $s"
	# shellcheck disable=SC2086 # empty or two words
	"$s" "$build" $peer_args
done
echo "bench: results in $build/bench/*.jsonl"
