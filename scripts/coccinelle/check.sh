#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run nfx's semantic patches (scripts/coccinelle/*.cocci) in report mode.
#   scripts/coccinelle/check.sh NAME          NAME.cocci over the tree
#   scripts/coccinelle/check.sh --self NAME   NAME.cocci against its own
#       examples: every line of tests/NAME_bad.c marked "expected report"
#       must be reported, nothing else, and tests/NAME_good.c must be clean
#   scripts/coccinelle/check.sh --all         every patch, both ways
# Exit 0 clean, 1 findings, 4 spatch missing.
set -u
cd "$(dirname "$0")/../.."
SPATCH=${SPATCH:-spatch}
dir=scripts/coccinelle

if ! command -v "$SPATCH" >/dev/null; then
	echo "SKIP: $SPATCH (coccinelle) not installed"
	exit 4
fi

spatch_report() {
	# Headers are where the datapath's code lives (bpf/lib/*.h), so they
	# are parsed as files of their own; includes are not followed, which
	# keeps runs fast and independent of vmlinux.h.
	"$SPATCH" --very-quiet -D report --no-includes --include-headers \
		--sp-file "$1" "${@:2}" 2>&1 | grep -E '^[^ ]+:[0-9]+:[0-9]+-[0-9]+: '
}

# Our C: everything tracked or new, minus generated code and the examples.
tree_files() {
	git ls-files -co --exclude-standard -- '*.c' '*.h' |
		grep -Ev '^(vmlinux\.h|build[^/]*/|scripts/coccinelle/tests/)|\.mod\.c$' | sort -u
}

check_tree() {
	local name=$1 out
	mapfile -t files < <(tree_files)
	# One spatch per file: given many files at once spatch treats them as
	# one program and its run time grows far faster than the file count.
	export -f spatch_report
	export SPATCH
	out=$(printf '%s\n' "${files[@]}" |
		xargs -n 1 -P "$(nproc)" bash -c 'spatch_report "$0" "$1"' "$dir/$name.cocci" | sort -t: -k1,1 -k2,2n)
	if [ -n "$out" ]; then
		echo "$out"
		echo "$name: findings in the tree"
		return 1
	fi
	echo "$name: clean over ${#files[@]} files"
}

check_self() {
	local name=$1
	local bad=$dir/tests/${name}_bad.c good=$dir/tests/${name}_good.c
	local want got out rc=0

	if [ ! -f "$bad" ] || [ ! -f "$good" ]; then
		echo "$name: missing $bad or $good"
		return 1
	fi
	want=$(grep -n 'expected report \*/' "$bad" | cut -d: -f1 | sort -n | tr '\n' ' ')
	got=$(spatch_report "$dir/$name.cocci" "$bad" | cut -d: -f2 | sort -nu | tr '\n' ' ')
	if [ -z "$want" ]; then
		echo "$name: $bad marks no expected report"
		rc=1
	elif [ "$want" != "$got" ]; then
		echo "$name: planted bugs on lines [ $want] of $bad, reported on [ $got]"
		rc=1
	else
		echo "$name: reports every planted bug in $bad (lines $want)"
	fi
	out=$(spatch_report "$dir/$name.cocci" "$good")
	if [ -n "$out" ]; then
		echo "$out"
		echo "$name: false positive in $good"
		rc=1
	else
		echo "$name: $good is clean"
	fi
	return $rc
}

case "${1:-}" in
--self) check_self "$2" ;;
--all)
	rc=0
	for f in "$dir"/*.cocci; do
		n=$(basename "$f" .cocci)
		check_self "$n" || rc=1
		check_tree "$n" || rc=1
	done
	exit $rc ;;
"") echo "usage: $0 [--self] NAME | --all" >&2; exit 2 ;;
*) check_tree "$1" ;;
esac
