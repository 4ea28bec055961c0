#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nfgrep vs nDPI on the same pcaps (selftests/data/pcap), per protocol:
# agreement of the results, packets needed, and throughput in MB/s.
#
# nfx side: build/tools/nfgrep-test, the XDP pipeline with the nfgrep stage
# run by BPF_PROG_TEST_RUN, time = the kernel's measure of each run.
# peer: build/tools/ndpi-driver, nDPI (Debian libndpi 4.2) fed the same
# packets until it reports a protocol, time = inside
# ndpi_detection_process_packet(). Both start every pcap from empty tables;
# the pcaps are run NFX_BENCH_REPEAT times (default 200), the first run
# untimed, and the fastest run counts (the machine is shared).
# "matcher" is nfx's throughput without the pipeline's own cost (the run
# with a filter that never applies, subtracted).
# Agreement compares the top-level protocol (nDPI's HTTP.YouTube counts as
# http); a flow neither recognises agrees as "unknown".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${NFX_BUILD:-$ROOT/build}
T=$B/tools/nfgrep-test
D=$B/tools/ndpi-driver
P=$ROOT/selftests/data/pcap
R=${NFX_BENCH_REPEAT:-200}
OUT=${NFX_BENCH_OUT:-/dev/null}

[ "$(id -u)" = 0 ] || { echo "# SKIP bench_nfgrep needs root (BPF_PROG_TEST_RUN)"; exit 0; }
[ -x "$T" ] && [ -x "$D" ] || { echo "# SKIP build/tools/nfgrep-test or ndpi-driver missing"; exit 0; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The pipeline alone (parse, flow table, stage entry) with a filter that
# never applies: subtracted to give the matcher's own throughput.
echo 'protocol none { transport udp; client { "\x00\xff" at 0; } }' > "$tmp/none.nfg"
for f in "$P"/*.pcap; do
	n=$(basename "$f" .pcap)
	"$T" -t -r "$R" "$ROOT/filters/all.nfg" "$f" > "$tmp/$n.nfx" 2>&1 || true
	"$T" -t -r "$R" "$tmp/none.nfg" "$f" > "$tmp/$n.base" 2>&1 || true
	"$D" -r "$R" "$f" > "$tmp/$n.ndpi" 2>&1 || true
done

/usr/bin/python3 - "$tmp" "$OUT" "$R" <<'PY'
import json, os, re, sys
tmp, out, rep = sys.argv[1], sys.argv[2], int(sys.argv[3])
ndpi_map = {"ftp_control": "ftp", "dns": "dns"}

def top(name):
    n = name.split(".")[0].lower()
    return ndpi_map.get(n, n)

def parse(path):
    flows, cost = [], None
    for line in open(path):
        m = re.match(r"# packets (\d+) bytes (\d+) ns (\d+)", line)
        if m:
            cost = tuple(int(x) for x in m.groups())
            continue
        f = line.split()
        if len(f) >= 4 and f[1].isdigit():
            res = f[-4] if "(undecided)" in line else None
            i = f.index("packets")
            flows.append((f[i - 1], int(f[i + 1])))
    return flows, cost

groups = {}
for fn in sorted(os.listdir(tmp)):
    if not fn.endswith(".nfx"):
        continue
    base = fn[:-4]
    proto = re.split(r"[-.]", base)[0]
    g = groups.setdefault(proto, {"agree": 0, "flows": 0, "pn": 0, "pp": 0, "nb": 0, "nns": 0, "pb": 0,
                                  "pns": 0, "bns": 0})
    nf, nc = parse(os.path.join(tmp, fn))
    _, bc = parse(os.path.join(tmp, base + ".base"))
    if bc:
        g["bns"] += bc[2]
    pf, pc = parse(os.path.join(tmp, base + ".ndpi"))
    for (a, an), (b, bn) in zip(nf, pf):
        g["flows"] += 1
        g["agree"] += top(a) == top(b) or (a == "unknown" and b == "unknown")
        g["pn"] += an
        g["pp"] += bn
    if nc and pc:
        g["nb"] += nc[1]; g["nns"] += nc[2]
        g["pb"] += pc[1]; g["pns"] += pc[2]

def emit(metric, unit, nfx, peer, ratio, note):
    with open(out, "a") as f:
        f.write(json.dumps({"bench": "nfgrep", "metric": metric, "unit": unit, "nfx": nfx,
                            "peer": "nDPI 4.2", "peer_value": peer, "ratio": ratio, "note": note}) + "\n")

print("nfgrep (XDP, BPF_PROG_TEST_RUN) vs nDPI 4.2 on the same pcaps, %d runs each" % rep)
print("%-12s %5s %9s %8s %8s %6s %9s %9s %9s %6s" % ("protocol", "flows", "agreement", "pkts nfx", "pkts nDPI",
      "ratio", "MB/s nfx", "matcher", "MB/s nDPI", "ratio"))
tot = {"agree": 0, "flows": 0, "pn": 0, "pp": 0, "nb": 0, "nns": 0, "pb": 0, "pns": 0, "bns": 0}
for proto, g in sorted(groups.items()):
    for k in tot:
        tot[k] += g[k]
rows = sorted(groups.items()) + [("all", tot)]
for proto, g in rows:
    if not g["flows"]:
        continue
    pn = g["pn"] / g["flows"]; pp = g["pp"] / g["flows"]
    mn = g["nb"] / g["nns"] * 1e3 if g["nns"] else 0
    mp = g["pb"] / g["pns"] * 1e3 if g["pns"] else 0
    mm = g["nb"] / (g["nns"] - g["bns"]) * 1e3 if g["nns"] > g["bns"] else 0
    agree = 100.0 * g["agree"] / g["flows"]
    print("%-12s %5d %8.0f%% %8.1f %9.1f %6.2f %9.1f %9.1f %9.1f %6.2f" % (proto, g["flows"], agree, pn, pp,
          pp / pn if pn else 0, mn, mm, mp, mn / mp if mp else 0))
    emit("agreement_" + proto, "%", round(agree, 1), 100.0, round(agree / 100.0, 3),
         "flows whose top-level result equals nDPI's")
    emit("packets_needed_" + proto, "packets", round(pn, 2), round(pp, 2), round(pp / pn, 3) if pn else None,
         "mean packets of a flow until decided (all packets counted); ratio >1: nfx decides sooner")
    emit("throughput_" + proto, "MB/s", round(mn, 2), round(mp, 2), round(mn / mp, 3) if mp else None,
         "pcap bytes / time in the classifier (nfx: whole XDP pipeline incl. parse and flow table); "
         "ratio is nfx/peer, >1: nfx faster")
    emit("throughput_matcher_" + proto, "MB/s", round(mm, 2), round(mp, 2), round(mm / mp, 3) if mp else None,
         "nfx: pipeline time minus the same pipeline with no applicable filter; ratio nfx/peer")
PY
