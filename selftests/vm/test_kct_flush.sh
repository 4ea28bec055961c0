#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Selective conntrack flush through nfx_ct: fill the table over ctnetlink
# (conntrack -R), flush by predicate, and compare the table with a reference
# computed independently (awk over conntrack -L) before and after. The same
# for dry runs and for the user-space ctnetlink fallback.
. "$(dirname "$0")"/kct_lib.sh
need_vm_module

N=${NFX_KCT_ENTRIES:-3000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; conntrack -F >/dev/null 2>&1' EXIT
gen_entries "$N" "$tmp"/load
mark_dmesg

# The same load always gives the same listing (it leaves timeouts out), so
# the reference "before" is listed once.
load() {
	conntrack -F >/dev/null 2>&1
	conntrack -R "$tmp"/load >/dev/null 2>&1
	[ -s "$tmp"/before ] || ct_list "$tmp"/before
}

# case NAME PATH AWK-CONDITION PREDICATE...: entries matching the awk
# condition over ct_list's fields ($1 proto $2 state $3 flags $4 src $5 dst
# $6 sport $7 dport $8 zone $9 mark) are the ones to go.
case_() {
	local name=$1 path=$2 cond=$3
	shift 3
	load
	local total; total=$(wc -l <"$tmp"/before)
	if [ "$(conntrack -C)" -ne "$total" ]; then
		not_ok "$name: reload gave $(conntrack -C) entries, not $total"
		return
	fi
	awk "!($cond)" "$tmp"/before >"$tmp"/want
	local nwant=$((total - $(wc -l <"$tmp"/want)))

	# Dry run first: counts only, table untouched.
	local out
	out=$("$KCT" flush --dry-run "--$path" "$@" 2>&1)
	if [[ $out == *"examined=$total matched=$nwant "* ]] && [ "$(conntrack -C)" -eq "$total" ]; then
		ok "$name: dry run ($path) matched $nwant of $total"
	else
		not_ok "$name: dry run ($path): want examined=$total matched=$nwant, got: $out"
	fi

	out=$("$KCT" flush "--$path" "$@" 2>&1)
	echo "# $name: $out"
	ct_list "$tmp"/after
	if [[ $out == *"examined=$total removed=$nwant "* ]] && cmp -s "$tmp"/after "$tmp"/want; then
		ok "$name: flush ($path) removed exactly the $nwant matching entries"
	else
		not_ok "$name: flush ($path): want removed=$nwant leaving $(wc -l <"$tmp"/want), got: $out, left $(wc -l <"$tmp"/after)"
		diff "$tmp"/want "$tmp"/after | head -5 | sed 's/^/# /'
	fi
}

load
total=$(wc -l <"$tmp"/before)
if [ "$total" -ne "$N" ]; then
	not_ok "table filled with $N entries (got $total)"
	finish
fi
ok "table filled with $N entries over ctnetlink"

v4in() {	# awk: is field $f inside 10.A.0.0/16 style prefix "a.b."
	echo "index(\$$1, \"$2\") == 1"
}

case_ "unreplied tcp" module '$1 == "tcp" && $3 ~ /^U/' state unreplied proto tcp
case_ "tcp state set" module '$1 == "tcp" && ($2 == "TIME_WAIT" || $2 == "FIN_WAIT")' state time_wait,fin_wait
case_ "unassured" module '$3 ~ /N$/' state unassured
case_ "src v4 prefix + dport range" module "$(v4in 4 10.1.) && \$7 >= 85 && \$7 <= 90" src 10.1.0.0/16 dport 85-90
case_ "dst v4 prefix" module "$(v4in 5 192.168.2.)" dst 192.168.2.0/24
case_ "either endpoint v6" module "$(v4in 4 fd00:0:0:3:) || $(v4in 5 fd00:0:0:3:)" addr fd00:0:0:3::/64
case_ "v6 dst prefix" module "$(v4in 5 fd00:0:1:1:)" dst fd00:0:1:1::/64
case_ "zone + mark/mask" module '$8 == 2 && ($9 % 4) == 1' zone 2 mark 0x1/0x3
case_ "sport range, udp" module '$1 == "udp" && $6 >= 1500 && $6 <= 2500' proto udp sport 1500-2500
case_ "timeout window" module '1' timeout "<=600"
case_ "nothing matches" module '0' zone 9
case_ "fallback: unreplied tcp" ctnetlink '$1 == "tcp" && $3 ~ /^U/' state unreplied proto tcp
case_ "fallback: zone + mark/mask" ctnetlink '$8 == 2 && ($9 % 4) == 1' zone 2 mark 0x1/0x3
case_ "fallback: either endpoint v6" ctnetlink "$(v4in 4 fd00:0:0:3:) || $(v4in 5 fd00:0:0:3:)" addr fd00:0:0:3::/64

# Age: entries need a creation timestamp (nf_conntrack_timestamp).
ts0=$(sysctl -n net.netfilter.nf_conntrack_timestamp)
sysctl -qw net.netfilter.nf_conntrack_timestamp=1
conntrack -F >/dev/null 2>&1
age_load() {
	for i in $(seq 1 20); do
		echo "-I -s 10.$1.0.$i -d 10.99.0.1 -p udp --sport $((4000 + i)) --dport 53 -t 300"
	done >"$tmp"/age
	conntrack -R "$tmp"/age >/dev/null 2>&1
}
age_load 50
sleep 4
age_load 51
out=$("$KCT" flush --dry-run --ctnetlink age ">=3")
check "age (ctnetlink, dry run): 20 of 40 are 3s old ($out)" grep -q 'examined=40 matched=20 ' <<<"$out"
out=$("$KCT" flush --module age ">=3")
left=$(conntrack -L 2>/dev/null | grep -c 'src=10\.51\.')
check "age (module): the 20 old ones removed, the new ones left ($out)" \
	test "$(grep -o 'removed=[0-9]*' <<<"$out")/$left/$(conntrack -C)" = "removed=20/20/20"
sysctl -qw net.netfilter.nf_conntrack_timestamp="$ts0"

# Timing of a full flush of N entries (everything matches).
load
out=$("$KCT" flush)
echo "# full flush of $N: $out"
check "full flush leaves an empty table" test "$(conntrack -L 2>/dev/null | wc -l)" -eq 0

check "no kernel warnings" dmesg_clean
finish
