// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * UDP packet blaster for forwarding benchmarks between the project's own
 * network namespaces: sends COUNT datagrams of one flow with sendmmsg()
 * and prints "packets seconds pps".
 *
 *	nfx-blast [-6] -d DST -p PORT [-n COUNT] [-s SIZE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {};
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	static char payload[1500];
	const char *dst = NULL;
	unsigned long count = 1000000, sent = 0, port = 9;
	size_t size = 64;
	struct timespec t0, t1;
	socklen_t slen;
	int fd, c, v6 = 0, i;
	double secs;

	while ((c = getopt(argc, argv, "6d:p:n:s:")) != -1) {
		switch (c) {
		case '6':
			v6 = 1;
			break;
		case 'd':
			dst = optarg;
			break;
		case 'p':
			port = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 's':
			size = strtoul(optarg, NULL, 0);
			break;
		default:
			return 2;
		}
	}
	if (!dst || port == 0 || port > 65535 || size == 0 || size > sizeof(payload)) {
		fprintf(stderr,
			"usage: nfx-blast [-6] -d DST -p PORT [-n COUNT] [-s SIZE<=1500]\n");
		return 2;
	}
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		if (inet_pton(AF_INET6, dst, &a->sin6_addr) != 1)
			goto bad;
		slen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		if (inet_pton(AF_INET, dst, &a->sin_addr) != 1)
			goto bad;
		slen = sizeof(*a);
	}
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, slen)) {
		fprintf(stderr, "nfx-blast: %s: %s\n", dst, strerror(errno));
		return 1;
	}
	iov.iov_base = payload;
	iov.iov_len = size;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sent < count) {
		int n = sendmmsg(fd, msgs, count - sent < BATCH ? count - sent : BATCH, 0);

		if (n < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED)
				continue;
			fprintf(stderr, "nfx-blast: sendmmsg: %s\n", strerror(errno));
			return 1;
		}
		sent += n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%lu %.6f %.0f\n", sent, secs, sent / secs);
	close(fd);
	return 0;
bad:
	fprintf(stderr, "nfx-blast: '%s' is not an IPv%d address\n", dst, v6 ? 6 : 4);
	return 2;
}
