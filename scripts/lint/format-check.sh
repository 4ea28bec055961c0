#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Check C sources against .clang-format (kernel style, tabs, 100 columns).
#   scripts/lint/format-check.sh [--fix] [FILE...]
# Without FILEs, checks every C file of the tree (see c_files below), so new
# files are covered as they appear.
#
# Alignment of trailing comments and of macro line-continuation backslashes
# is left to the author: the kernel aligns both with tabs, which
# clang-format cannot express (it either moves them to one space or pads
# with a mix of tabs and spaces). Both sides are compared with that
# whitespace folded to one space; everything else must match exactly.
# --fix rewrites the files that differ (clang-format -i on the lines that
# differ only, so hand alignment elsewhere is kept).
set -u
cd "$(dirname "$0")/../.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}

fix=0
if [ "${1:-}" = --fix ]; then
	fix=1
	shift
fi

c_files() {
	# Our C: everything tracked or new, except generated and vendored code.
	{ git ls-files -co --exclude-standard -- '*.c' '*.h' 2>/dev/null ||
	  find . -name '*.[ch]' -printf '%P\n'; } |
		grep -Ev '^(vmlinux\.h|build[^/]*/|kmod/.*\.mod\.c|scripts/coccinelle/tests/)' |
		sort -u
}

fold() {
	sed -E -e 's#([^[:space:]])[[:space:]]+(/\*|//)#\1 \2#' \
	       -e 's#([^[:space:]])[[:space:]]+\\$#\1 \\#'
}

if ! command -v "$CLANG_FORMAT" >/dev/null; then
	echo "SKIP: $CLANG_FORMAT not installed"
	exit 4
fi

files=("$@")
[ ${#files[@]} -eq 0 ] && mapfile -t files < <(c_files)
bad=0
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	d=$(diff -U0 <(fold <"$f") <("$CLANG_FORMAT" --style=file "$f" | fold))
	[ -z "$d" ] && continue
	if [ $fix = 1 ]; then
		lines=$(echo "$d" | sed -nE 's/^@@ -([0-9]+)(,([0-9]+))? .*/\1 \3/p' |
			while read -r s c; do
				c=${c:-1}; [ "$c" = 0 ] && c=1
				printf -- ' --lines=%d:%d' "$s" $((s + c - 1))
			done)
		# shellcheck disable=SC2086
		"$CLANG_FORMAT" --style=file -i $lines "$f"
		echo "formatted $f"
		continue
	fi
	bad=$((bad + 1))
	echo "$d" | sed -nE "s#^@@ -([0-9]+).*#$f:\1: not formatted as .clang-format says#p"
	echo "$d" | grep -v '^@@' | grep -Ev '^(---|\+\+\+) ' | sed 's/^/    /' | head -20
done
if [ $bad -gt 0 ]; then
	echo "$bad file(s) differ from .clang-format; 'make format' rewrites them"
	exit 1
fi
[ $fix = 1 ] || echo "${#files[@]} files formatted as .clang-format says"
exit 0
