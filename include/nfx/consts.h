/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Limits and constants of the datapath, kept in one place. */
#ifndef NFX_CONSTS_H
#define NFX_CONSTS_H

#define NFX_VERSION "0.1.0"

/* Where attach pins a link's programs and maps: NFX_PIN_ROOT/<ifname>/. */
#define NFX_PIN_ROOT "/sys/fs/bpf/nfx"

/* Parser bounds: both are verifier-visible loop limits. */
#define NFX_VLAN_MAX 2		/* 802.1Q / 802.1ad tags followed */
#define NFX_IPV6_EXT_MAX 6	/* IPv6 extension headers walked */
#define NFX_L4_OFF_MAX 1024	/* deepest transport header inspected */

/* Flow table sizes (entries). The unassured tier absorbs floods. */
#define NFX_FLOWS_MAX 262144
#define NFX_FLOWS_NEW_MAX 65536

/* Ethertypes and IP protocol numbers (macros are not in vmlinux.h). */
#define NFX_ETH_P_IP 0x0800
#define NFX_ETH_P_IPV6 0x86DD
#define NFX_ETH_P_8021Q 0x8100
#define NFX_ETH_P_8021AD 0x88A8

#define NFX_IPPROTO_HOPOPTS 0
#define NFX_IPPROTO_ICMP 1
#define NFX_IPPROTO_TCP 6
#define NFX_IPPROTO_UDP 17
#define NFX_IPPROTO_ROUTING 43
#define NFX_IPPROTO_FRAGMENT 44
#define NFX_IPPROTO_ESP 50
#define NFX_IPPROTO_AH 51
#define NFX_IPPROTO_ICMPV6 58
#define NFX_IPPROTO_NONE 59
#define NFX_IPPROTO_DSTOPTS 60

#define NFX_XDP_ABORTED 0
#define NFX_XDP_DROP 1
#define NFX_XDP_PASS 2
#define NFX_XDP_TX 3
#define NFX_XDP_REDIRECT 4

#endif /* NFX_CONSTS_H */
