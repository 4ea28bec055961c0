#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nfx_ct load/unload: parameters (validated, shown in modinfo and sysfs),
# the genetlink family coming and going, unload with the GC work armed and
# after flushes, kmemleak when the kernel has it, a clean kernel log.
. "$(dirname "$0")"/kct_lib.sh
need_vm_module
mark_dmesg

kl=/sys/kernel/debug/kmemleak
[ -w "$kl" ] && echo clear >"$kl"

rmmod nfx_ct
check "unload" test ! -d /sys/module/nfx_ct
check "family gone: client falls back" sh -c "! '$KCT' available >/dev/null"
out=$("$KCT" flush --dry-run)
check "flush falls back to ctnetlink ($out)" grep -q '^path=ctnetlink' <<<"$out"

check "bad parameters refused (gc_end <= gc_start)" sh -c "! insmod '$KO' gc_start=60 gc_end=50 2>/dev/null"
check "bad parameters refused (gc_interval_ms)" sh -c "! insmod '$KO' gc_interval_ms=1 2>/dev/null"
check "modinfo documents 5 parameters" test "$(modinfo -F parm "$KO" | wc -l)" -eq 5
check "license GPL" test "$(modinfo -F license "$KO")" = GPL

insmod "$KO" gc_start=40 gc_end=60 gc_interval_ms=150 gc_min_timeout=5
check "parameters in sysfs" test "$(cat /sys/module/nfx_ct/parameters/gc_start)/$(cat /sys/module/nfx_ct/parameters/gc_end)" = 40/60
check "family back" "$KCT" available
check "gc get shows the load parameters" grep -q 'enabled=0 start=40 end=60 interval=150 min_timeout=5' <<<"$("$KCT" gc get)"
rmmod nfx_ct

# Load/unload cycles with the GC work armed and requests in between.
conntrack -I -s 10.5.0.1 -d 10.5.0.2 -p udp --sport 1 --dport 2 -t 100 >/dev/null 2>&1
fails=0
for i in $(seq 1 15); do
	insmod "$KO" gc_enable=1 gc_interval_ms=100 gc_start=1 gc_end=2 || fails=$((fails + 1))
	"$KCT" gc get >/dev/null || fails=$((fails + 1))
	"$KCT" flush --dry-run >/dev/null || fails=$((fails + 1))
	"$KCT" flush zone 77 >/dev/null || fails=$((fails + 1))
	[ $((i % 3)) = 0 ] && sleep 0.3
	rmmod nfx_ct || fails=$((fails + 1))
done
check "15 load/gc/flush/unload cycles" test "$fails" -eq 0
conntrack -F >/dev/null 2>&1

# Unload racing requests: rmmod must wait for requests in flight.
insmod "$KO"
( for i in $(seq 1 30); do "$KCT" flush --dry-run --module >/dev/null 2>&1; done ) &
bg=$!
sleep 0.2
rmmod nfx_ct
wait "$bg"
check "unload while requests run" test ! -d /sys/module/nfx_ct

if [ -w "$kl" ]; then
	echo scan >"$kl"
	sleep 1
	echo scan >"$kl"
	leaks=$(grep -c unreferenced "$kl")
	check "kmemleak: no unreferenced objects" test "$leaks" -eq 0
	[ "$leaks" -eq 0 ] || head -40 "$kl" | sed 's/^/# /'
else
	skip_sub "kmemleak" "kernel $(uname -r) has no CONFIG_DEBUG_KMEMLEAK"
fi
check "no kernel warnings" dmesg_clean

insmod "$KO"
check "loaded again for the other tests" test -d /sys/module/nfx_ct
finish
