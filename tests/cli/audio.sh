#!/bin/sh
# vox devices, vox record and vox play through alsa-lib's own plugins, as TAP.
# tests/alsa/asoundrc supplies the devices (null, file playback, file capture);
# they have no clock, so every check compares bytes or frame counts, never time.
# Fixtures: seeded noise from sox (-R), made here at run time.
# Run by `make check` from the repository root with VOX set.
set -u
vox=${VOX:-build/vox}
root=$(pwd)
ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:$root/tests/alsa/asoundrc
export ALSA_CONFIG_PATH
tmp=$(mktemp -d /tmp/vx-cli-audio-XXXXXX)
pa_pid=
trap 'exec 3>&- 2>/dev/null; [ -n "$pa_pid" ] && kill "$pa_pid" 2>/dev/null && wait "$pa_pid"; rm -rf "$tmp"' EXIT
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/# /' "$f"; done
}
# check NAME COMMAND...: ok if the command succeeds; on failure show the last run's output
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "$tmp/out" "$tmp/err"; fi
}
run() { "$vox" "$@" >"$tmp/out" 2>"$tmp/err"; echo $? >"$tmp/rc"; }
rc_is() { [ "$(cat "$tmp/rc")" -eq "$1" ]; }
out_has() { grep -q -- "$1" "$tmp/out"; }
err_has() { grep -q -- "$1" "$tmp/err"; }
frames_of() { soxi -s "$1" 2>/dev/null; }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
size_at_least() { [ "$(size_of "$1")" -ge "$2" ]; }
# poll COMMAND...: until it succeeds, every 50 ms for at most 20 s. What the tests
# wait for (a server that answers, a WAV that holds N bytes) has no event a shell
# can block on, so the condition itself is polled, never a guessed delay; on a
# timeout the checks that follow fail.
poll() {
	i=0
	until "$@" || [ $i -ge 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

for tool in sox soxi mkfifo; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..1"
		echo "not ok 1 - $tool not found (install sox; scripts/install-deps.sh does)"
		exit 1
	fi
done
if [ ! -x "$vox" ]; then
	echo "1..1"
	echo "not ok 1 - $vox not built (make $vox)"
	exit 1
fi

# ---- fixtures: 1.0123 s of stereo and 1 s of mono noise, seeded -------------------------
sox -R -n -r 48000 -c 2 -b 16 "$tmp/stereo.wav" synth 1.0123 whitenoise vol 0.5
sox "$tmp/stereo.wav" -t raw "$tmp/stereo.raw"
sox -R -n -r 48000 -c 1 -b 16 -e signed -t raw "$tmp/mono.raw" synth 1 pinknoise vol 0.5
sox -R -n -r 48000 -c 2 -b 16 -e signed -t raw "$tmp/in2.raw" synth 1 whitenoise vol 0.3

# ---- vox devices ------------------------------------------------------------------------
run devices --json
check "devices --json exits 0" rc_is 0
check "devices --json lists vxnull for both directions" \
	out_has '{"name": "vxnull", "description": "vox test: discards playback, captures silence", "direction": "both"}'
check "devices --json lists vxout for playback" \
	out_has '{"name": "vxout", "description": "vox test: playback written to a file", "direction": "playback"}'
check "devices --json lists vxin for capture" \
	out_has '{"name": "vxin", "description": "vox test: capture read from a raw S16_LE file", "direction": "capture"}'
check "devices --json is one array on one line" \
	sh -c "[ \$(wc -l <'$tmp/out') -eq 1 ] && grep -q '^\[{.*}\]\$' '$tmp/out'"
run devices
check "devices lists a table with the test devices" \
	sh -c "grep -q '^DIRECTION' '$tmp/out' && grep -q '^playback  *vxout  *vox test' '$tmp/out' && grep -q '^capture  *vxin ' '$tmp/out'"

# ---- vox play --------------------------------------------------------------------------
run play "$tmp/stereo.wav" --device "vxout:$tmp/play.raw"
check "play exits 0" rc_is 0
check "play writes exactly the WAV's samples to the file device" cmp -s "$tmp/stereo.raw" "$tmp/play.raw"
check "play sums up frames and xruns" out_has "^played 48590 frames (1.012 s at 48000 Hz, 2 ch) from .*; xruns 0,"

run play "$tmp/stereo.wav" --device "vxout:$tmp/play5.raw" --frame-ms 2.5 --periods 2
check "play at 2.5 ms periods writes the same samples" cmp -s "$tmp/stereo.raw" "$tmp/play5.raw"

sox "$tmp/stereo.wav" -c 1 "$tmp/mono.wav" remix 1
sox "$tmp/mono.wav" -t raw "$tmp/mono-play.ref"
run play "$tmp/mono.wav" --device "vxout:FILE=$tmp/play-mono.wav,FORMAT=wav"
sox "$tmp/play-mono.wav" -t raw "$tmp/play-mono.raw" 2>/dev/null
check "play of a mono WAV plays mono (device's own WAV output)" cmp -s "$tmp/mono-play.ref" "$tmp/play-mono.raw"

# ---- vox record -----------------------------------------------------------------------
run record "$tmp/rec.wav" --device "vxin:$tmp/mono.raw" --seconds 1
check "record exits 0" rc_is 0
sox "$tmp/rec.wav" -t raw "$tmp/rec.raw" 2>/dev/null
check "record reproduces the raw input exactly" cmp -s "$tmp/mono.raw" "$tmp/rec.raw"
check "record's WAV header says 48000 frames, mono, 48 kHz" \
	sh -c "[ \"\$(soxi -s '$tmp/rec.wav')\" = 48000 ] && [ \"\$(soxi -c '$tmp/rec.wav')\" = 1 ] && [ \"\$(soxi -r '$tmp/rec.wav')\" = 48000 ]"
check "record sums up frames and xruns" out_has "^recorded 48000 frames (1.000 s at 48000 Hz, 1 ch) to .*; xruns 0,"

run record "$tmp/rec2.wav" --device "vxin:$tmp/in2.raw" --seconds 1 --channels 2 --frame-ms 2.5
sox "$tmp/rec2.wav" -t raw "$tmp/rec2.raw" 2>/dev/null
check "record stereo at 2.5 ms periods reproduces the input" cmp -s "$tmp/in2.raw" "$tmp/rec2.raw"

# 0.3333 s = 15998 frames: the last 20 ms period is cut short
run record "$tmp/rec3.wav" --device "vxin:$tmp/mono.raw" --seconds 0.3333
head -c 31996 "$tmp/mono.raw" >"$tmp/rec3.ref"
sox "$tmp/rec3.wav" -t raw "$tmp/rec3.raw" 2>/dev/null
check "record --seconds stops at the exact frame, mid-period" \
	sh -c "[ \"\$(soxi -s '$tmp/rec3.wav')\" = 15998 ] && cmp -s '$tmp/rec3.ref' '$tmp/rec3.raw'"

run record "$tmp/null.wav" --device vxnull --seconds 0.1 --frame-ms 5
head -c 9600 /dev/zero >"$tmp/zero.raw"
sox "$tmp/null.wav" -t raw "$tmp/null.raw" 2>/dev/null
check "record from the null device gives silence" cmp -s "$tmp/zero.raw" "$tmp/null.raw"

# SIGINT and SIGTERM. The capture device reads a FIFO that holds whole periods of
# data (under the pipe's 64 KiB, so it is all there before vox starts); once vox
# has taken them all (its WAV says so) it waits in read(2), where the signal finds
# it. Closing the FIFO then ends that read even if the signal came just before
# it: alsa-lib's file plugin turns the interrupted or empty read into a period of
# silence, which vox drops since a stop was asked for.
record_until() { # SIGNAL BYTES NAME
	sig=$1 bytes=$2 name=$3
	rm -f "$tmp/fifo" "$tmp/$name.wav"
	mkfifo "$tmp/fifo"
	exec 3<>"$tmp/fifo" # held open: vox's open does not block, its reads see no end
	head -c "$bytes" "$tmp/mono.raw" >&3
	"$vox" record "$tmp/$name.wav" --device "vxin:$tmp/fifo" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	poll size_at_least "$tmp/$name.wav" $((44 + bytes))
	kill "-$sig" "$pid"
	exec 3>&-
	wait "$pid"
	echo $? >"$tmp/rc"
	head -c "$bytes" "$tmp/mono.raw" >"$tmp/$name.ref"
	sox "$tmp/$name.wav" -t raw "$tmp/$name.raw" 2>/dev/null
}
record_until INT 57600 sigint # 30 periods of 20 ms
check "record stops on SIGINT with exit 0" rc_is 0
check "record on SIGINT leaves a valid WAV holding every frame" \
	sh -c "[ \"\$(soxi -s '$tmp/sigint.wav')\" = 28800 ] && cmp -s '$tmp/sigint.ref' '$tmp/sigint.raw'"
check "record on SIGINT prints its summary" out_has "^recorded 28800 frames .*; stopped by SIGINT"
record_until TERM 19200 sigterm
check "record stops on SIGTERM with a valid WAV and a summary" \
	sh -c "[ \"\$(cat '$tmp/rc')\" = 0 ] && [ \"\$(soxi -s '$tmp/sigterm.wav')\" = 9600 ] && cmp -s '$tmp/sigterm.ref' '$tmp/sigterm.raw' && grep -q 'stopped by SIGTERM' '$tmp/out'"

# ---- errors and usage --------------------------------------------------------------------
run record "$tmp/x.wav" --device vx-no-such-device --seconds 1
check "record on a missing device exits 1 naming it" \
	sh -c "[ \$(cat '$tmp/rc') -eq 1 ] && grep -q \"cannot open capture device 'vx-no-such-device': no such device\" '$tmp/err'"
run play "$tmp/stereo.wav" --device hw:7,0
check "play on a missing card exits 1 naming it" \
	sh -c "[ \$(cat '$tmp/rc') -eq 1 ] && grep -q \"cannot open playback device 'hw:7,0'\" '$tmp/err'"
check "ALSA's own messages stay off stderr" sh -c "! grep -q 'ALSA lib' '$tmp/err'"
printf 'RIFX not a wav' >"$tmp/bad.wav"
run play "$tmp/bad.wav" --device vxnull
check "play of an unreadable WAV exits 1 with the reader's message" \
	sh -c "[ \$(cat '$tmp/rc') -eq 1 ] && [ \$(wc -l <'$tmp/err') -eq 1 ] && grep -q \"^vox play: $tmp/bad.wav: \" '$tmp/err'"
run play "$tmp/none.wav" --device vxnull
check "play of a missing file exits 1" sh -c "[ \$(cat '$tmp/rc') -eq 1 ] && grep -q 'none.wav' '$tmp/err'"

for args in "record" "record a.wav --channels 3" "record a.wav --seconds 0" \
	"record a.wav --seconds x" "record a.wav --frame-ms 7" "record a.wav --periods 5" \
	"record a.wav b.wav" "record a.wav --device" "play" "play a.wav --bogus" \
	"devices --bogus" "devices extra"; do
	# shellcheck disable=SC2086
	run $args
	check "vox $args: exit 2 with a usage message" \
		sh -c "[ \$(cat '$tmp/rc') -eq 2 ] && grep -q \"see 'vox \" '$tmp/err'"
done
for cmd in devices record play; do
	run "$cmd" --help
	check "vox $cmd --help exits 0 with a usage line" sh -c "[ \$(cat '$tmp/rc') -eq 0 ] && grep -q '^usage: vox $cmd' '$tmp/out'"
done

# ---- real time: a private PulseAudio server ------------------------------------------------
# The devices above have no clock. A PulseAudio daemon with a null sink, reached
# through ALSA's pulse plugin, has one: recording from it exercises blocking reads
# paced by a real device. The assertions are on frame counts, never on time:
# --seconds 1 must give exactly 48000 frames, and a recording stopped by SIGINT
# once it has grown must hold every frame it reports. The daemon gets its own
# runtime directory and home, and is stopped at the end (and by the EXIT trap if
# the script dies).
pulse_env="env HOME=$tmp/home XDG_RUNTIME_DIR=$tmp/xdg PULSE_RUNTIME_PATH=$tmp/pulse"
if ! command -v pulseaudio >/dev/null 2>&1 || ! command -v pactl >/dev/null 2>&1; then
	not_ok "real-time pacing through PulseAudio: pulseaudio or pactl not found (install pulseaudio, pulseaudio-utils, libasound2-plugins)"
else
	mkdir -p "$tmp/home" "$tmp/xdg" "$tmp/pulse"
	chmod 700 "$tmp/xdg" "$tmp/pulse"
	$pulse_env pulseaudio --daemonize=no --exit-idle-time=-1 -n --load=module-null-sink \
		--load="module-native-protocol-unix auth-anonymous=1" >"$tmp/pulse.log" 2>&1 &
	pa_pid=$!
	poll $pulse_env pactl info >/dev/null 2>&1
	$pulse_env "$vox" record "$tmp/pulse1.wav" --device pulse --seconds 1 >"$tmp/out" 2>"$tmp/err"
	echo $? >"$tmp/rc"
	check "1 s recorded from PulseAudio's clocked device is exactly 48000 frames" \
		sh -c "[ \$(cat '$tmp/rc') -eq 0 ] && [ \"\$(soxi -s '$tmp/pulse1.wav')\" = 48000 ]"
	$pulse_env "$vox" record "$tmp/pulse.wav" --device pulse >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	poll size_at_least "$tmp/pulse.wav" $((44 + 9600)) # 0.1 s in
	kill -INT "$pid"
	wait "$pid"
	echo $? >"$tmp/rc"
	total=$(sed -n 's/^recorded \([0-9]*\) frames.*/\1/p' "$tmp/out")
	check "the PulseAudio recording ends on SIGINT with a valid WAV" \
		sh -c "[ \$(cat '$tmp/rc') -eq 0 ] && [ -n '$total' ] && [ \"\$(soxi -s '$tmp/pulse.wav')\" = '$total' ]"
	kill "$pa_pid"
	wait "$pa_pid" 2>/dev/null
	pa_pid=
fi

echo "1..$n"
[ "$failed" -eq 0 ]
