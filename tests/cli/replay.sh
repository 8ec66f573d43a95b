#!/bin/sh
# vox replay end to end on alsa-utils' speech: PCM through a clean path comes out
# intact, a run repeats byte for byte, Opus under loss conceals or recovers every
# lost frame, a trace's losses are exactly the frames lost, FEC and adaptation
# switch off, the JSON keys, and the exit statuses (replay-rt.sh: the real-time
# mode). TAP output; VOX names the binary.
set -u
vox=${VOX:-build/vox}
. tests/tap.sh

need_alsa_speech Front_Center
speech=/usr/share/sounds/alsa/Front_Center.wav

# (1) PCM, no impairment: nothing lost, and the output is the input.
"$vox" replay --json --codec pcm "$speech" "$tmp/pcm.wav" >"$tmp/pcm.json"
rc=$?
show="$tmp/pcm.json"
check "pcm clean: exit 0" '[ $rc -eq 0 ]'
check "pcm clean: frames.lost 0" 'eq "$(json_num lost "$tmp/pcm.json")" 0'
check "pcm clean: stoi >= 0.99" 'ge "$(json_num stoi "$tmp/pcm.json")" 0.99'
"$vox" quality --json "$speech" "$tmp/pcm.wav" >"$tmp/pcmq.json"
show="$tmp/pcmq.json"
# Bit-exact, piece by piece: the output starts with frame 0 (delay 0) and later
# lacks the silent frames the buffer dropped to shrink its 60 ms start-up delay.
check "pcm clean: stoi 1 and lsd_db 0 from delay 0 on (bit-exact pieces)" \
	'eq "$(json_num stoi "$tmp/pcmq.json")" 1 && eq "$(json_num lsd_db "$tmp/pcmq.json")" 0 &&
	 eq "$(json_num delay_max_ms "$tmp/pcmq.json")" 0'

# (2) Determinism: same input, options and seed -> the same bytes, although the
# Noise handshake's ephemerals (hence every ciphertext) differ between the runs.
opts="--codec opus --loss 10 --burst 2 --jitter 20 --seed 7"
"$vox" replay $opts "$speech" "$tmp/d1.wav" >/dev/null &&
	"$vox" replay $opts "$speech" "$tmp/d2.wav" >/dev/null
rc=$?
check "determinism: two runs exit 0" '[ $rc -eq 0 ]'
check "determinism: OUT.wav byte-identical" 'cmp -s "$tmp/d1.wav" "$tmp/d2.wav"'

# (3) Opus with 10 % loss: losses happen, each is concealed or FEC-recovered.
"$vox" replay --json --codec opus --loss 10 --seed 3 "$speech" "$tmp/opus.wav" >"$tmp/opus.json"
rc=$?
show="$tmp/opus.json"
lost=$(json_num lost "$tmp/opus.json")
conc=$(json_num concealed "$tmp/opus.json")
fec=$(json_num fec_recovered "$tmp/opus.json")
check "opus loss 10%: exit 0" '[ $rc -eq 0 ]'
check "opus loss 10%: frames.lost > 0" '[ "${lost:-0}" -gt 0 ]'
check "opus loss 10%: lost = concealed + fec_recovered" '[ "$lost" -eq $((conc + fec)) ]'
check "opus loss 10%: stoi >= 0.7" 'ge "$(json_num stoi "$tmp/opus.json")" 0.7'

# (4) Every key of the report.
keys_ok() {
	for k in audio_s frames sent received lost late duplicate concealed fec_recovered \
		jitter_buffer_ms mean p95 latency_ms p50 max bitrate_kbps cpu_s_per_audio_s \
		handshake_ms stoi lsd_db; do
		grep -q "\"$k\": " "$1" || { echo "# missing $k"; return 1; }
	done
	grep -q '"latency_ms": {"p50": null, "p95": null, "max": null}' "$1" &&
		[ "$(wc -l <"$1")" -eq 1 ] && grep -q '^{.*}$' "$1"
}
check "json: one object with every key" 'keys_ok "$tmp/opus.json"'

# (5) A trace: 72 packets (1.44 s at 20 ms), 4 lost at known places, delays
# 10-30 ms; the reports back take the trace's lines from the start too.
{
	echo "delay_ms"
	i=0
	while [ $i -lt 72 ]; do
		case $i in 5 | 20 | 40 | 41) echo lost ;; *) echo $((10 + i % 3 * 10)) ;; esac
		i=$((i + 1))
	done
} >"$tmp/trace.csv"
"$vox" replay --json --trace "$tmp/trace.csv" "$speech" "$tmp/trace.wav" >"$tmp/trace.json"
rc=$?
show="$tmp/trace.json"
check "trace: exit 0" '[ $rc -eq 0 ]'
check "trace: frames.lost is the trace's 4" 'eq "$(json_num lost "$tmp/trace.json")" 4'
check "trace: received 68" 'eq "$(json_num received "$tmp/trace.json")" 68'

# (6) --fec off: nothing recovered; --adapt off: the knobs stay at --loss.
"$vox" replay --json --loss 10 --seed 3 --fec off "$speech" "$tmp/nofec.wav" >"$tmp/nofec.json"
show="$tmp/nofec.json"
check "fec off: lost > 0, fec_recovered 0" \
	'[ "$(json_num lost "$tmp/nofec.json")" -gt 0 ] && eq "$(json_num fec_recovered "$tmp/nofec.json")" 0'
"$vox" replay --json --loss 10 --seed 3 --adapt off "$speech" "$tmp/fixed.json.wav" >"$tmp/fixed.json"
show="$tmp/fixed.json"
check "adapt off: expected loss stays 10 %" 'eq "$(json_num loss_perc "$tmp/fixed.json")" 10'
check "adapt off: every loss recovered or concealed" \
	'[ "$(json_num lost "$tmp/fixed.json")" -eq $(($(json_num concealed "$tmp/fixed.json") + $(json_num fec_recovered "$tmp/fixed.json"))) ]'

# (7) Exit statuses.
check "no arguments: exit 2" 'fails 2 "IN.wav and OUT.wav" "$vox" replay'
check "unknown codec: exit 2" 'fails 2 "codec" "$vox" replay --codec mp3 "$speech" "$tmp/x.wav"'
check "loss over 100: exit 2" 'fails 2 "loss" "$vox" replay --loss 150 "$speech" "$tmp/x.wav"'
check "bad frame: exit 2" 'fails 2 "frame-ms" "$vox" replay --frame-ms 7 "$speech" "$tmp/x.wav"'
check "burst below 1: exit 2" 'fails 2 "burst" "$vox" replay --burst 0.5 --loss 5 "$speech" "$tmp/x.wav"'
check "pcm 20 ms: exit 2" 'fails 2 "10 ms" "$vox" replay --codec pcm --frame-ms 20 "$speech" "$tmp/x.wav"'
check "trace with loss: exit 2" 'fails 2 "trace" "$vox" replay --trace "$tmp/trace.csv" --loss 5 "$speech" "$tmp/x.wav"'
check "missing trace: exit 1" 'fails 1 "nonexistent" "$vox" replay --trace "$tmp/nonexistent.csv" "$speech" "$tmp/x.wav"'
check "fec maybe: exit 2" 'fails 2 "fec" "$vox" replay --fec maybe "$speech" "$tmp/x.wav"'
check "quantile 0: exit 2" 'fails 2 "quantile" "$vox" replay --quantile 0 "$speech" "$tmp/x.wav"'
check "unreadable IN: exit 1" 'fails 1 "nonexistent" "$vox" replay "$tmp/nonexistent.wav" "$tmp/x.wav"'

done_testing
