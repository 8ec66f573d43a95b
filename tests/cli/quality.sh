#!/bin/sh
# vox quality end to end: a file against itself, against a sox-delayed copy, one
# edited as a jitter buffer would edit it and a noisy one, the JSON keys, and each
# failure's exit status and message. TAP output; VOX names the binary. Fixtures come
# from alsa-utils' speech, made here with sox.
set -u
vox=${VOX:-build/vox}
. tests/tap.sh

need_alsa_speech Front_Center Front_Left
speech=/usr/share/sounds/alsa/Front_Center.wav

# 2.9 s of speech: Front_Center then Front_Left.
sox "$speech" /usr/share/sounds/alsa/Front_Left.wav "$tmp/ref.wav"

"$vox" quality --json "$tmp/ref.wav" "$tmp/ref.wav" >"$tmp/self.json"
rc=$?
check "self: exit 0" '[ $rc -eq 0 ]'
check "self: JSON has stoi, lsd_db, delay_ms" \
	'grep -q "^{\"stoi\": [-0-9.]*, \"lsd_db\": [0-9.]*, \"delay_ms\": [-0-9.]*, " "$tmp/self.json"'
check "self: stoi >= 0.99" 'ge "$(json_num stoi "$tmp/self.json")" 0.99'
check "self: lsd_db < 0.1" 'lt "$(json_num lsd_db "$tmp/self.json")" 0.1'
check "self: delay_ms 0" 'eq "$(json_num delay_ms "$tmp/self.json")" 0'

sox "$tmp/ref.wav" "$tmp/pad.wav" pad 0.1
"$vox" quality --json "$tmp/ref.wav" "$tmp/pad.wav" >"$tmp/pad.json"
check "sox pad 0.1: delay_ms 100 exactly" 'eq "$(json_num delay_ms "$tmp/pad.json")" 100'
check "sox pad 0.1: stoi >= 0.99" 'ge "$(json_num stoi "$tmp/pad.json")" 0.99'
check "sox pad 0.1: no delay change, 100 ms throughout" \
	'eq "$(json_num delay_changes "$tmp/pad.json")" 0 &&
	 eq "$(json_num delay_min_ms "$tmp/pad.json")" 100 &&
	 eq "$(json_num delay_max_ms "$tmp/pad.json")" 100'

# A jitter buffer's edits, in the speech's pauses: 20 ms of silence at 0.7 s, 40 ms
# at the join of the two files, and 20 ms cut at 2.0 s (2.06 s after the padding).
sox "$tmp/ref.wav" "$tmp/edit.wav" pad 0.02@0.7 0.04@1.428 trim 0 =2.06 =2.08
"$vox" quality --json "$tmp/ref.wav" "$tmp/edit.wav" >"$tmp/edit.json"
check "edited: three delay changes, 0..60 ms" \
	'eq "$(json_num delay_changes "$tmp/edit.json")" 3 &&
	 eq "$(json_num delay_min_ms "$tmp/edit.json")" 0 &&
	 eq "$(json_num delay_max_ms "$tmp/edit.json")" 60'
check "edited: stoi >= 0.98" 'ge "$(json_num stoi "$tmp/edit.json")" 0.98'

# DEG ahead of REF: its first 25 ms cut off.
sox "$tmp/ref.wav" "$tmp/trim.wav" trim 0.025
"$vox" quality --json "$tmp/ref.wav" "$tmp/trim.wav" >"$tmp/trim.json"
check "sox trim 0.025: delay_ms -25 exactly" 'eq "$(json_num delay_ms "$tmp/trim.json")" -25'

# Seeded white noise mixed in at about 5 dB below the speech: worse on both scores.
sox -R -n -r 48000 -c 1 -b 16 "$tmp/noise.wav" synth 2.9 whitenoise vol 0.05
sox -m "$tmp/ref.wav" "$tmp/noise.wav" "$tmp/noisy.wav"
"$vox" quality --json "$tmp/ref.wav" "$tmp/noisy.wav" >"$tmp/noisy.json"
check "noisy: stoi below 0.99" 'lt "$(json_num stoi "$tmp/noisy.json")" 0.99'
check "noisy: lsd_db above 1" 'ge "$(json_num lsd_db "$tmp/noisy.json")" 1'

"$vox" quality "$tmp/ref.wav" "$tmp/pad.wav" >"$tmp/table"
check "table: names STOI, LSD and delay" \
	'grep -q "^STOI " "$tmp/table" && grep -q "^LSD " "$tmp/table" && grep -q "^delay  *100.000 ms" "$tmp/table"'
"$vox" quality "$tmp/ref.wav" "$tmp/edit.wav" >"$tmp/table"
check "table: the range of delays and their changes" \
	'grep -q "^delays  *0.000 \.\. 60.000 ms, 3 changes in 6 pieces" "$tmp/table"'
check "--help documents the JSON keys" \
	'"$vox" quality --help | grep -q "\"stoi\": S, \"lsd_db\": L, \"delay_ms\": D" &&
	 "$vox" quality --help | grep -q "\"delay_changes\": C, \"delay_min_ms\": A, \"delay_max_ms\": B"'

sox "$speech" "$tmp/short.wav" trim 0 0.3
printf 'not a wav file' >"$tmp/bad.wav"
check "missing file: exit 1" fails 1 "'$tmp/none.wav: open: No such file'" \
	'"$vox"' quality '"$tmp/ref.wav"' '"$tmp/none.wav"'
check "not a WAV: exit 1 with the reader's message" fails 1 "'$tmp/bad.wav: '" \
	'"$vox"' quality '"$tmp/bad.wav"' '"$tmp/ref.wav"'
check "too short: exit 1 naming the file" fails 1 "'short.wav: 0.300 s of audio; each file needs at least 0.5 s'" \
	'"$vox"' quality '"$tmp/short.wav"' '"$tmp/ref.wav"'
check "one file: exit 2" fails 2 "'no DEG file given'" '"$vox"' quality '"$tmp/ref.wav"'
check "no file: exit 2" fails 2 "'no files given'" '"$vox"' quality
check "three files: exit 2" fails 2 "'unexpected argument'" \
	'"$vox"' quality '"$tmp/ref.wav"' '"$tmp/ref.wav"' '"$tmp/ref.wav"'
check "unknown option: exit 2" fails 2 "'unknown option'" \
	'"$vox"' quality --frobnicate '"$tmp/ref.wav"' '"$tmp/ref.wav"'

done_testing
