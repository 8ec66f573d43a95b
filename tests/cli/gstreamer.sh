#!/bin/sh
# Interoperability with GStreamer over --insecure (bare RTP, Opus on PT 111), as TAP:
#   1. vox send  -> udpsrc ! rtpjitterbuffer ! rtpopusdepay ! opusdec ! wavenc
#   2. filesrc ! wavparse ! opusenc ! rtpopuspay ! udpsink -> vox recv
# The input is real speech (alsa-utils' Front_Center.wav and Front_Left.wav, about
# 2.9 s, 48 kHz mono 16-bit); each output must keep STOI >= 0.9 against it
# (vox quality aligns the two first).
# Nothing waits on a sleep. GStreamer's receiver listens on a port derived from the
# PID (udpsrc cannot report a port it picked); the script reads gst-launch -v's
# stdout from a FIFO and starts vox send once "Setting pipeline to PLAYING" shows
# that udpsrc is bound (it binds on NULL->READY). When vox send has exited, a
# SIGINT makes gst-launch -e send EOS, which drains the jitter buffer and lets
# wavenc write its header. vox recv listens on port 0 and prints its port, read
# from a FIFO before GStreamer sends. No time is asserted. VOX names the binary.
set -u
vox=${VOX:-build/vox}
. tests/tap.sh

for tool in sox soxi mkfifo timeout gst-launch-1.0 gst-inspect-1.0; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..1"
		echo "not ok 1 - $tool not found (scripts/install-deps.sh installs sox and gstreamer1.0-tools)"
		exit 1
	fi
done
for element in udpsrc udpsink rtpjitterbuffer rtpopusdepay rtpopuspay opusdec opusenc \
	wavenc wavparse audioconvert audioresample filesrc filesink; do
	if ! gst-inspect-1.0 "$element" >/dev/null 2>&1; then
		echo "1..1"
		echo "not ok 1 - GStreamer element $element not found (install gstreamer1.0-plugins-base and -good; scripts/install-deps.sh does)"
		exit 1
	fi
done
if [ ! -x "$vox" ]; then
	echo "1..1"
	echo "not ok 1 - $vox not built (make $vox)"
	exit 1
fi

in=$tmp/in.wav
sox /usr/share/sounds/alsa/Front_Center.wav /usr/share/sounds/alsa/Front_Left.wav \
	-r 48000 -c 1 -b 16 "$in"
in_samples=$(soxi -s "$in")

# field NAME FILE: a number from a JSON summary
field() { sed -n "s/.*\"$1\": *\([0-9.-]*\).*/\1/p" "$2"; }
# zeros FILE NAME...: each of these JSON counts is 0
zeros() {
	f=$1
	shift
	for k in "$@"; do [ "$(field "$k" "$f")" = 0 ] || return 1; done
}
# stoi_ok DEG.wav: vox quality's STOI of DEG against the input is at least 0.9;
# the JSON line is kept in $tmp/DEG.q
stoi_ok() {
	"$vox" quality "$in" "$1" --json >"$1.q" 2>&1 &&
		awk -v s="$(field stoi "$1.q")" 'BEGIN { exit !(s != "" && s + 0 >= 0.9) }'
}
# Safety net only (the pipelines end on their own well before): no process of
# this script outlives 20 s.
guard="timeout -k 2 20"
caps="application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=111"
raw48="audio/x-raw,rate=48000,channels=1"

# --- 1. vox send -> GStreamer ---------------------------------------------------------------
port=$((20000 + $$ % 20000))
mkfifo "$tmp/g1.fifo"
# reuse=false: a port someone else holds is an error, not a silent share.
$guard gst-launch-1.0 -v -e \
	udpsrc address=127.0.0.1 port="$port" reuse=false caps="$caps" ! rtpjitterbuffer ! rtpopusdepay ! opusdec ! \
	audioconvert ! audioresample ! "$raw48" ! wavenc ! filesink location="$tmp/g1.wav" \
	>"$tmp/g1.fifo" 2>"$tmp/g1.err" &
