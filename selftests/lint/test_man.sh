#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lint: every man page (man/*.[1-8]) renders without a groff or man warning.
set -u
cd "$(dirname "$0")/../.."
command -v man >/dev/null || { echo "SKIP: man not installed"; exit 4; }
pages=$(ls man/*.[1-8] 2>/dev/null)
[ -n "$pages" ] || { echo "SKIP: no man pages"; exit 4; }
bad=0
for p in $pages; do
	w=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$p" 2>&1 >/dev/null)
	if [ -n "$w" ]; then
		echo "$p:"
		echo "$w" | sed 's/^/    /'
		bad=$((bad + 1))
	fi
done
[ $bad -eq 0 ] && echo "$(echo "$pages" | wc -w) man pages render cleanly"
[ $bad -eq 0 ]
