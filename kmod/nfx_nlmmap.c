// SPDX-License-Identifier: GPL-2.0
/*
 * nfx_nlmmap: conntrack events in a memory-mapped ring of netlink frames.
 *
 * Linux removed NETLINK_MMAP in 4.8; this module gives nfx's reader the
 * same shape back for conntrack events: a ring shared with user space in
 * which each frame holds one complete ctnetlink message, handed back and
 * forth with a per-frame status word (protocol in include/nfx/nlmmap.h).
 * The reader handles messages in place with libmnl and never calls
 * recvmsg(); a sleeping reader is woken through poll().
 *
 * The messages are ctnetlink's own: while the device is open, a kernel
 * netlink socket of the module is a member of the conntrack NEW, UPDATE
 * and DESTROY groups in the initial namespace, and its data_ready
 * callback moves each multicast skb into the next free frame as it
 * arrives. This coexists with every other ctnetlink listener (the single
 * conntrack event notifier stays ctnetlink's) and adds one memcpy per
 * event where recvmsg() would add a copy to user space and a system call
 * per batch.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/poll.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include <nfx/nlmmap.h>

static unsigned int frame_size = 1024;
module_param(frame_size, uint, 0444);
MODULE_PARM_DESC(
	frame_size,
	"bytes per frame including its 16-byte header, 256..65536, multiple of 16 (default 1024)");

static unsigned int frame_nr = 4096;
module_param(frame_nr, uint, 0444);
MODULE_PARM_DESC(frame_nr, "frames in the ring, 16..1048576 (default 4096)");

struct nlmmap_ring {
	spinlock_t lock;		/* producer side: head, tail, pending */
	void *mem;			/* vmalloc_user(), mapped by the reader */
	size_t bytes;
	u32 head;			/* next frame the kernel writes */
	u32 tail;			/* oldest frame not yet seen handed back */
	u32 pending;			/* frames published, not yet seen handed back */
	u32 seq;
	wait_queue_head_t wq;
	struct socket *sock;
	atomic64_t written, dropped_full, dropped_big;
};

static atomic_t nlmmap_busy = ATOMIC_INIT(0);

static struct nfx_nlmmap_hdr *frame(struct nlmmap_ring *r, u32 i)
{
	return r->mem + (size_t)i * frame_size;
}

/* Move frames the reader handed back (UNUSED again) out of the window. */
static void reclaim(struct nlmmap_ring *r)
{
	while (r->pending && smp_load_acquire(&frame(r, r->tail)->status) == NFX_NLMMAP_UNUSED) {
		r->tail = (r->tail + 1) % frame_nr;
		r->pending--;
	}
}

/* One netlink message into the next frame, or a counted drop. */
static void publish(struct nlmmap_ring *r, const struct sk_buff *skb)
{
	struct nfx_nlmmap_hdr *h;
	unsigned long flags;

	if (skb->len > frame_size - NFX_NLMMAP_HDRLEN) {
		atomic64_inc(&r->dropped_big);
		return;
	}
	spin_lock_irqsave(&r->lock, flags);
	reclaim(r);
	h = frame(r, r->head);
	/* Anything but UNUSED is the reader's, whatever it wrote there. */
	if (smp_load_acquire(&h->status) != NFX_NLMMAP_UNUSED) {
		spin_unlock_irqrestore(&r->lock, flags);
		atomic64_inc(&r->dropped_full);
		return;
	}
	WRITE_ONCE(h->status, NFX_NLMMAP_RESERVED);
	if (skb_copy_bits(skb, 0, (void *)h + NFX_NLMMAP_HDRLEN, skb->len)) {
		WRITE_ONCE(h->status, NFX_NLMMAP_UNUSED);
		spin_unlock_irqrestore(&r->lock, flags);
		atomic64_inc(&r->dropped_big);
		return;
	}
	WRITE_ONCE(h->len, skb->len);
	WRITE_ONCE(h->seq, r->seq++);
	/* Payload and len before the status the reader polls. */
	smp_store_release(&h->status, NFX_NLMMAP_VALID);
	r->head = (r->head + 1) % frame_nr;
	r->pending++;
	spin_unlock_irqrestore(&r->lock, flags);
	atomic64_inc(&r->written);
	wake_up_interruptible_poll(&r->wq, EPOLLIN | EPOLLRDNORM);
}

/*
 * Called by netlink_broadcast() in the context of whoever raised the
 * conntrack event (often softirq): take every queued skb at once.
 */
