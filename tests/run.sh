#!/bin/sh
# Run test programs and integration scripts; print one closing line
# "tests: N passed, N failed". Usage: tests/run.sh BUILD PROGRAM...
# cmocka programs count by case, TAP scripts ("ok"/"not ok" lines) by line; anything
# else counts as one test by its exit code.
build=$1
shift
export VOX="$build/vox" BUILD="$build"
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
	"$t" >"$log" 2>&1
	rc=$?
	run=$(grep -c '^\[ RUN      \]' "$log")
	ok=$(grep -c '^\[       OK \]' "$log")
	if [ "$run" -eq 0 ]; then
		run=$(grep -c -E '^(not )?ok ' "$log")
		ok=$(grep -c '^ok ' "$log")
	fi
	if [ "$run" -eq 0 ]; then
		run=1
		[ "$rc" -eq 0 ] && ok=1
	fi
	if [ "$rc" -ne 0 ] || [ "$ok" -ne "$run" ]; then
		[ "$ok" -eq "$run" ] && ok=$((run - 1))
		cat "$log"
		echo "FAIL: $t (exit $rc)"
	else
		printf '%-44s %3d ok\n' "$(basename "$t")" "$ok"
	fi
	passed=$((passed + ok))
	failed=$((failed + run - ok))
done
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
