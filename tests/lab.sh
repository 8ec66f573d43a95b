#!/bin/sh
# The lab tooling end to end, for every lab in labs/: its name picks one folder and
# its handout's commands use that name, `make lab-start` makes a workspace that
# builds, the graders fail on its empty functions, and pass on the reference
# implementation. TAP output.
set -u
. tests/tap.sh

for mk in labs/*/lab.mk; do
	# labs/streaming-1-sketches -> sketches (make finds the folder by its suffix)
	lab=$(basename "$(dirname "$mk")" | sed 's/^[a-z]*-[0-9]*-//')
	ws=$tmp/$lab
	# make finds the folder by a wildcard: another lab ending in "-$lab" would
	# make LAB=$lab include two lab.mk files.
	check "$lab: LAB=$lab names one folder" '[ "$(ls -d labs/*-"$lab" | wc -l)" -eq 1 ]'
	check "$lab: the handout's make lab-start and make grade say LAB=$lab" \
		'grep -q "make lab-start LAB=$lab " "${mk%/lab.mk}/README.md" &&
		 grep -q "make grade LAB=$lab " "${mk%/lab.mk}/README.md"'
	make -s --no-print-directory lab-start LAB="$lab" DIR="$ws" >"$tmp/start.log" 2>&1
	check "$lab: lab-start writes a header beside each .c" \
		'ls "$ws"/*.c >/dev/null && (for c in "$ws"/*.c; do test -f "${c%.c}.h" || exit 1; done)'
	check "$lab: lab-start refuses to overwrite a workspace" \
		'! make -s --no-print-directory lab-start LAB="$lab" DIR="$ws" >/dev/null 2>&1'
	check "$lab: the empty functions build and fail the graders" \
		'! make -s --no-print-directory grade LAB="$lab" IMPL="$ws" >"$tmp/stub.log" 2>&1 &&
		 grep -q "^FAIL: " "$tmp/stub.log" && ! grep -q "tests: 0 failed" "$tmp/stub.log"'
	# The reference implementation in place of the stubs: each stub names its header.
	for c in "$ws"/*.c; do
		cp "$(sed -n '1s|^// Your implementation of \(.*\)\.h .*|\1.c|p' "$c")" "$c"
	done
	check "$lab: the reference implementation passes the graders" \
		'make -s --no-print-directory grade LAB="$lab" IMPL="$ws" >"$tmp/ref.log" 2>&1 ||
		 { cat "$tmp/ref.log"; false; }'
done
done_testing
