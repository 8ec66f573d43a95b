#!/bin/sh
# vox's voice pipeline beside GStreamer's Opus/RTP/jitter-buffer pipeline (DESIGN.md,
# "Measuring quality"): the same speech, the same encoder settings, the same impairment
# model and seed, for a few network conditions. Per condition and system: CPU seconds
# per audio second, STOI and LSD of the output against the input (`vox quality`, one
# scorer for all), and what happened to the lost frames.
#
#   gstreamer  gst-launch-1.0 filesrc ! wavparse ! opusenc ! rtpopuspay ! udpsink sync=true
#              (paced in real time) -> `vox impair` on loopback -> gst-launch-1.0 udpsrc !
#              rtpjitterbuffer do-lost=true ! rtpopusdepay ! opusdec plc=true
#              use-inband-fec=true ! wavenc. CPU: user+sys of the two gst-launch
#              processes (/usr/bin/time), not of the proxy, which plays the network.
#   vox sim    `vox replay` on its virtual clock: CPU is its own figure (the pipeline from
#              first encode to last decode, without reading the WAV or scoring).
#   vox rt     `vox replay --realtime`: CPU of the whole process, both ends.
#   Both vox rows: CPU and STOI are medians of 3 runs, the rest from the last;
#   GStreamer's row is one run.
#
# Input: the first SECONDS (15; 0 = all 26 s) of tests/data/make-speech.sh's passage.wav,
# converted with sox (-R: the same dither every run) to 48 kHz mono 16-bit so that
# neither side resamples.
# Encoder, both sides: libopus VOIP ("voice"), 24 kb/s constrained VBR, 20 ms frames,
# complexity 9 and bandwidth chosen by libopus (libopus's defaults, which vox keeps).
# GStreamer's encoder is told the condition's loss up front (in-band FEC, expected
# loss rounded up); vox's sender starts protected (2 % expected loss) and follows
# its receiver's reports (pipeline/adapt.h), which may raise its bitrate to where
# libopus emits FEC and add RFC 2198 redundancy (its bitrate is in the JSON).
# GStreamer's opusenc defaults (complexity 10, forced fullband, "generic") are
# overridden to match. The network: delay uniform on 0..2 x JITTER (`vox replay
# --jitter`'s model; `vox impair` gets delay=JITTER,jitter=JITTER), loss Bernoulli or
# Gilbert (burst), seed 1 everywhere. rtpjitterbuffer's latency is 2 x JITTER + one
# frame (--latency MS to change it): the whole delay range plus a margin for the
# sender's scheduling. vox's buffer sizes itself (its mean delay is in the JSON).
#
# Concealment, GStreamer: "lost" is what the proxy dropped (its counters); "late" the
# packets rtpjitterbuffer dropped as too late (its drop messages, gst-launch -m);
# concealed frames come from opusdec's debug log (GST_DEBUG=opusdec:5, its gap
# durations). opusdec asks libopus for FEC whenever the packet after a gap is there,
# and libopus falls back to PLC without saying so when that packet carries no FEC:
# the FEC column is an upper bound ("<=") and PLC a lower bound (">="). "+len ms" is how
# much longer the output is than the input (GStreamer's PLC sometimes conceals more than
# the lost 20 ms); `vox quality` re-aligns piece by piece, so a shift costs STOI only
# where the audio itself differs.
#
# Ports: the proxy listens on a free port it reports; GStreamer's receiver on --port
# (default from the PID: udpsrc cannot report a port it picked). Nothing waits on a
# sleep: the receiver's readiness and the proxy's port are read from FIFOs, the proxy
# exits 1 s after the last datagram once all are delivered, then SIGINT makes the
# receiver (gst-launch -e) drain and finish its WAV.
#
# Prints a table (--json: JSON lines instead); JSON lines always go to
# BUILD/bench/peers-voice.jsonl, the WAVs and logs stay in BUILD/bench/peers/voice/.
# Takes about (SECONDS + 2) s per condition in real time, twice that with --realtime.
# Usage: bench/peers/voice.sh BUILD [--json] [--seconds S] [--port N] [--latency MS]
#                             [--conditions "NAME:LOSS:BURST ..."]
set -u
usage="usage: bench/peers/voice.sh BUILD [--json] [--seconds S] [--port N] [--latency MS] [--conditions LIST]"
build=${1:?$usage}
shift
json=0
seconds=15
latency=
# The grid: NAME:LOSS%:BURST (0: Bernoulli). Same jitter, bitrate and seed for all.
conditions="clean:0:0 burst5:5:2 random10:10:0"
gport=$((20000 + $$ % 20000))
while [ $# -gt 0 ]; do
	case $1 in
	--json) json=1 ;;
	--seconds) seconds=${2:?--seconds wants a number}; shift ;;
	--port) gport=${2:?--port wants a UDP port}; shift ;;
	--latency) latency=${2:?--latency wants milliseconds}; shift ;;
	--conditions) conditions=${2:?--conditions wants NAME:LOSS:BURST ...}; shift ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
	shift
