#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything nfx needs to build and test, from Debian's packages.
# Idempotent: installs only what is missing.
#   scripts/deps.sh           install missing packages
#   scripts/deps.sh --check   exit 1 if anything is missing, install nothing
#   scripts/deps.sh --list    print the package list
set -eu
cd "$(dirname "$0")/.."

# Build: compilers, libraries (pkg-config names libbpf, libxdp, libmnl).
build_pkgs="make pkg-config gcc clang-19 llvm-19 libbpf-dev libxdp-dev libmnl-dev
libelf-dev zlib1g-dev libpcap-dev libnetfilter-conntrack-dev bpftool"
# Tests and demo: namespaces, traffic, inspection, sanitizers, lint.
test_pkgs="iproute2 iputils-ping socat netcat-openbsd nftables iptables conntrack
jq tcpdump python3-scapy libclang-rt-19-dev clang-format clang-tidy cppcheck coccinelle"
# Benchmarks and comparison peers.
bench_pkgs="libndpi-dev gnuplot-nox hyperfine"

extra=""
for f in scripts/*/packages.txt; do
	[ -f "$f" ] && extra="$extra $(grep -v '^#' "$f" | tr '\n' ' ')"
done
pkgs=$(echo $build_pkgs $test_pkgs $bench_pkgs $extra | tr ' ' '\n' | sort -u | tr '\n' ' ')

missing() {
	local p out=""
	for p in $pkgs; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
			out="$out $p"
	done
	echo $out
}

case "${1:-}" in
--list) echo $pkgs; exit 0 ;;
--check) m=$(missing); [ -z "$m" ] && exit 0; echo "missing: $m"; exit 1 ;;
esac

# Nice to have (e.g. a second kernel for the VM verifier matrix): a
# failure to install these is reported, not fatal.
optional=""
for f in scripts/*/packages-optional.txt; do
	[ -f "$f" ] && optional="$optional $(grep -v '^#' "$f" | tr '\n' ' ')"
done

m=$(missing)
if [ -n "$m" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: missing packages: $m (run as root to install them)" >&2
		exit 1
	fi
	echo "deps.sh: installing: $m"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $m >/dev/null
fi
if [ "$(id -u)" -eq 0 ] && [ -n "$(echo $optional)" ]; then
	want=""
	for p in $optional; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
			want="$want $p"
	done
	if [ -n "$want" ]; then
		echo "deps.sh: installing optional: $want"
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $want \
			>/dev/null 2>&1 || echo "deps.sh: optional packages unavailable:$want (continuing)"
	fi
fi

# bpffs is where nfx pins; mount it if the system did not.
if [ "$(id -u)" -eq 0 ] && ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf || true
fi
exit 0
