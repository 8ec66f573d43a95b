#!/bin/sh
# The Noise test vectors in shared/ through build/tests/noise_vectors, as TAP: one
# line per vector run; a vector of a protocol we do not implement (another suite)
# is listed as a "# SKIP" comment, so it counts neither as passed nor failed. A
# missing file fails (CI clones the repository with shared/ beside it; elsewhere
# set NOISE_VECTORS). Run by `make check` with BUILD and NOISE_VECTORS set.
set -u
build=${BUILD:-build}
file=${NOISE_VECTORS:-../shared/vectors/noise/noise-25519-chachapoly-blake2b.json}
prog=$build/tests/noise_vectors

if [ ! -r "$file" ]; then
	echo "1..1"
	echo "not ok 1 - noise vectors: $file not found (set NOISE_VECTORS to the file)"
	exit 1
fi
if [ ! -x "$prog" ]; then
	echo "1..1"
	echo "not ok 1 - noise vectors: $prog not built (make $prog)"
	exit 1
fi

out=$("$prog" "$file" 2>&1)
rc=$?
printf '%s\n' "$out" | awk -v rc="$rc" '
	/^ok /   { sub(/^ok +/, "");   t[++n] = "ok " n " - " $0; next }
	/^FAIL / { sub(/^FAIL /, "");  t[++n] = "not ok " n " - " $0; bad++; next }
	/^skip / { c[++m] = "# SKIP " substr($0, 6); next }
	         { c[++m] = "# " $0 }
	END {
		if (rc != 0 && !bad) t[++n] = "not ok " n " - noise_vectors exited with status " rc
		print "1.." n
		for (i = 1; i <= n; i++) print t[i]
		for (i = 1; i <= m; i++) print c[i]
	}'
exit "$rc"