done

jitter=20
bitrate=24000
seed=1
[ -n "$latency" ] || latency=$((2 * jitter + 20))

vox=$build/vox
dir=$build/bench/peers/voice
out=$build/bench/peers-voice.jsonl

die() {
	echo "voice: $*" >&2
	exit 1
}

for tool in gst-launch-1.0 gst-inspect-1.0 sox soxi mkfifo timeout; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found (scripts/install-deps.sh installs sox and gstreamer1.0-tools)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (install the package time)"
for element in filesrc wavparse audioconvert audioresample opusenc rtpopuspay udpsink \
	udpsrc rtpjitterbuffer rtpopusdepay opusdec wavenc filesink; do
	gst-inspect-1.0 "$element" >/dev/null 2>&1 ||
		die "GStreamer element $element not found (install gstreamer1.0-plugins-base and -good)"
done
[ -x "$vox" ] || die "$vox not built (make $vox)"

mkdir -p "$dir"
"$(dirname "$0")/../../tests/data/make-speech.sh" "$build/data/speech" || die "speech fixtures failed"
in=$dir/speech.wav
trim=
[ "$seconds" = 0 ] || trim="trim 0 $seconds"
# shellcheck disable=SC2086 # trim is two words or none
sox -R "$build/data/speech/passage.wav" -r 48000 -c 1 -b 16 "$in" $trim || die "sox failed"
audio_s=$(soxi -D "$in")
in_samples=$(soxi -s "$in")

# Processes of this script still running on exit, by PID only.
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -f "$dir"/*/*.fifo
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
guard="timeout -k 2 $(awk -v s="$audio_s" 'BEGIN { printf "%d", s + 30 }')"

# num NAME FILE: the number after the first "NAME": in a JSON file ("" if none)
num() { grep -o "\"$1\": *[0-9.eE+-]*" "$2" | head -n 1 | sed 's/.*: *//'; }
# cpu FILE: user + sys from /usr/bin/time -f '%U %S' (its last line)
cpu() { tail -n 1 "$1" | awk '{ print $1 + $2 }'; }
# extra WAV: how much longer than the input it is, in ms (48 kHz)
extra() { awk -v n="$(soxi -s "$1")" -v i="$in_samples" 'BEGIN { printf "%.1f", (n - i) / 48 }'; }
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

caps="application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=111"
raw48="audio/x-raw,rate=48000,channels=1"

