#!/bin/sh
# make lab-start: a learner's workspace for a lab. Copies the lab's headers (the
# contract) and generates, from them, one .c file per module with every exported
# function present and empty, so the workspace builds and the grader runs (and fails)
# from the first minute.
# Usage: scripts/lab-start.sh LAB DIR MODULE... (modules as paths without .c:
# algorithms/bloom; the Makefile passes the lab's LAB_MODULES)
set -eu
lab=$1
dir=$2
shift 2
modules=$*
if [ -z "$dir" ]; then
	echo "lab-start: say where: make lab-start LAB=... DIR=path" >&2
	exit 2
fi
mkdir -p "$dir"
for m in $modules; do
	if [ -e "$dir/$(basename "$m").c" ]; then
		echo "lab-start: $dir/$(basename "$m").c exists; not overwriting" >&2
		exit 1
	fi
done
for m in $modules; do
	name=$(basename "$m")
	cp "$m.h" "$dir/$name.h"
	{
		printf '// Your implementation of %s.h (a copy is beside this file).\n' "$m"
		printf '#include <errno.h>\n#include <stddef.h>\n\n#include "%s.h"\n' "$m"
		# A prototype starts at column 0 with a type, holds "vx_...(" and ends at ");".
		awk '
		/^[ \t]*(\/\*|\*|\/\/|#)/ { next }
		proto == "" && /^(struct|enum|typedef)[^(]*$/ { next }
		proto == "" && /^[A-Za-z_]/ && /vx_[a-z0-9_]*\(/ { proto = $0 }
		proto != "" && proto != $0 { proto = proto "\n" $0 }
		proto != "" && /\);[ \t]*$/ {
			sub(/;[ \t]*$/, "", proto)
			# Attributes belong to the declaration, not the definition.
			gsub(/[ \t\n]*__attribute__\(\([a-z_]*\)\)/, "", proto)
			head = proto
			sub(/vx_[a-z0-9_]*\(.*/, "", head)
			if (head ~ /\*/)             body = "\treturn NULL;"
			else if (head ~ /^void[ \t]/) body = ""
			else if (head ~ /(^|[ \t])(int|ssize_t|long)[ \t]*$/) body = "\treturn -ENOSYS;"
			else                          body = "\treturn 0;"
			printf "\n%s\n{\n\t/* TODO */\n%s%s}\n", proto, body, body == "" ? "" : "\n"
			proto = ""
		}
		' "$m.h"
	} >"$dir/$name.c"
done
echo "lab-start: $dir has $(echo "$modules" | wc -w) modules to implement ($modules)."
echo "lab-start: grade them with: make grade LAB=$lab IMPL=$dir"
