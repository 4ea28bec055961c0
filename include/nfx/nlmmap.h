/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nfx_nlmmap: a memory-mapped ring of netlink-framed conntrack events,
 * shared between the kernel module kmod/nfx_nlmmap.c and libnfx.
 *
 * /dev/nfx_nlmmap is opened by one reader at a time. NFX_NLMMAP_INFO gives
 * the geometry; mmap() of frame_nr * frame_size bytes at offset 0 maps the
 * ring. Frame i starts at i * frame_size with a struct nfx_nlmmap_hdr; its
 * payload (at NFX_NLMMAP_HDRLEN) is one complete netlink message (struct
 * nlmsghdr + nfgenmsg + attributes, exactly what ctnetlink multicasts),
 * readable with libmnl in place.
 *
 * Slot-status protocol (the way NETLINK_MMAP's RX ring worked):
 *
 *   UNUSED --kernel--> RESERVED --kernel--> VALID --user--> UNUSED
 *
 *  - The kernel writes frames in ring order. It takes the frame at its
 *    head only if the status is UNUSED; otherwise the ring is full and the
 *    message is dropped and counted (NFX_NLMMAP_STATS: dropped_full). It
 *    marks the frame RESERVED, copies the message, sets len, and publishes
 *    it with a release store of VALID.
 *  - The reader starts at frame 0 and consumes in ring order: while the
 *    status of its frame is VALID (acquire load), it handles the payload,
 *    then hands the frame back with a release store of UNUSED and moves
 *    on. It never touches a RESERVED frame.
 *  - poll() reports POLLIN while a VALID frame waits. A message larger than
 *    a frame's payload is dropped (dropped_big).
 *  - A dropped message is a lost event: the reader compares the drop
 *    counters after each wake-up and resynchronises by a ctnetlink dump.
 */
#ifndef NFX_NLMMAP_H
#define NFX_NLMMAP_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define NFX_NLMMAP_DEV "/dev/nfx_nlmmap"

enum nfx_nlmmap_status {
	NFX_NLMMAP_UNUSED = 0,		/* owned by the kernel, free */
	NFX_NLMMAP_RESERVED = 1,	/* the kernel is writing it */
	NFX_NLMMAP_VALID = 2,		/* owned by the reader */
};

struct nfx_nlmmap_hdr {
	__u32 status;			/* enum nfx_nlmmap_status */
	__u32 len;			/* payload bytes (the netlink message) */
	__u32 seq;			/* frames written since open, for gap checks */
	__u32 pad;
};

#define NFX_NLMMAP_HDRLEN 16		/* sizeof(struct nfx_nlmmap_hdr), NLMSG-aligned */

struct nfx_nlmmap_info {
	__u32 frame_size;		/* bytes per frame, header included */
	__u32 frame_nr;			/* frames in the ring */
	__u64 ring_bytes;		/* frame_size * frame_nr: the mmap() length */
};

struct nfx_nlmmap_stats {
	__u64 written;			/* messages published */
	__u64 dropped_full;		/* ring full */
	__u64 dropped_big;		/* larger than a frame */
};

#define NFX_NLMMAP_IOC_MAGIC 0xfc
#define NFX_NLMMAP_INFO _IOR(NFX_NLMMAP_IOC_MAGIC, 1, struct nfx_nlmmap_info)
#define NFX_NLMMAP_STATS _IOR(NFX_NLMMAP_IOC_MAGIC, 2, struct nfx_nlmmap_stats)

#endif /* NFX_NLMMAP_H */