gpid=$!
await_line "$tmp/g1.fifo" "$tmp/g1.out" "Setting pipeline to PLAYING*"
playing=0
[ -n "$line" ] && playing=1
gcat=$await_pid
show="$tmp/g1.out $tmp/g1.err"
check "vox -> gst: udpsrc listens on 127.0.0.1:$port (a port from the PID: busy if this fails)" \
	'[ $playing -eq 1 ]'
if [ $playing -eq 1 ]; then
	$guard "$vox" send "$in" "127.0.0.1:$port" --insecure --codec opus --json \
		>"$tmp/s1.out" 2>"$tmp/s1.err"
	src=$?
	kill -INT "$gpid"
else
	src=1
fi
wait "$gpid"
grc=$?
wait "$gcat"
show="$tmp/s1.out $tmp/s1.err $tmp/g1.out $tmp/g1.err"
check "vox -> gst: vox send succeeds, gst-launch ends on EOS with status 0" \
	'[ $src -eq 0 ] && [ $grc -eq 0 ] && grep -q "^Got EOS" "$tmp/g1.out"'
check "vox -> gst: GStreamer's WAV is 48 kHz mono and covers the input" \
	'[ "$(soxi -r "$tmp/g1.wav" 2>/dev/null)" = 48000 ] && [ "$(soxi -c "$tmp/g1.wav")" -eq 1 ] &&
	 [ "$(soxi -s "$tmp/g1.wav")" -ge "$in_samples" ]'
show="$tmp/g1.wav.q"
check "vox -> gst: STOI >= 0.9" 'stoi_ok "$tmp/g1.wav"'

# --- 2. GStreamer -> vox recv ---------------------------------------------------------------
mkfifo "$tmp/r2.fifo"
$guard "$vox" recv --listen 127.0.0.1:0 --insecure -o "$tmp/r2.wav" --idle-exit 1 --json \
	>"$tmp/r2.out" 2>"$tmp/r2.fifo" &
rpid=$!
await_line "$tmp/r2.fifo" "$tmp/r2.err" "*listening on*"
rport=${line##*:}
rport=${rport:-0}
rcat=$await_pid
show="$tmp/r2.err"
check "gst -> vox: vox recv listens" '[ "$rport" -gt 0 ]'
# sync=true: udpsink paces the packets in real time, as a live sender would.
$guard gst-launch-1.0 filesrc location="$in" ! wavparse ! audioconvert ! audioresample ! \
	"$raw48" ! opusenc ! rtpopuspay pt=111 ! udpsink host=127.0.0.1 port="$rport" sync=true \
	>"$tmp/g2.out" 2>"$tmp/g2.err"
grc=$?
# A sender that failed may have sent nothing, and --idle-exit counts from the
# first datagram: stop the receiver then.
if [ $grc -ne 0 ] || [ "$rport" -eq 0 ]; then kill -TERM "$rpid"; fi
wait "$rpid"
rrc=$?
wait "$rcat"
show="$tmp/g2.out $tmp/g2.err $tmp/r2.out $tmp/r2.err"
check "gst -> vox: gst-launch and vox recv succeed" '[ $grc -eq 0 ] && [ $rrc -eq 0 ]'
check "gst -> vox: every datagram is an Opus RTP packet on PT 111, decoded, none lost" \
	'd=$(field datagrams "$tmp/r2.out") && [ "$d" -gt 0 ] &&
	 [ "$(field packets "$tmp/r2.out")" -eq "$d" ] && [ "$(field frames "$tmp/r2.out")" -eq "$d" ] &&
	 grep -q "\"codec\":\"opus\"" "$tmp/r2.out" &&
	 zeros "$tmp/r2.out" lost concealed late duplicate decode_errors not_rtp wrong_pt wrong_ssrc'
check "gst -> vox: vox's WAV covers the input" '[ "$(soxi -s "$tmp/r2.wav")" -ge "$in_samples" ]'
show="$tmp/r2.wav.q"
check "gst -> vox: STOI >= 0.9" 'stoi_ok "$tmp/r2.wav"'
for f in "$tmp/g1.wav.q" "$tmp/r2.wav.q"; do
	[ -f "$f" ] && sed "s|^|# $(basename "$f" .q): |" "$f"
done
done_testing
