#!/bin/sh
# Install the Debian packages the project needs to build, test and benchmark.
# Idempotent: when everything is present it only checks, in well under a second.
set -eu

PACKAGES="
	make gcc clang libclang-rt-14-dev pkg-config
	libxxhash-dev libcmocka-dev libopus-dev libspeexdsp-dev libzstd-dev
	libsodium-dev libasound2-dev libck-dev libjack-jackd2-dev libjansson-dev
	libfftw3-dev libsonic-dev
	gnuplot-nox time
	alsa-utils espeak-ng sox opus-tools flac
	pulseaudio pulseaudio-utils libasound2-plugins
	gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root (sudo $0) or install them with apt-get" >&2
	exit 1
fi

echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
