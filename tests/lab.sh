#!/bin/sh
# The lab tooling end to end: `make lab-start` makes a workspace that builds, the
# graders fail on its empty functions, and pass on the reference implementation.
# TAP output. Usage: tests/lab.sh LAB
set -u
lab=${1:-sketches}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0
check() {
	n=$((n + 1))
	if eval "$2"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		failed=$((failed + 1))
	fi
}

make -s --no-print-directory lab-start LAB="$lab" DIR="$tmp/ws" >"$tmp/start.log" 2>&1
modules=$(sed -n 's/^LAB_MODULES *= *//p' labs/*-"$lab"/lab.mk)
check "lab-start: a header and a .c per module" \
	'for m in $modules; do test -f "$tmp/ws/$m.h" && test -f "$tmp/ws/$m.c" || exit 1; done'
check "lab-start: refuses to overwrite a workspace" \
	'! make -s --no-print-directory lab-start LAB="$lab" DIR="$tmp/ws" >/dev/null 2>&1'
tests=$(sed -n 's/^LAB_TESTS *= *//p' labs/*-"$lab"/lab.mk | wc -w)
check "grade: the empty functions build and fail every grader" \
	'! make -s --no-print-directory grade LAB="$lab" IMPL="$tmp/ws" >"$tmp/stub.log" 2>&1 &&
	 test "$(grep -c "^FAIL: " "$tmp/stub.log")" -eq "$tests"'
for m in $modules; do cp "algorithms/$m.c" "$tmp/ws/$m.c"; done
check "grade: the reference implementation passes" \
	'make -s --no-print-directory grade LAB="$lab" IMPL="$tmp/ws" >"$tmp/ref.log" 2>&1 ||
	 { cat "$tmp/ref.log"; false; }'
echo "1..$n"
[ "$failed" -eq 0 ]
