#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every libFuzzer target (fuzz/fuzz_*.c) for a short fixed time
# (NFX_FUZZ_SECONDS, default 10 s each) from its seed corpus; one TAP line
# per target. `make fuzz FUZZ_SECONDS=N` is the long run.
set -u
cd "$(dirname "$0")/../.."
cc=$(command -v clang-19 || command -v clang)
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' >"$probe/t.c"
if [ -z "$cc" ] || ! "$cc" -fsanitize=fuzzer,address "$probe/t.c" -o "$probe/t" 2>/dev/null; then
	echo "SKIP: no clang with libFuzzer (Debian: libclang-rt-19-dev)"
	exit 4
fi
ls fuzz/fuzz_*.c >/dev/null 2>&1 || { echo "SKIP: no fuzz targets"; exit 4; }
make -s --no-print-directory -j2 fuzz-build || exit 1
exec scripts/fuzz.sh "${NFX_FUZZ_SECONDS:-10}"
