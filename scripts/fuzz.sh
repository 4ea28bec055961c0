#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run nfx's libFuzzer targets (build-fuzz/fuzz/fuzz_*, from fuzz/fuzz_*.c).
#   scripts/fuzz.sh [SECONDS] [NAME...]     default: 60 s, every target
# Each target starts from its seed corpus fuzz/corpus/<name>/ (read only)
# and grows a working corpus in build-fuzz/corpus/<name>/; crashes, leaks
# and invariant failures are saved as build-fuzz/artifacts/<name>/crash-*
# (replay one with: build-fuzz/fuzz/fuzz_<name> FILE).
# Prints one TAP line per target; exit 0 when none failed.
set -u
cd "$(dirname "$0")/.."
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
secs=${1:-60}
shift || true

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in fuzz/fuzz_*.c; do
		[ -f "$f" ] && targets+=("$(basename "$f" .c | sed 's/^fuzz_//')")
	done
fi
echo "1..${#targets[@]}"
n=0 fail=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	bin=$FUZZ_BUILD/fuzz/fuzz_$t
	work=$FUZZ_BUILD/corpus/$t
	art=$FUZZ_BUILD/artifacts/$t
	log=$FUZZ_BUILD/fuzz-$t.log
	if [ ! -x "$bin" ]; then
		echo "not ok $n fuzz_$t # not built ($bin; run make fuzz-build)"
		fail=$((fail + 1))
		continue
	fi
	mkdir -p "$work" "$art"
	seeds=()
	[ -d "fuzz/corpus/$t" ] && seeds=("fuzz/corpus/$t")
	# -close_fd_mask=1: the CLI target prints usage errors on every input.
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
		-print_final_stats=1 -close_fd_mask=1 -artifact_prefix="$art/" \
		"$work" "${seeds[@]}" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	if [ $rc -eq 0 ]; then
		echo "ok $n fuzz_$t # ${secs}s, ${runs:-?} runs, ${cov:-?} edges, corpus $(ls "$work" | wc -l)"
	else
		fail=$((fail + 1))
		echo "not ok $n fuzz_$t # exit $rc, see $log"
		grep -E 'ERROR|SUMMARY|invariant|runtime error|Test unit written' "$log" | head -10 | sed 's/^/#   /'
	fi
done
[ $fail -eq 0 ]
