#!/bin/sh
# Secure transport end to end: vox keygen/pubkey, and a loopback handshake plus
# 10,000 encrypted RTP packets through vox impair, whose per-packet log must
# account exactly for what the receiver saw lost, reordered and duplicated.
# TAP output; VOX names the binary, BUILD the build directory (for the helper).
set -u
vox=${VOX:-build/vox}
peer=${BUILD:-build}/tests/session_peer
. tests/tap.sh

b64key='^[A-Za-z0-9+/]\{43\}=$'

# --- keys ---------------------------------------------------------------------------
"$vox" keygen -o "$tmp/a.key" >"$tmp/a.pub" 2>"$tmp/err"
check "keygen: writes the key and prints a base64 public key" \
	'test -s "$tmp/a.key" && grep -q "$b64key" "$tmp/a.pub" && test "$(wc -l <"$tmp/a.pub")" -eq 1'
check "keygen: the file is mode 0600" 'test "$(stat -c %a "$tmp/a.key")" = 600'
check "keygen: the file is the documented two lines" \
	'sed -n 1p "$tmp/a.key" | grep -qx "vox-x25519-private-key" &&
	 sed -n 2p "$tmp/a.key" | grep -q "$b64key" && test "$(wc -l <"$tmp/a.key")" -eq 2'
check "pubkey: derives the same public key" \
	'test "$("$vox" pubkey "$tmp/a.key")" = "$(cat "$tmp/a.pub")"'
"$vox" keygen -o "$tmp/b.key" >"$tmp/b.pub"
check "keygen twice: two different keys" \
	'! cmp -s "$tmp/a.key" "$tmp/b.key" && ! cmp -s "$tmp/a.pub" "$tmp/b.pub"'
cp "$tmp/a.key" "$tmp/a.copy"
check "keygen: refuses to overwrite, file untouched" \
	'fails 1 "exists" "$vox" keygen -o "$tmp/a.key" && cmp -s "$tmp/a.key" "$tmp/a.copy"'
(umask 000 && "$vox" keygen -o "$tmp/c.key" >/dev/null)
check "keygen: 0600 whatever the umask" 'test "$(stat -c %a "$tmp/c.key")" = 600'
"$vox" keygen >"$tmp/d.key" 2>"$tmp/d.err"
check "keygen without -o: key file on stdout, public key on stderr" \
	'chmod 600 "$tmp/d.key" && test "$("$vox" pubkey "$tmp/d.key")" = "$(sed -n "s/^public key: //p" "$tmp/d.err")"'
chmod 644 "$tmp/a.copy"
check "pubkey: warns about a readable key, still answers" \
	'"$vox" pubkey "$tmp/a.copy" >"$tmp/out" 2>"$tmp/err" && grep -q "warning.*0644" "$tmp/err" &&
	 cmp -s "$tmp/out" "$tmp/a.pub"'
printf 'something else\nAAAA\n' >"$tmp/bad1"
check "pubkey: a file without the header" 'fails 1 "not a vox private key" "$vox" pubkey "$tmp/bad1"'
printf 'vox-x25519-private-key\nnot base64!\n' >"$tmp/bad2"
check "pubkey: a key line that is not base64" 'fails 1 "not base64" "$vox" pubkey "$tmp/bad2"'
printf 'vox-x25519-private-key\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n' >"$tmp/bad3"
check "pubkey: a key of the wrong length" 'fails 1 "wrong key length" "$vox" pubkey "$tmp/bad3"'
check "pubkey: a missing file" 'fails 1 "No such file" "$vox" pubkey "$tmp/none"'
check "pubkey: no argument is a usage error" 'fails 2 "missing FILE" "$vox" pubkey'
check "impair: --listen and --forward are needed" 'fails 2 "both needed" "$vox" impair --listen 127.0.0.1:1'
check "impair: a bad spec names the key" \
	'fails 2 "impair: " "$vox" impair --listen 127.0.0.1:1 --forward 127.0.0.1:2 --spec "loss=5"'