# gstreamer NAME LOSS BURST: one run through `vox impair`; sets g_* figures.
gstreamer() {
	name=$1 loss=$2 burst=$3
	d=$dir/gst-$name
	rm -rf "$d"
	mkdir -p "$d"
	fec=false
	[ "$loss" = 0 ] || fec=true
	plp=$(awk -v l="$loss" 'BEGIN { c = int(l); if (c < l) c++; print c }')
	spec="delay=${jitter}ms,jitter=${jitter}ms"
	[ "$loss" = 0 ] || spec="$spec,loss=$loss%"
	[ "$burst" = 0 ] || spec="$spec,burst=$burst"

	mkfifo "$d/recv.fifo" "$d/proxy.fifo"
	# The receiver, under /usr/bin/time; sh records gst-launch's PID (it execs) for the
	# SIGINT. reuse=false: a port someone else holds is an error, not a silent share.
	# shellcheck disable=SC2016 # $$ and $@ are the inner shell's
	$guard /usr/bin/time -f '%U %S' -o "$d/recv.time" sh -c 'echo $$ >"$0"; exec "$@"' \
		"$d/recv.pid" env GST_DEBUG=opusdec:5 GST_DEBUG_NO_COLOR=1 \
		GST_DEBUG_FILE="$d/opusdec.log" gst-launch-1.0 -v -e -m \
		udpsrc address=127.0.0.1 port="$gport" reuse=false caps="$caps" ! \
		rtpjitterbuffer latency="$latency" do-lost=true post-drop-messages=true ! \
		rtpopusdepay ! opusdec plc=true use-inband-fec=true ! \
		audioconvert ! audioresample ! "$raw48" ! wavenc ! filesink location="$d/out.wav" \
		>"$d/recv.fifo" 2>"$d/recv.err" &
	rtime=$!
	pids="$pids $rtime"
	exec 3<"$d/recv.fifo"
	playing=0
	: >"$d/recv.out"
	while read -r line <&3; do
		echo "$line" >>"$d/recv.out"
		case $line in "Setting pipeline to PLAYING"*) playing=1; break ;; esac
	done
	cat <&3 >>"$d/recv.out" &
	rcat=$!
	exec 3<&-
	[ $playing = 1 ] || die "GStreamer's receiver did not start on 127.0.0.1:$gport (busy? try --port): $(cat "$d/recv.out" "$d/recv.err")"
	rpid=$(cat "$d/recv.pid")
	pids="$pids $rpid"

	"$vox" impair --listen 127.0.0.1:0 --forward "127.0.0.1:$gport" --spec "$spec" \
		--seed "$seed" --idle-exit 1 --log "$d/impair.log" --stats "$d/impair.json" --json \
		2>"$d/proxy.fifo" &
	ppid=$!
	pids="$pids $ppid"
	exec 3<"$d/proxy.fifo"
	pport=
	: >"$d/proxy.err"
	while read -r line <&3; do
		echo "$line" >>"$d/proxy.err"
		case $line in *"relaying "*) pport=${line#*relaying *:}; pport=${pport%% *}; break ;; esac
	done
	cat <&3 >>"$d/proxy.err" &
	pcat=$!
	exec 3<&-
	[ -n "$pport" ] || die "vox impair did not start: $(cat "$d/proxy.err")"

	$guard /usr/bin/time -f '%U %S' -o "$d/send.time" gst-launch-1.0 \
		filesrc location="$in" ! wavparse ! audioconvert ! audioresample ! "$raw48" ! \
		opusenc audio-type=voice bitrate="$bitrate" bitrate-type=constrained-vbr bandwidth=auto \
		complexity=9 frame-size=20 inband-fec="$fec" packet-loss-percentage="$plp" ! \
		rtpopuspay pt=111 ! udpsink host=127.0.0.1 port="$pport" sync=true \
		>"$d/send.out" 2>"$d/send.err" &
	spid=$!
	pids="$pids $spid"
	# In the background, so that a signal's trap runs at once, not after the sender.
	wait "$spid" || die "GStreamer's sender failed: $(cat "$d/send.err")"
	wait "$ppid" || die "vox impair failed: $(cat "$d/proxy.err")"
	wait "$pcat"
	kill -INT "$rpid"
	wait "$rtime" || die "GStreamer's receiver failed: $(tail -n 5 "$d/recv.out" "$d/recv.err")"
	wait "$rcat"
	pids=
	rm -f "$d"/*.fifo
	grep -q "^Got EOS" "$d/recv.out" || die "GStreamer's receiver ended without EOS"

	"$vox" quality "$in" "$d/out.wav" --json >"$d/quality.json" || die "vox quality failed"
	g_cpu=$(awk -v s="$(cpu "$d/send.time")" -v r="$(cpu "$d/recv.time")" -v a="$audio_s" \
		'BEGIN { printf "%.4f", (s + r) / a }')
	g_send=$(cpu "$d/send.time") g_recv=$(cpu "$d/recv.time")
	g_extra=$(extra "$d/out.wav")
	g_stoi=$(num stoi "$d/quality.json")
	g_lsd=$(num lsd_db "$d/quality.json")
	g_packets=$(num packets "$d/impair.json")
	g_lost=$(num lost "$d/impair.json")
	g_late=$(sed -n 's/.*drop-msg.*num-too-late=(uint)\([0-9]*\).*/\1/p' "$d/recv.out" |
		awk '{ s += $1 } END { print s + 0 }')
	# opusdec: one "missing buffer" line per gap (one or more frames), "Using NULL
	# buffer" when the packet after it is missing too (PLC only).
	# shellcheck disable=SC2046 # two numbers
	set -- $(awk '/missing buffer, doing PLC duration/ {
			split($0, a, "duration "); split(a[2], t, ":"); split(t[3], s, " ")
			secs = t[1] * 3600 + t[2] * 60 + s[1]; frames += int(secs / 0.02 + 0.5); gaps++ }
		/Using NULL buffer/ { plc++ }
		END { print frames + 0, gaps - plc }' "$d/opusdec.log")
	g_concealed=$1 g_fec=$2
}

