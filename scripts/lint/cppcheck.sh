#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# cppcheck over nfx's user-space C: zero findings, or a documented
# suppression in scripts/lint/cppcheck.supp (or an inline
# "// cppcheck-suppress id" with a comment saying why).
set -u
cd "$(dirname "$0")/../.."
CPPCHECK=${CPPCHECK:-cppcheck}

if ! command -v "$CPPCHECK" >/dev/null; then
	echo "SKIP: $CPPCHECK not installed"
	exit 4
fi
# Every user-space directory, so that new ones are covered when they appear.
dirs=$(ls -d loader/lib loader/cli loader/* selftests/lib selftests/unit selftests/bpf \
	scripts/tools nfgrep rules tools fuzz 2>/dev/null | sort -u)
# libbpf's headers are not read (that costs a lot and finds nothing of
# ours); LIBBPF_OPTS, the one macro cppcheck must understand, is given.
# The generated skeletons (build/*.skel.h) are left out on purpose: they
# embed the BPF object as one huge string, which costs cppcheck minutes.
# shellcheck disable=SC2086
out=$("$CPPCHECK" --quiet -j"${LINT_JOBS:-2}" --std=c11 --language=c \
	--enable=warning,style,performance,portability --inline-suppr \
	--suppressions-list=scripts/lint/cppcheck.supp \
	--suppress=missingIncludeSystem --suppress=missingInclude \
	--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
	-D__x86_64__ -D__linux__ -D_GNU_SOURCE \
	'-DLIBBPF_OPTS(TYPE, NAME, ...)=struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }' \
	-Iinclude -Iloader/lib -Iloader/cli -Ibpf -Iselftests/lib \
	$dirs 2>&1)
rc=$?
if [ -n "$out" ] || [ $rc -ne 0 ]; then
	echo "$out"
	echo "cppcheck: findings in: $(echo $dirs)"
	exit 1
fi
echo "cppcheck: no findings in $(echo $dirs)"
