#!/bin/sh
# Speech fixtures, built at test time from Debian packages (no audio in git):
#   front_center.wav front_left.wav front_right.wav
#       alsa-utils' /usr/share/sounds/alsa/*.wav (a voice naming the speaker,
#       48 kHz mono 16-bit, 1-2 s), peak-normalised to -1 dBFS with sox.
#   passage.wav  "The North Wind and the Sun" (the IPA's reference passage, public
#       domain), about 25 s of espeak-ng speech at its native 22050 Hz mono:
#       readers resample it. passage.txt is its text.
# Idempotent: a fixture that exists is kept, so a second run takes milliseconds.
# Each file appears whole or not at all (written under a temporary name, then moved).
# Usage: tests/data/make-speech.sh OUTDIR
set -eu
out=${1:?usage: $0 OUTDIR}
mkdir -p "$out"

need() {
	command -v "$1" >/dev/null 2>&1 ||
		{ echo "make-speech: $1 not found (install $2)" >&2; exit 1; }
}

alsa=/usr/share/sounds/alsa
for name in Front_Center Front_Left Front_Right; do
	dst=$out/$(echo "$name" | tr 'A-Z' 'a-z').wav
	[ -s "$dst" ] && continue
	[ -f "$alsa/$name.wav" ] ||
		{ echo "make-speech: $alsa/$name.wav missing (install alsa-utils)" >&2; exit 1; }
	need sox sox
	sox --norm=-1 "$alsa/$name.wav" -t wav -b 16 "$dst.tmp"
	mv "$dst.tmp" "$dst"
done

if [ ! -s "$out/passage.wav" ]; then
	need espeak-ng espeak-ng
	cat >"$out/passage.txt" <<'TEXT'
The North Wind and the Sun were disputing which was the stronger, when a traveler
came along wrapped in a warm cloak. They agreed that the one who first succeeded in
making the traveler take his cloak off should be considered stronger than the other.
Then the North Wind blew as hard as he could, but the more he blew the more closely
did the traveler fold his cloak around him; and at last the North Wind gave up the
attempt. Then the Sun shone out warmly, and immediately the traveler took off his
cloak. And so the North Wind was obliged to confess that the Sun was the stronger of
the two.
TEXT
	espeak-ng -v en -s 210 -w "$out/passage.wav.tmp" -f "$out/passage.txt"
	mv "$out/passage.wav.tmp" "$out/passage.wav"
fi
