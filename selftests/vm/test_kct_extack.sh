#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad requests: the predicate parser names the bad word; the nfx_ct module
# rejects malformed netlink requests with EINVAL and an extended-ack text
# that reaches the caller.
. "$(dirname "$0")"/kct_lib.sh
need_vm_module

# expect_err "what" "text" cmd...: fails, and stderr holds text.
expect_err() {
	local what=$1 text=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		not_ok "$what: accepted ($out)"
	elif [[ $out == *"$text"* ]]; then
		ok "$what: \"${out#nfx-kct: }\""
	else
		not_ok "$what: want \"$text\", got \"$out\""
	fi
}

# The parser, in user space.
expect_err "parser: unknown word" "unknown predicate word 'colour'" "$KCT" parse colour red
expect_err "parser: unknown state" "unknown state 'establisht'" "$KCT" parse state establisht
expect_err "parser: bad prefix" "src '10.0.0.0/33'" "$KCT" parse src 10.0.0.0/33
expect_err "parser: mixed families" "family differs" "$KCT" parse src 10.0.0.0/8 dst fd00::/8
expect_err "parser: bad port range" "dport '90-80'" "$KCT" parse dport 90-80
expect_err "parser: bad age" "age '60'" "$KCT" parse age 60
expect_err "parser: word twice" "'zone' given twice" "$KCT" parse zone 1 zone 2
expect_err "parser: value missing" "'mark' needs a value" "$KCT" parse mark
out=$("$KCT" parse state unreplied proto tcp src 10.0.0.0/8 dport 80-90 zone 1 mark 0x1/0xff age ">60")
check "parser: the example predicate" test "$out" = "state unreplied proto 6 family inet src 10.0.0.0/8 dport 80-90 zone 1 mark 0x1/0xff age 61-4294967295"

# The module, past the parser.
expect_err "module: host bits beyond prefix" "address has bits set beyond its prefix length" "$KCT" badreq hostbits
expect_err "module: IPv4 prefix length 33" "prefix length exceeds the address family's" "$KCT" badreq plen
expect_err "module: address without family" "an address predicate needs a family" "$KCT" badreq nofamily
expect_err "module: port range reversed" "port range low end above its high end" "$KCT" badreq portrange
expect_err "module: mark outside mask" "mark has bits outside its mask" "$KCT" badreq markmask
expect_err "module: assured and unassured" "assured and unassured together never match" "$KCT" badreq status
expect_err "module: unknown TCP state bit (policy mask)" "Invalid argument: " "$KCT" badreq tcpstates
expect_err "module: family 7" "family must be AF_INET or AF_INET6" "$KCT" badreq family
expect_err "module: gc end below start" "GC end fill must be above start fill" "$KCT" gc set start=80 end=50
expect_err "module: gc interval out of range (policy)" "out of range" "$KCT" gc set interval=5
expect_err "module: gc start 0 (policy)" "out of range" "$KCT" gc set start=0
check "module: a good request still works" "$KCT" flush --dry-run --module state unreplied
finish
