# Sourced by the shell tests: TAP output ("ok N - name" / "not ok N - name", then
# "1..N"), a scratch directory $tmp removed on exit (kept with KEEP=1), and two checks.
#   check NAME CONDITION          CONDITION is shell code, evaluated; on failure the
#                                 files named in $show are printed as TAP comments
#   fails CODE MESSAGE COMMAND... COMMAND exits with CODE and says MESSAGE on stderr,
#                                 in at most two lines (one error, one hint)
#   done_testing                  the plan line; exit status 1 if anything failed
# and helpers: need_alsa_speech NAME... (alsa-utils' speech samples, or one failed
# test and exit), await_line (below), json_num KEY FILE (the first number after
# "KEY":), and ge, lt, eq A B (numeric comparisons, decimals too).
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
n=0
failed=0
show=

check() {
	name=$1
	shift
	n=$((n + 1))
	if eval "$@"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		failed=$((failed + 1))
		for f in $show; do [ -f "$f" ] && sed "s|^|# $(basename "$f"): |" "$f"; done
	fi
}

fails() {
	code=$1 msg=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq "$code" ] && grep -q -- "$msg" "$tmp/err" && [ "$(wc -l <"$tmp/err")" -le 2 ]
}

done_testing() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}

json_num() {
	sed -n "s/.*\"$1\": *\([-0-9.e+]*\).*/\1/p" "$2" | head -n 1
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
eq() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a == b) }'; }

need_alsa_speech() {
	for name in "$@"; do
		[ -r "/usr/share/sounds/alsa/$name.wav" ] && continue
		echo "1..1"
		echo "not ok 1 - /usr/share/sounds/alsa/$name.wav missing (install alsa-utils)"
		exit 1
	done
}

# await_line FIFO LOG PATTERN: read FIFO's lines into LOG until one matches the
# shell PATTERN (a server's "listening" line): it is left in $line, empty if the
# writer ended first. The rest of FIFO goes on into LOG in the background
# ($await_pid, to wait for).
await_line() {
	exec 3<"$1"
	: >"$2"
	line=
	while read -r l <&3; do
		echo "$l" >>"$2"
		case $l in $3) line=$l; break ;; esac
	done
	cat <&3 >>"$2" &
	await_pid=$!
	exec 3<&-
}
