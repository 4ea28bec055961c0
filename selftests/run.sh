#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# nfx selftest runner: TAP 13 in the kselftest manner.
#   selftests/run.sh [SUITE...]     suites: unit asan bpf e2e lint fuzz vm vmtest verify
# Each test is an executable; its exit status decides: 0 ok, 4 skip, else
# not ok. Its own output is shown indented as TAP comments.
set -u
cd "$(dirname "$0")/.."
export NFX_ROOT=$PWD
export NFX_BUILD=${NFX_BUILD:-$PWD/build}
export NFX_LOADER=${NFX_LOADER:-$NFX_BUILD/nfx-loader}
TIMEOUT=${NFX_TEST_TIMEOUT:-600}

default_suites="unit asan bpf e2e lint fuzz vmtest"
[ "${NFX_IN_VM:-0}" = 1 ] && default_suites="vm bpf e2e"
suites=${*:-$default_suites}

# Executables of a suite; an empty suite is fine, an unknown one is not.
tests_of() {
	local f
	case $1 in
	unit|bpf) set -- "$NFX_BUILD"/selftests/$1/test_* ;;
	asan) set -- "$PWD"/build-asan/selftests/unit/test_* "$PWD"/build-asan/selftests/bpf/test_* ;;
	e2e|lint|fuzz|vm) set -- selftests/"$1"/test_*.sh ;;
	vmtest) set -- selftests/vmtest.sh ;;
	verify) set -- selftests/e2e/test_bpf_verify.sh ;;
	*) echo "run.sh: unknown suite '$1'" >&2; return 2 ;;
	esac
	for f in "$@"; do
		case $f in *.o|*.d) continue ;; esac
		[ -x "$f" ] && echo "$f"
	done
	return 0
}

list=()
for s in $suites; do
	t=$(tests_of "$s") || exit 2
	for f in $t; do list+=("$s:$f"); done
done

echo "TAP version 13"
echo "1..${#list[@]}"
pass=0 fail=0 skip=0 n=0
start_all=$(date +%s)
for item in "${list[@]}"; do
	suite=${item%%:*}
	path=${item#*:}
	name="$suite/$(basename "$path" .sh)"
	n=$((n + 1))
	echo "# $name"
	start=$(date +%s)
	out=$(mktemp)
	if [ "$suite" = asan ]; then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=1 \
		LSAN_OPTIONS=suppressions=$PWD/selftests/lsan.supp:print_suppressions=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			timeout -k 10 "$TIMEOUT" "$path" >"$out" 2>&1
	else
		timeout -k 10 "$TIMEOUT" "$path" >"$out" 2>&1
	fi
	rc=$?
	sed 's/^/# /' "$out"
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		echo "ok $n $name # ${secs}s"
		pass=$((pass + 1))
	elif [ $rc -eq 4 ]; then
		reason=$(grep -m1 -o 'SKIP.*' "$out" | sed 's/^SKIP:\? *//')
		echo "ok $n $name # SKIP ${reason:-no reason given}"
		skip=$((skip + 1))
	else
		[ $rc -eq 124 ] && echo "# timed out after ${TIMEOUT}s"
		echo "not ok $n $name # exit $rc, ${secs}s"
		fail=$((fail + 1))
	fi
	rm -f "$out"
done
echo "# Totals: pass:$pass fail:$fail skip:$skip ($(( $(date +%s) - start_all ))s)"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
