# SPDX-License-Identifier: GPL-2.0
# Helpers for the nfx_ct VM tests. Source it.
set -u
NFX_ROOT=${NFX_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NFX_BUILD=${NFX_BUILD:-$NFX_ROOT/build}
KCT=${NFX_KCT:-$NFX_BUILD/tools/nfx-kct}
KO=$NFX_ROOT/kmod/nfx_ct.ko

n_t=0 n_fail=0
ok() { n_t=$((n_t + 1)); echo "ok $n_t - $*"; }
not_ok() { n_t=$((n_t + 1)); n_fail=$((n_fail + 1)); echo "not ok $n_t - $*"; }
skip_sub() { n_t=$((n_t + 1)); echo "ok $n_t - $1 # SKIP $2"; }
# check "what" cmd...: one TAP line from a command's status.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
skip_all() { echo "# SKIP $*"; exit 4; }
finish() { [ "$n_fail" -eq 0 ] && exit 0; exit 1; }

# Every requirement of a test that needs the module in a VM.
need_vm_module() {
	[ "${NFX_IN_VM:-0}" = 1 ] || skip_all "runs only inside the test VM (make vmtest)"
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	command -v conntrack >/dev/null || skip_all "conntrack(8) not installed"
	[ -x "$KCT" ] || skip_all "$KCT not built (make nfx-kct)"
	[ -e "$KO" ] || skip_all "kmod/nfx_ct.ko not built (make kmod)"
	[ "$(modinfo -F vermagic "$KO" | cut -d' ' -f1)" = "$(uname -r)" ] ||
		skip_all "kmod/nfx_ct.ko is not built for $(uname -r)"
	modprobe -q nf_conntrack_netlink 2>/dev/null
	[ -d /sys/module/nfx_ct ] || insmod "$KO" || skip_all "cannot load nfx_ct"
}

# Kernel log lines that mean trouble, since mark_dmesg.
mark_dmesg() { dmesg_mark=$(dmesg | wc -l); }
dmesg_clean() {
	! dmesg | tail -n +"$((dmesg_mark + 1))" |
		grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t|list_(add|del) corruption|nfx_ct.*(leak|error)'
}

# gen_entries N FILE: N conntrack -I lines for conntrack -R, varied in
# family, protocol, TCP state, reply/assured status, prefixes, ports,
# zone, mark and timeout. Deterministic.
gen_entries() {
	awk -v n="$1" 'BEGIN {
		split("ESTABLISHED SYN_SENT SYN_RECV TIME_WAIT FIN_WAIT CLOSE_WAIT LAST_ACK CLOSE", st, " ")
		for (i = 0; i < n; i++) {
			v6 = (i % 5 == 4)
			proto = (i % 3 == 2) ? "udp" : "tcp"
			a = i % 4; b = int(i / 250) % 250; c = i % 250 + 1
			if (v6) {
				src = sprintf("fd00:0:0:%d::%x", a, i + 1)
				dst = sprintf("fd00:0:1:%d::%x", (i / 7) % 3, c)
			} else {
				src = sprintf("10.%d.%d.%d", a, b, c)
				dst = sprintf("192.168.%d.%d", (i / 7) % 3, c)
			}
			line = sprintf("-I -s %s -d %s -p %s --sport %d --dport %d -t %d",
				       src, dst, proto, 1024 + i, 80 + i % 20, 100 + i % 500)
			if (proto == "tcp")
				line = line " --state " st[i % 8 + 1]
			if (i % 4 == 1)
				line = line " -u SEEN_REPLY,ASSURED"
			else if (i % 4 == 2)
				line = line " -u SEEN_REPLY"
			if (i % 3)
				line = line " -w " (i % 3)
			line = line " -m " (i % 16)
			print line
		}
	}' >"$2"
}

# ct_list FILE: the table, one entry a line, as "proto state flags src dst
# sport dport zone mark" from the original tuple; sorted.
ct_list() {
	conntrack -L 2>/dev/null | awk '{
		p = $1; st = "-"; s = d = sp = dp = ""; z = 0; m = 0; unr = 0; as = 0
		for (i = 4; i <= NF; i++) {
			if ($i ~ /^[A-Z_]+$/ && i == 4) st = $i
			else if ($i ~ /^src=/ && s == "") s = substr($i, 5)
			else if ($i ~ /^dst=/ && d == "") d = substr($i, 5)
			else if ($i ~ /^sport=/ && sp == "") sp = substr($i, 7)
			else if ($i ~ /^dport=/ && dp == "") dp = substr($i, 7)
			else if ($i == "[UNREPLIED]") unr = 1
			else if ($i == "[ASSURED]") as = 1
			else if ($i ~ /^zone=/) z = substr($i, 6)
			else if ($i ~ /^mark=/) m = substr($i, 6)
		}
		print p, st, (unr ? "U" : "R") (as ? "A" : "N"), s, d, sp, dp, z, m
	}' | sort >"$1"
}
