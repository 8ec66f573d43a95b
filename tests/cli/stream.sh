#!/bin/sh
# vox send and vox recv on loopback, as TAP: secured and --insecure streams of
# real speech (alsa-utils' Front_Center.wav, 1.43 s, 48 kHz mono), exact for pcm,
# loose for Opus; crossed security modes and wrong keys are refused and counted;
# through vox impair every lost frame is FEC-recovered or concealed.
# Receivers and the proxy listen on port 0 and print the port they got; the
# script reads that line from a FIFO before starting the sender, so nothing
# waits on a sleep. Counts are compared, never times. VOX names the binary.
set -u
vox=${VOX:-build/vox}
in=/usr/share/sounds/alsa/Front_Center.wav
. tests/tap.sh

# start_recv TAG ARGS...: vox recv in the background, stdout to $tmp/TAG.out and
# stderr to $tmp/TAG.err; returns once it listens, with its port in $rport.
start_recv() {
	tag=$1
	shift
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	"$vox" recv --listen 127.0.0.1:0 --idle-exit 1 --json "$@" \
		>"$tmp/$tag.out" 2>"$tmp/fifo" &
	rpid=$!
	await_line "$tmp/fifo" "$tmp/$tag.err" "*listening on*"
	rport=${line##*:}
	rport=${rport:-0}
	rcat=$await_pid
}
finish_recv() { # sets $rrc
	wait "$rpid"
	rrc=$?
	wait "$rcat"
}
# send_to TAG ARGS...: vox send the input to the receiver `start_recv rTAG` started,
# its output in $tmp/sTAG.out and .err; then waits for both ends: $src, $rrc, $show.
send_to() {
	tag=$1
	shift
	"$vox" send "$in" "127.0.0.1:$rport" "$@" >"$tmp/s$tag.out" 2>"$tmp/s$tag.err"
	src=$?
	finish_recv
	show="$tmp/s$tag.out $tmp/s$tag.err $tmp/r$tag.out $tmp/r$tag.err"
}
# field NAME FILE: a number from the JSON summary
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2"; }
# samples FILE: 16-bit mono samples of a WAV file, as raw bytes
raw() { sox "$1" -t raw -e signed -b 16 -c 1 "$2"; }
in_samples=$(soxi -s "$in")
pcm_frames=$(( (in_samples + 479) / 480 ))  # 10 ms frames, the last one padded
opus_frames=$(( (in_samples + 959) / 960 )) # 20 ms frames
raw "$in" "$tmp/in.raw"
in_bytes=$(stat -c %s "$tmp/in.raw")

# exact OUT FRAMES FRAMESIZE: OUT's first samples are the input's, then zeros
# (the padding of the last frame), FRAMES x FRAMESIZE samples in all.
exact() {
	raw "$1" "$tmp/out.raw" &&
		test "$(stat -c %s "$tmp/out.raw")" -eq $(($2 * $3 * 2)) &&
		cmp -s -n "$in_bytes" "$tmp/in.raw" "$tmp/out.raw" &&
		test -z "$(tail -c +$((in_bytes + 1)) "$tmp/out.raw" | tr -d '\000')"
}

"$vox" keygen -o "$tmp/s.key" >"$tmp/s.pub"
"$vox" keygen -o "$tmp/r.key" >"$tmp/r.pub"
"$vox" keygen -o "$tmp/x.key" >"$tmp/x.pub"
spub=$(cat "$tmp/s.pub") rpub=$(cat "$tmp/r.pub") xpub=$(cat "$tmp/x.pub")
send_key="--key $tmp/s.key --peer $rpub"
recv_key="--key $tmp/r.key --peer $spub"

# --- usage ------------------------------------------------------------------------
"$vox" send "$in" 127.0.0.1:9 >"$tmp/u.out" 2>"$tmp/u.err"
rc=$?
check "send: neither keys nor --insecure is a usage error" \
	'[ $rc -eq 2 ] && grep -q "key and --peer are needed" "$tmp/u.err"'
"$vox" send "$in" 127.0.0.1:9 --codec pcm --frame-ms 20 $send_key >"$tmp/u.out" 2>"$tmp/u.err"
rc=$?
check "send: a secured pcm frame over 10 ms does not fit a session message" \
	'[ $rc -eq 2 ] && grep -q "at most 10 ms" "$tmp/u.err"'
"$vox" recv --listen 127.0.0.1:0 >"$tmp/u.out" 2>"$tmp/u.err"
rc=$?
check "recv: -o is needed" '[ $rc -eq 2 ] && grep -q "both needed" "$tmp/u.err"'

# --- 1. secured pcm: bit-exact ---------------------------------------------------------
start_recv r1 -o "$tmp/r1.wav" $recv_key
send_to 1 --codec pcm --json $send_key
check "secure pcm: both ends succeed, every frame sent" \
	'[ $src -eq 0 ] && [ $rrc -eq 0 ] && [ "$(field frames "$tmp/s1.out")" -eq $pcm_frames ]'
check "secure pcm: one handshake, every frame received, none lost" \
	'[ "$(field handshakes "$tmp/r1.out")" -eq 1 ] && [ "$(field frames "$tmp/r1.out")" -eq $pcm_frames ] &&
	 [ "$(field lost "$tmp/r1.out")" -eq 0 ] && [ "$(field concealed "$tmp/r1.out")" -eq 0 ]'
check "secure pcm: output equals input sample for sample" 'exact "$tmp/r1.wav" $pcm_frames 480'

# --- 2. secured Opus: frame count and loudness -------------------------------------------
start_recv r2 -o "$tmp/r2.wav" $recv_key
send_to 2 --json $send_key
check "secure opus: every 20 ms frame arrives, none lost" \
	'[ $src -eq 0 ] && [ $rrc -eq 0 ] && [ "$(field frames "$tmp/r2.out")" -eq $opus_frames ] &&
	 [ "$(field lost "$tmp/r2.out")" -eq 0 ] && [ "$(soxi -s "$tmp/r2.wav")" -eq $((opus_frames * 960)) ]'
rms() { sox "$1" -n stat 2>&1 | sed -n 's/^RMS *amplitude: *//p'; }
check "secure opus: output RMS within 3 dB of the input's" \
	'awk -v a="$(rms "$in")" -v b="$(rms "$tmp/r2.wav")" \
	 "BEGIN { d = 20 * log(b / a) / log(10); exit !(d > -3 && d < 3) }"'

# --- 3. --insecure: bare RTP, and no mixing with secured peers ----------------------------------
start_recv r3 -o "$tmp/r3.wav" --insecure
send_to 3 --codec pcm --json --insecure
warning="--insecure: audio is sent unencrypted and unauthenticated"
check "insecure pcm: both ends warn on stderr" \
	'grep -q -- "^vox send: $warning" "$tmp/s3.err" && grep -q -- "^vox recv: $warning" "$tmp/r3.err"'
check "insecure pcm: every packet is bare RTP, output exact" \
	'[ $src -eq 0 ] && [ $rrc -eq 0 ] && [ "$(field datagrams "$tmp/r3.out")" -eq $pcm_frames ] &&
	 [ "$(field packets "$tmp/r3.out")" -eq $pcm_frames ] && [ "$(field not_rtp "$tmp/r3.out")" -eq 0 ] &&
	 exact "$tmp/r3.wav" $pcm_frames 480'

start_recv r3b -o "$tmp/r3b.wav" --insecure
send_to 3b --codec pcm --handshake-timeout 1 $send_key
check "secured sender, insecure receiver: handshakes are not RTP, no audio" \
	'[ $src -eq 1 ] && grep -q "no handshake response" "$tmp/s3b.err" &&
	 [ "$(field not_rtp "$tmp/r3b.out")" -ge 1 ] && [ "$(field packets "$tmp/r3b.out")" -eq 0 ]'

start_recv r3c -o "$tmp/r3c.wav" $recv_key
send_to 3c --codec pcm --insecure --json
check "insecure sender, secured receiver: every bare RTP packet dropped as malformed" \
	'[ $src -eq 0 ] && [ "$(field malformed "$tmp/r3c.out")" -eq $pcm_frames ] &&
	 [ "$(field packets "$tmp/r3c.out")" -eq 0 ] && [ "$(soxi -s "$tmp/r3c.wav")" -eq 0 ]'

# --- 4. wrong keys: no handshake, the drop counted ------------------------------------------
start_recv r4 -o "$tmp/r4.wav" --key "$tmp/r.key" --peer "$xpub"
send_to 4 --handshake-timeout 1 $send_key
check "receiver expects another peer: sender fails with no handshake response" \
	'[ $src -eq 1 ] && grep -q "no handshake response from 127.0.0.1:$rport" "$tmp/s4.err"'
check "receiver expects another peer: it counts the unknown-peer initiations" \
	'[ "$(field hs_unknown_peer "$tmp/r4.out")" -ge 1 ] && [ "$(field packets "$tmp/r4.out")" -eq 0 ]'
start_recv r4b -o "$tmp/r4b.wav" $recv_key
send_to 4b --handshake-timeout 1 --key "$tmp/s.key" --peer "$xpub"
check "sender names the wrong receiver key: exit 1, receiver counts forged handshakes" \
	'[ $src -eq 1 ] && grep -q "no handshake response" "$tmp/s4b.err" &&
	 [ "$(field hs_forged "$tmp/r4b.out")" -ge 1 ]'

# --- 5. through vox impair: every lost frame recovered or concealed -----------------------
start_recv r5 -o "$tmp/r5.wav" $recv_key
rm -f "$tmp/fifo"
mkfifo "$tmp/fifo"
"$vox" impair --listen 127.0.0.1:0 --forward "127.0.0.1:$rport" --spec "loss=10%" --seed 1 \
	--idle-exit 1 --json --stats "$tmp/i5.stats" --log "$tmp/i5.log" 2>"$tmp/fifo" &
ipid=$!
exec 4<"$tmp/fifo"
read -r ready <&4
iport=$(echo "$ready" | sed -n 's/.*relaying 127.0.0.1:\([0-9]*\) .*/\1/p')
"$vox" send "$in" "127.0.0.1:$iport" --fec 10 --bitrate 24000 --json $send_key \
	>"$tmp/s5.out" 2>"$tmp/s5.err"
src=$?
finish_recv
wait "$ipid"
cat <&4 >"$tmp/i5.err"
exec 4<&-
show="$tmp/s5.out $tmp/s5.err $tmp/r5.out $tmp/r5.err $tmp/i5.stats"
lost=$(field lost "$tmp/r5.out")
check "impaired opus: frames were lost" '[ $src -eq 0 ] && [ $rrc -eq 0 ] && [ "${lost:-0}" -gt 0 ]'
check "impaired opus: lost = concealed + FEC-recovered" \
	'[ "$lost" -eq $(( $(field concealed "$tmp/r5.out") + $(field fec_recovered "$tmp/r5.out") )) ]'
# The sender's last $opus_frames datagrams are the RTP packets (before them: the
# handshake and its keepalive). With no end-of-stream signal in RTP, the stream
# the receiver knows runs from the first to the last packet delivered: the output
# holds those frames, and the losses between them are the lost frames.
awk -v nrtp=$opus_frames '$1 == "in" && $3 == "c2s" { fate[$2] = $5; total++ }
	END {
		for (i = total - nrtp; i < total; i++)
			if (fate[i] != "lost") { if (first == "") first = i; last = i }
		for (i = first; i <= last; i++) if (fate[i] == "lost") lost++
		printf "frames %d lost %d\n", last - first + 1, lost
	}' "$tmp/i5.log" >"$tmp/i5.expected"
show="$show $tmp/i5.expected"
# Seed 1 loses 5 of the 74 datagrams, none of them the handshake or the first
# or last RTP packet, so the whole stream's length is known to the receiver.
check "impaired opus: the output is as long as the input (in whole frames)" \
	'[ "$(soxi -s "$tmp/r5.wav")" -eq $((opus_frames * 960)) ]'
check "impaired opus: frames written and lost match the proxy's log exactly" \
	'test "$(cat "$tmp/i5.expected")" = "frames $(field frames "$tmp/r5.out") lost $lost" &&
	 [ "$(soxi -s "$tmp/r5.wav")" -eq $(( $(field frames "$tmp/r5.out") * 960 )) ]'

done_testing
