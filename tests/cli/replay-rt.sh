#!/bin/sh
# vox replay --realtime on alsa-utils' speech: sender and receiver threads on
# loopback sockets with a vox impair child between them; every frame accounted
# for, latency measured, the child gone afterwards. Runs under ThreadSanitizer too
# (make tsan). TAP output; VOX names the binary.
set -u
vox=${VOX:-build/vox}
. tests/tap.sh

need_alsa_speech Front_Center
speech=/usr/share/sounds/alsa/Front_Center.wav

"$vox" replay --json --realtime --loss 5 --jitter 10 --seed 2 "$speech" "$tmp/rt.wav" >"$tmp/rt.json"
rc=$?
show="$tmp/rt.json"
p50=$(json_num p50 "$tmp/rt.json")
p95=$(json_num p95 "$tmp/rt.json")
max=$(sed -n 's/.*"max": \([-0-9.e+]*\).*/\1/p' "$tmp/rt.json")
check "realtime: exit 0, mode realtime" '[ $rc -eq 0 ] && grep -q "\"mode\": \"realtime\"" "$tmp/rt.json"'
check "realtime: all 72 frames sent" 'eq "$(json_num sent "$tmp/rt.json")" 72'
check "realtime: 0 < latency p50 <= p95 <= max" \
	'ge "$p50" 0.001 && ge "$p95" "$p50" && ge "$max" "$p95"'
check "realtime: lost = concealed + fec_recovered" \
	'[ "$(json_num lost "$tmp/rt.json")" -eq $(($(json_num concealed "$tmp/rt.json") + $(json_num fec_recovered "$tmp/rt.json"))) ]'
check "realtime: no vox impair left running" '! pgrep -f "vox impair --listen 127.0.0.1:0" >/dev/null'

# Ctrl-C: the run stops within a frame or two, writes a valid OUT.wav of what was
# played, says so and exits 1; the proxy goes with it. (Waits, bounded, for the
# proxy to exist, so the signal comes mid-run.)
long="$tmp/long.wav"
sox "$speech" "$speech" "$speech" "$speech" "$speech" "$speech" "$speech" "$speech" "$long"
timeout 30 "$vox" replay --realtime "$long" "$tmp/int.wav" >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
i=0
until pgrep -f "impair --listen 127.0.0.1:0" >/dev/null || [ $i -ge 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -INT $pid
wait $pid
rc=$?
show="$tmp/int.err"
check "SIGINT: exit 1, 'interrupted' on stderr" '[ $rc -eq 1 ] && grep -q "interrupted" "$tmp/int.err"'
check "SIGINT: OUT.wav valid and shorter than IN" \
	'[ "$(soxi -s "$tmp/int.wav")" -lt "$(soxi -s "$long")" ]'
check "SIGINT: the proxy is gone" '! pgrep -f "impair --listen 127.0.0.1:0" >/dev/null'

done_testing