# --- loopback session through vox impair ----------------------------------------------
# Fixed ports derived from the PID: the helper and the proxy must know each other.
port=$((20000 + $$ % 20000))
spec="loss=5%,burst=3,delay=2ms,jitter=1ms,dup=1%,reorder=2%:3ms"
mkfifo "$tmp/fifo"
"$vox" impair --listen "127.0.0.1:$port" --forward "127.0.0.1:$((port + 1))" --spec "$spec" \
	--seed 7 --idle-exit 1 --log "$tmp/log" --json --stats "$tmp/stats" 2>"$tmp/fifo" &
proxy=$!
# Start the peers once the proxy listens: an initiation sent before would be
# refused by the kernel, a datagram the proxy's log never sees.
exec 3<"$tmp/fifo"
read -r ready <&3
"$peer" "127.0.0.1:$port" "127.0.0.1:$((port + 1))" 10000 "$tmp/sent" >"$tmp/peer" 2>"$tmp/peer.err"
peer_rc=$?
wait "$proxy"
proxy_rc=$?
cat <&3 >"$tmp/impair.err"
exec 3<&-
check "impair: says where it listens" 'echo "$ready" | grep -q "relaying 127.0.0.1:$port -> "'
check "session: handshake and 10000 packets through the proxy" \
	'[ "$peer_rc" -eq 0 ] && [ "$proxy_rc" -eq 0 ] && grep -q "^sent 10000 accepted" "$tmp/peer"'
check "session: the proxy saw every datagram the initiator sent" \
	'test "$(grep -c "^in [0-9]* c2s" "$tmp/log")" -eq "$(wc -l <"$tmp/sent")"'
# What the proxy's log says happened to the RTP packets, in the receiver's terms:
# lost = dropped copies of RTP packets; duplicated = second copies of transport
# packets (the replay window refuses them); reordered = first copies, in sending
# order, whose sequence number is below the highest before them.
awk 'FNR == NR { kind[$1] = $2; seq[$1] = $3; next }
	$1 == "in" && $3 == "c2s" {
		if (kind[$2] == "rtp" && $5 == "lost") lost++
		if (kind[$2] != "init" && $5 == "duplicated") dup++
	}
	$1 == "out" && $3 == "c2s" && kind[$2] == "rtp" {
		s = seq[$2]
		if (s in seen) next
		seen[s] = 1
		if (any && s < max) reord++
		if (!any || s > max) max = s
		any = 1
	}
	END { printf "expected lost %d reordered %d duplicated %d\n", lost, reord, dup }' \
	"$tmp/sent" "$tmp/log" >"$tmp/expected"
field() { sed -n "s/.* $1 \([0-9]*\).*/\1/p" "$2"; }
check "session: lost packets match the proxy's log exactly" \
	'test -n "$(field lost "$tmp/peer")" && test "$(field lost "$tmp/peer")" = "$(field lost "$tmp/expected")"'
check "session: reordered packets match exactly" \
	'test "$(field reordered "$tmp/peer")" = "$(field reordered "$tmp/expected")"'
check "session: duplicates refused by the replay window match exactly" \
	'test "$(field duplicated "$tmp/peer")" = "$(field duplicated "$tmp/expected")"'
check "session: the impairment really happened (losses, reorders, duplicates)" \
	'[ "$(field lost "$tmp/expected")" -gt 100 ] && [ "$(field reordered "$tmp/expected")" -gt 0 ] &&
	 [ "$(field duplicated "$tmp/expected")" -gt 0 ]'
check "session: nothing forged or malformed" 'grep -q " forged 0 other 0$" "$tmp/peer"'
check "impair: JSON counters agree with the log" \
	'grep -q "\"c2s\":{\"packets\":$(wc -l <"$tmp/sent"),.*\"lost\":$(grep -c "^in [0-9]* c2s [0-9]* lost" "$tmp/log")," "$tmp/stats"'
if [ "$failed" -ne 0 ]; then
	echo "# peer: $(cat "$tmp/peer" "$tmp/peer.err")"
	echo "# expected: $(cat "$tmp/expected")"
	echo "# proxy: $(cat "$tmp/stats" "$tmp/impair.err")"
fi

done_testing
