#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# nfx-loader's command line: exit codes, help, JSON, one-line errors.
. "$(dirname "$0")/../lib/lib.sh"
[ -x "$NFX_LOADER" ] || nfx_skip "$NFX_LOADER not built"
L=$NFX_LOADER
rc() { "$@" >/dev/null 2>&1; echo $?; }

t_plan 12
t_eq "no command: usage, exit 2" "$(rc $L)" 2
t_eq "unknown command: exit 2" "$(rc $L frobnicate)" 2
t_eq "unknown global option: exit 2" "$(rc $L --frob status)" 2
t_eq "help: exit 0" "$(rc $L help)" 0
t_check "help lists every command" sh -c "$L help | grep -q attach && $L help | grep -q flows"
t_check "help attach shows its options" sh -c "$L help attach | grep -q -- '--mode'"
t_eq "attach without an interface: exit 2" "$(rc $L attach)" 2
t_eq "attach with two interfaces: exit 2" "$(rc $L attach a b)" 2
t_eq "unknown option of a command: exit 2" "$(rc $L attach --frob x)" 2
t_eq "version -j is JSON" "$($L -j version | jq -r .version)" "$($L version | awk '{print $2}')"
out=$($L -n nfx-no-such-ns status 2>&1); r=$?
t_check "missing netns: one line, exit 1" sh -c "[ $r -eq 1 ] && [ \$(echo '$out' | wc -l) -eq 1 ]"
t_eq "interface name with a slash is rejected" "$(rc $L detach ../etc)" 1
t_done
