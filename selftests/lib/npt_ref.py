#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# An independent RFC 6296 reference for the end-to-end tests: prints the
# translation of ADDRESS from prefix FROM to prefix TO (same length), or
# "untranslatable".
#   npt_ref.py ADDRESS FROM/LEN TO/LEN
import ipaddress
import sys


def ones_sum(words):
    s = 0
    for w in words:
        s += w
        s = (s & 0xFFFF) + (s >> 16)
    return s


def words(addr):
    b = addr.packed
    return [b[i] << 8 | b[i + 1] for i in range(0, 16, 2)]


def translate(addr, frm, to):
    n = frm.prefixlen
    adj = ones_sum(words(frm.network_address) + [~w & 0xFFFF for w in words(to.network_address)])
    mask = (1 << 128) - (1 << (128 - n))
    a = (int(addr) & ~mask) | (int(to.network_address) & mask)
    w = words(ipaddress.IPv6Address(a))
    if n <= 48:
        idx = 3 if w[3] != 0xFFFF else None
    else:
        idx = next((i for i in range(4, 8) if w[i] != 0xFFFF), None)
    if idx is None:
        return None
    v = ones_sum([w[idx], adj])
    w[idx] = 0 if v == 0xFFFF else v
    return ipaddress.IPv6Address(b"".join(x.to_bytes(2, "big") for x in w))


if __name__ == "__main__":
    r = translate(ipaddress.IPv6Address(sys.argv[1]), ipaddress.IPv6Network(sys.argv[2]),
                  ipaddress.IPv6Network(sys.argv[3]))
    print(r if r is not None else "untranslatable")
