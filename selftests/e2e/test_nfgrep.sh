#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nfgrep end to end: the shipped filter library over the generated pcaps
# (nfgrep-test, the datapath's matcher through BPF_PROG_TEST_RUN), bad
# filters refused with their location, and live traffic through an
# attached router classified after `nfx-loader nfgrep load`.
. "$(dirname "$0")/../lib/lib.sh"

nfx_require_root
T=$NFX_BUILD/tools/nfgrep-test
NFG=$NFX_BUILD/tools/nfgrep
F=$NFX_ROOT/filters
P=$NFX_ROOT/selftests/data/pcap
[ -x "$T" ] && [ -x "$NFG" ] || nfx_skip "build/tools/nfgrep-test not built"

t_plan 9

out=$("$T" -q -e "$P/expected.txt" "$F/all.nfg" "$P"/*.pcap 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
t_eq "library over the pcaps: every flow as expected" "$rc" 0

# A wrong expectation must be reported as a mismatch (exit 1).
printf 'ssh.pcap 1 smtp\n' > /tmp/nfx-t$nfx_id.exp
"$T" -q -e /tmp/nfx-t$nfx_id.exp "$F/all.nfg" "$P/ssh.pcap" >/dev/null 2>&1
t_eq "a mismatch makes nfgrep-test fail" "$?" 1

printf 'protocol x {\n  client { "abc" at +; }\n}\n' > /tmp/nfx-t$nfx_id.bad.nfg
msg=$("$NFG" check /tmp/nfx-t$nfx_id.bad.nfg 2>&1)
t_eq "nfgrep check: file:line:col of the error" \
	"$msg" "/tmp/nfx-t$nfx_id.bad.nfg:2:22: expected offset, found ';'"

nfx_topology || nfx_skip "cannot build the netns topology"
nfx_loader attach "$IF_RA" >/dev/null 2>&1 || nfx_skip "attach failed on $IF_RA"
t_check "load the library" nfx_loader nfgrep load "$F/all.nfg"
gen1=$(nfx_loader -j nfgrep list | jq -r .generation)

# A bad set changes nothing: same generation afterwards.
nfx_loader nfgrep load "$F/all.nfg" /tmp/nfx-t$nfx_id.bad.nfg >/dev/null 2>&1
t_eq "a failed load leaves the loaded set" "$(nfx_loader -j nfgrep list | jq -r .generation)" "$gen1"

# Live traffic: an SSH banner and an HTTP request through the router.
ip netns exec "$NS_S" timeout 10 socat -T3 TCP-LISTEN:22,reuseaddr,fork SYSTEM:'echo SSH-2.0-OpenSSH_9.2' >/dev/null 2>&1 &
ip netns exec "$NS_S" timeout 10 socat -T3 TCP6-LISTEN:80,reuseaddr,fork SYSTEM:'echo HTTP/1.1 200 OK' >/dev/null 2>&1 &
sleep 0.5
printf 'SSH-2.0-OpenSSH_9.2\r\n' | in_c timeout 3 socat -t1 - TCP:$S4:22 >/dev/null 2>&1
printf 'GET / HTTP/1.1\r\nHost: www.youtube.com\r\n\r\n' | in_c timeout 3 socat -t1 - TCP6:[$S6]:80 >/dev/null 2>&1
sleep 0.3
list=$(nfx_loader -j nfgrep list)
echo "$list" | jq -c '.protocols[] | select(.flows > 0)' | sed 's/^/# /'
t_eq "live ssh flow classified" \
	"$(echo "$list" | jq -r '.protocols[] | select(.name == "ssh") | .flows')" 1
t_eq "live http flow named by its host" \
	"$(echo "$list" | jq -r '.protocols[] | select(.name == "http.youtube") | .flows')" 1

# Reload: names keep their ids.
id1=$(echo "$list" | jq -r '.protocols[] | select(.name == "ssh") | .id')
nfx_loader nfgrep load "$F/misc.nfg" >/dev/null
t_eq "reload keeps the app id of a name" \
	"$(nfx_loader -j nfgrep list | jq -r '.protocols[] | select(.name == "ssh") | .id')" "$id1"
# A compiled set loads like its sources.
"$NFG" compile "$F/all.nfg" -o /tmp/nfx-t$nfx_id.nfgc >/dev/null
nfx_loader nfgrep load /tmp/nfx-t$nfx_id.nfgc >/dev/null
t_eq "compiled set loads: all protocols listed" \
	"$(nfx_loader -j nfgrep list | jq '.protocols | length')" \
	"$("$NFG" check "$F/all.nfg" | awk '{print $2}')"
t_done