static void nlmmap_data_ready(struct sock *sk)
{
	struct nlmmap_ring *r;
	struct sk_buff *skb;

	read_lock_bh(&sk->sk_callback_lock);
	r = sk->sk_user_data;
	while (r && (skb = skb_dequeue(&sk->sk_receive_queue))) {
		publish(r, skb);
		consume_skb(skb);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static int listen_conntrack(struct nlmmap_ring *r)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		/* bind() takes groups as a bitmask of (group number - 1) */
		.nl_groups = 1u << (NFNLGRP_CONNTRACK_NEW - 1) |
			     1u << (NFNLGRP_CONNTRACK_UPDATE - 1) |
			     1u << (NFNLGRP_CONNTRACK_DESTROY - 1),
	};
	struct sock *sk;
	int err;

	err = sock_create_kern(&init_net, AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER, &r->sock);
	if (err)
		return err;
	sk = r->sock->sk;
	/* Large enough that a burst never finds the queue full before data_ready drains it. */
	sk->sk_rcvbuf = 4 << 20;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = r;
	sk->sk_data_ready = nlmmap_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	err = kernel_bind(r->sock, (struct sockaddr *)&sa, sizeof(sa));
	if (err) {
		sock_release(r->sock);
		r->sock = NULL;
	}
	return err;
}

static void unlisten(struct nlmmap_ring *r)
{
	struct sock *sk;

	if (!r->sock)
		return;
	sk = r->sock->sk;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	write_unlock_bh(&sk->sk_callback_lock);
	sock_release(r->sock);
	r->sock = NULL;
}

static int nlmmap_open(struct inode *inode, struct file *file)
{
	struct nlmmap_ring *r;
	int err;

	/* A ring has one consumer: its frame order is the reader's order. */
	if (atomic_cmpxchg(&nlmmap_busy, 0, 1))
		return -EBUSY;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r) {
		err = -ENOMEM;
		goto fail;
	}
	spin_lock_init(&r->lock);
	init_waitqueue_head(&r->wq);
	r->bytes = PAGE_ALIGN((size_t)frame_size * frame_nr);
	r->mem = vmalloc_user(r->bytes);	/* zeroed: every frame UNUSED */
	if (!r->mem) {
		err = -ENOMEM;
		goto fail;
	}
	err = listen_conntrack(r);
	if (err) {
		pr_warn("cannot join the conntrack event groups: %d (is nf_conntrack_netlink loaded?)\n",
			err);
		goto fail;
	}
	file->private_data = r;
	return 0;
fail:
	if (r)
		vfree(r->mem);
	kfree(r);
	atomic_set(&nlmmap_busy, 0);
	return err;
}

/* Runs once the last mapping is gone too (a mapping holds the file). */
static int nlmmap_release(struct inode *inode, struct file *file)
{
	struct nlmmap_ring *r = file->private_data;

	unlisten(r);
	vfree(r->mem);
	kfree(r);
	atomic_set(&nlmmap_busy, 0);
	return 0;
}

static int nlmmap_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct nlmmap_ring *r = file->private_data;

	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != r->bytes)
		return -EINVAL;
	return remap_vmalloc_range(vma, r->mem, 0);
}

static __poll_t nlmmap_poll(struct file *file, poll_table *wait)
{
	struct nlmmap_ring *r = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &r->wq, wait);
	spin_lock_bh(&r->lock);
	reclaim(r);
	if (r->pending)
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock_bh(&r->lock);
	return mask;
}

static long nlmmap_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct nlmmap_ring *r = file->private_data;

	switch (cmd) {
	case NFX_NLMMAP_INFO: {
		struct nfx_nlmmap_info info = {
			.frame_size = frame_size,
			.frame_nr = frame_nr,
			.ring_bytes = r->bytes,
		};

		return copy_to_user((void __user *)arg, &info, sizeof(info)) ? -EFAULT : 0;
	}
	case NFX_NLMMAP_STATS: {
		struct nfx_nlmmap_stats st = {
			.written = atomic64_read(&r->written),
			.dropped_full = atomic64_read(&r->dropped_full),
			.dropped_big = atomic64_read(&r->dropped_big),
		};

		return copy_to_user((void __user *)arg, &st, sizeof(st)) ? -EFAULT : 0;
	}
	}
	return -ENOTTY;
}

static const struct file_operations nlmmap_fops = {
	.owner = THIS_MODULE,
	.open = nlmmap_open,
	.release = nlmmap_release,
	.mmap = nlmmap_mmap,
	.poll = nlmmap_poll,
	.unlocked_ioctl = nlmmap_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice nlmmap_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "nfx_nlmmap",
	.fops = &nlmmap_fops,
	.mode = 0600,
};

static int __init nlmmap_init(void)
{
	BUILD_BUG_ON(sizeof(struct nfx_nlmmap_hdr) != NFX_NLMMAP_HDRLEN);
	BUILD_BUG_ON(NFX_NLMMAP_HDRLEN % NLMSG_ALIGNTO);
	if (frame_size < 256 || frame_size > 65536 || frame_size % 16 || frame_nr < 16 ||
	    frame_nr > 1048576) {
		pr_err("frame_size %u / frame_nr %u out of range\n", frame_size, frame_nr);
		return -EINVAL;
	}
	return misc_register(&nlmmap_dev);
}

static void __exit nlmmap_exit(void)
{
	misc_deregister(&nlmmap_dev);
}

module_init(nlmmap_init);
module_exit(nlmmap_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nfx: conntrack events in a memory-mapped ring of netlink frames");