# vox_replay NAME LOSS BURST [--realtime]: sets v_* figures.
vox_replay() {
	name=$1 loss=$2 burst=$3
	shift 3
	mode=sim
	[ $# -gt 0 ] && mode=rt
	d=$dir/vox-$mode-$name
	rm -rf "$d"
	mkdir -p "$d"
	set -- "$@" --codec opus --bitrate "$bitrate" --loss "$loss" --jitter "$jitter" --seed "$seed" --json
	[ "$burst" = 0 ] || set -- "$@" --burst "$burst"
	cpus=
	stois=
	i=0
	while [ $i -lt 3 ]; do
		$guard "$vox" replay "$in" "$d/out.wav" "$@" >"$d/replay.json" 2>"$d/replay.err" &
		vpid=$!
		pids="$pids $vpid"
		wait "$vpid"
		rc=$?
		pids=
		[ $rc = 0 ] || die "vox replay failed: $(cat "$d/replay.err")"
		cpus="$cpus $(num cpu_s_per_audio_s "$d/replay.json")"
		"$vox" quality "$in" "$d/out.wav" --json >"$d/quality.json" || die "vox quality failed"
		stois="$stois $(num stoi "$d/quality.json")"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086 # one word per run
	v_cpu=$(median3 $cpus)
	# shellcheck disable=SC2086
	v_stoi=$(median3 $stois)
	v_extra=$(extra "$d/out.wav")
	v_lsd=$(num lsd_db "$d/quality.json")
	v_lost=$(num lost "$d/replay.json")
	v_late=$(num late "$d/replay.json")
	v_fec=$(num fec_recovered "$d/replay.json")
	v_concealed=$(num concealed "$d/replay.json")
	v_jb=$(num mean "$d/replay.json")
}

vox_json() {
	printf '"cpu_s_per_audio_s":%s,"stoi":%s,"lsd_db":%s,"lost":%s,"late":%s,"fec_recovered":%s,"concealed":%s,"jitter_buffer_mean_ms":%s,"extra_ms":%s' \
		"$(jnum "$v_cpu")" "$(jnum "$v_stoi")" "$(jnum "$v_lsd")" "$(jnum "$v_lost")" \
		"$(jnum "$v_late")" "$(jnum "$v_fec")" "$(jnum "$v_concealed")" "$(jnum "$v_jb")" "$(jnum "$v_extra")"
}

# row CONDITION SYSTEM CPU STOI LSD LOST LATE FEC PLC EXTRA JSON: a table row, and a
# JSON line ending in JSON (more "key":value pairs) into $out.
row() {
	[ $json = 1 ] || printf '%-28s %-10s %9s %7s %7s %6s %5s %6s %6s %7s\n' "$1" "$2" "$3" "$4" \
		"$5" "$6" "$7" "$8" "$9" "${10}"
	printf '{"suite":"peers-voice","case":"%s/%s","condition":"%s","system":"%s","audio_s":%s,"bitrate":%d,"seed":%d,%s}\n' \
		"$1" "$2" "$1" "$2" "$audio_s" "$bitrate" "$seed" "${11}" >>"$out"
	[ $json = 0 ] || tail -n 1 "$out"
}
# jnum X: X as a JSON value (n/a: null)
jnum() { case $1 in n/a | "") echo null ;; *) echo "$1" ;; esac; }

: >"$out"
[ $json = 1 ] || {
	printf '%s s of speech, Opus %d b/s 20 ms, jitter 0-%d ms, seed %d, rtpjitterbuffer latency %d ms\n' \
		"$audio_s" "$bitrate" $((2 * jitter)) "$seed" "$latency"
	printf '%-28s %-10s %9s %7s %7s %6s %5s %6s %6s %7s\n' condition system "CPU s/s" STOI "LSD dB" \
		lost late FEC PLC "+len ms"
}
for c in $conditions; do
	name=${c%%:*}
	rest=${c#*:}
	loss=${rest%%:*}
	burst=${rest#*:}
	label="loss=$loss%"
	[ "$burst" = 0 ] || label="$label,burst=$burst"
	label="$label,jitter=${jitter}ms"

	gstreamer "$name" "$loss" "$burst"
	row "$label" gstreamer "$g_cpu" "$g_stoi" "$g_lsd" "$g_lost" "$g_late" "<=$g_fec" \
		">=$((g_concealed - g_fec))" "$g_extra" \
		"\"extra_ms\":$g_extra,\"cpu_s_per_audio_s\":$g_cpu,\"cpu_send_s\":$g_send,\"cpu_receive_s\":$g_recv,\"stoi\":$g_stoi,\"lsd_db\":$g_lsd,\"packets\":$g_packets,\"lost\":$g_lost,\"late\":$g_late,\"concealed\":$g_concealed,\"fec_tried\":$g_fec,\"jitterbuffer_latency_ms\":$latency"
	vox_replay "$name" "$loss" "$burst"
	row "$label" "vox sim" "$v_cpu" "$v_stoi" "$v_lsd" "$v_lost" "$v_late" "$v_fec" "$v_concealed" "$v_extra" \
		"$(vox_json)"
	vox_replay "$name" "$loss" "$burst" --realtime
	row "$label" "vox rt" "$v_cpu" "$v_stoi" "$v_lsd" "$v_lost" "$v_late" "$v_fec" "$v_concealed" "$v_extra" \
		"$(vox_json)"
	[ $json = 1 ] || echo "  gstreamer: send $g_send s + receive $g_recv s CPU; proxy: $g_packets packets, $g_lost lost"
done
