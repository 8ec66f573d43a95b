#!/bin/sh
# Render plots (PNG, into BUILD/bench/ or OUTDIR) from the benchmark JSON lines:
# HyperLogLog's relative error against N, and Bloom filters' false-positive rate
# against load, measured beside theory. Run after the benchmark programs.
# Usage: bench/plots.sh BUILD [OUTDIR]
set -eu
build=$1
out=${2:-$build/bench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# field NAME: the number after "NAME": on each input line
field() { sed -n "s/.*\"$1\":\([-0-9.e+]*\).*/\1/p"; }

grep '"case":"hll/error/' "$build/bench/bench_hll.jsonl" >"$tmp/hll.jsonl"
field n <"$tmp/hll.jsonl" >"$tmp/n"
field bias <"$tmp/hll.jsonl" >"$tmp/bias"
field rmse <"$tmp/hll.jsonl" >"$tmp/rmse"
paste "$tmp/n" "$tmp/bias" "$tmp/rmse" >"$tmp/hll.dat"

for v in classic blocked; do
	grep "\"case\":\"fpr/$v/" "$build/bench/bench_bloom.jsonl" >"$tmp/$v.jsonl"
	field load <"$tmp/$v.jsonl" >"$tmp/load"
	field fpr <"$tmp/$v.jsonl" >"$tmp/fpr"
	field fpr_theory <"$tmp/$v.jsonl" >"$tmp/theory"
	paste "$tmp/load" "$tmp/fpr" "$tmp/theory" >"$tmp/$v.dat"
done

gnuplot <<GP
set terminal pngcairo size 900,540 font ",11"
set grid
set key bottom left

set output "$out/hll-error.png"
set title "HyperLogLog p=14 (m = 16384): relative error against N"
set logscale x
set format x "10^{%L}"
set xlabel "distinct items N"
set ylabel "relative error"
se = 1.04 / sqrt(16384)
plot "$tmp/hll.dat" using 1:3 with linespoints title "RMSE (measured)", \
     "$tmp/hll.dat" using 1:2 with linespoints title "mean error (bias, measured)", \
     se with lines dashtype 2 title "1.04/sqrt(m)", \
     0 with lines lc "black" notitle

set output "$out/bloom-fpr.png"
set key top left
set xrange [0.1:2.2]
set title "Bloom filters sized for 1% at load 1: false-positive rate against load"
unset format x
set logscale xy
set xlabel "load (keys inserted / capacity)"
set ylabel "false-positive rate"
plot "$tmp/classic.dat" using 1:2 with points pt 7 title "classic (measured)", \
     "$tmp/classic.dat" using 1:3 with lines title "classic: (1 - e^{-kn/m})^k", \
     "$tmp/blocked.dat" using 1:2 with points pt 5 title "blocked (measured)", \
     "$tmp/blocked.dat" using 1:3 with lines title "blocked: Putze et al."
GP
echo "plots: $out/hll-error.png $out/bloom-fpr.png"
