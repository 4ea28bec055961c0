#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kver.sh SERIES|KVER: the newest installed kernel release matching a series
# (6.1, 6.12) or a full release, with its vmlinuz in /boot.
want=${1:-6.1}
for f in $(ls -v /boot/vmlinuz-"$want"* 2>/dev/null); do
	k=${f#/boot/vmlinuz-}
	case $k in
	"$want"|"$want".*|"$want"-*) [ -d /lib/modules/"$k" ] && best=$k ;;
	esac
done
[ -n "${best:-}" ] || { echo "kver.sh: no installed kernel matches '$want'" >&2; exit 1; }
echo "$best"
