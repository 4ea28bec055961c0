#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Generate the nfgrep test pcaps and their expected results.

Every pcap holds complete conversations (TCP with its handshake) built
with scapy, so that the same files can be read by nfgrep-test and by the
nDPI driver. Run: /usr/bin/python3 scripts/gen-pcaps.py [OUTDIR]
"""
import os
import struct
import sys

from scapy.all import Ether, IP, IPv6, TCP, UDP, Raw, wrpcap  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else "selftests/data/pcap"
CMAC, SMAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
expected = []
T0 = 1700000000.0


class Conv:
    """One conversation; packets get increasing timestamps."""

    def __init__(self, cli, srv, sport, dport, v6=False):
        self.cli, self.srv, self.sport, self.dport, self.v6 = cli, srv, sport, dport, v6
        self.seq = {0: 1000, 1: 50000}
        self.pkts = []

    def ip(self, d):
        src, dst = (self.cli, self.srv) if d == 0 else (self.srv, self.cli)
        eth = Ether(src=CMAC if d == 0 else SMAC, dst=SMAC if d == 0 else CMAC)
        return eth / (IPv6(src=src, dst=dst) if self.v6 else IP(src=src, dst=dst))

    def ports(self, d):
        return (self.sport, self.dport) if d == 0 else (self.dport, self.sport)

    def tcp(self, d, flags, payload=b"", seq=None):
        sp, dp = self.ports(d)
        s = self.seq[d] if seq is None else seq
        p = self.ip(d) / TCP(sport=sp, dport=dp, flags=flags, seq=s, ack=self.seq[1 - d], window=64240)
        if payload:
            p = p / Raw(payload)
        return p

    def handshake(self):
        self.pkts.append(self.tcp(0, "S"))
        self.seq[0] += 1
        self.pkts.append(self.tcp(1, "SA"))
        self.seq[1] += 1
        self.pkts.append(self.tcp(0, "A"))
        return self

    def send(self, d, data, cuts=(), order=None):
        """Send data in segments cut at the given offsets, in `order`."""
        bounds = [0] + list(cuts) + [len(data)]
        segs = []
        for i in range(len(bounds) - 1):
            segs.append((self.seq[d] + bounds[i], data[bounds[i]:bounds[i + 1]]))
        if order:
            segs = [segs[i] for i in order]
        for s, chunk in segs:
            self.pkts.append(self.tcp(d, "PA", chunk, seq=s))
        self.seq[d] += len(data)
        self.pkts.append(self.tcp(1 - d, "A"))
        return self

    def dgram(self, d, data):
        sp, dp = self.ports(d)
        self.pkts.append(self.ip(d) / UDP(sport=sp, dport=dp) / Raw(data))
        return self


def write(name, convs, results):
    pkts = []
    for c in convs:
        pkts += c.pkts
    for i, p in enumerate(pkts):
        p.time = T0 + i * 0.001
    wrpcap(os.path.join(OUT, name), pkts)
    for i, r in enumerate(results):
        expected.append("%s %d %s" % (name, i + 1, r))


def http_req(host, method="GET", ua="curl/8.0"):
    return ("%s /index.html HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n\r\n"
            % (method, host, ua)).encode()


def tls_client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    exts = sni_ext + struct.pack("!HH", 0x000a, 4) + b"\x00\x02\x00\x1d"
    exts += struct.pack("!HH", 0x002b, 3) + b"\x02\x03\x04"
    ciphers = b"\x13\x01\x13\x02\x13\x03\xc0\x2b\xc0\x2f\x00\x9c\x00\x2f" * 3
    body = b"\x03\x03" + bytes(range(32)) + b"\x20" + bytes(range(32, 64))
    body += struct.pack("!H", len(ciphers)) + ciphers + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def dns_query(qname, qid=0x1234):
    q = b"".join(bytes([len(l)]) + l.encode() for l in qname.split(".")) + b"\x00"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + b"\x00\x01\x00\x01"


def dns_answer(query):
    return query[:2] + b"\x81\x80" + query[4:6] + b"\x00\x01" + query[8:] + \
        b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x5d\xb8\xd8\x22"


def main():
    os.makedirs(OUT, exist_ok=True)
    C, S = "10.0.0.1", "10.0.0.2"

    # HTTP: plain, sub-protocols, methods, and the request line cut in the
    # middle of tokens, plus out-of-order delivery.
    write("http-get.pcap", [Conv(C, S, 40001, 80).handshake().send(0, http_req("example.org"))
                            .send(1, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")], ["http"])
    write("http-youtube.pcap", [Conv(C, S, 40002, 80).handshake().send(0, http_req("www.youtube.com"))],
          ["http.youtube"])
    write("http-post-netflix.pcap", [Conv(C, S, 40003, 8080).handshake()
                                     .send(0, http_req("www.netflix.com", "POST"))], ["http.netflix"])
    r = http_req("www.youtube.com")
    write("http-split.pcap", [Conv(C, S, 40004, 80).handshake().send(0, r, cuts=(2, 17, 30))],
          ["http.youtube"])
    write("http-ooo.pcap", [Conv(C, S, 40005, 80).handshake().send(0, r, cuts=(20, 40), order=(0, 2, 1))],
          ["http.youtube"])
    write("http-wu.pcap", [Conv("2001:db8::1", "2001:db8::2", 40006, 80, v6=True).handshake()
                           .send(0, http_req("fe2.update.microsoft.com", ua="Windows-Update-Agent/10.0"))],
          ["http.windowsupdate"])

    # TLS: SNI naming, and a ClientHello spread over three segments.
    write("tls-example.pcap", [Conv(C, S, 40010, 443).handshake().send(0, tls_client_hello("www.example.com"))],
          ["tls.example"])
    write("tls-youtube-split.pcap", [Conv(C, S, 40011, 443).handshake()
                                     .send(0, tls_client_hello("i.ytimg.youtube.com"), cuts=(3, 100, 210))],
          ["tls.youtube"])
    write("tls-plain.pcap", [Conv(C, S, 40012, 8443).handshake().send(0, tls_client_hello("intranet.corp"))]
          + [Conv(C, S, 40013, 443).handshake().send(0, tls_client_hello("a.b"), cuts=(150,), order=(1, 0))],
          ["tls", "tls"])

    q = dns_query("www.example.com")
    write("dns-udp.pcap", [Conv(C, S, 40020, 53).dgram(0, q).dgram(1, dns_answer(q))], ["dns"])
    tq = struct.pack("!H", len(q)) + q
    write("dns-tcp.pcap", [Conv(C, S, 40021, 53).handshake().send(0, tq, cuts=(1,))
                       .send(1, struct.pack("!H", len(dns_answer(q))) + dns_answer(q))], ["dns-tcp"])

    write("ssh.pcap", [Conv(C, S, 40030, 22).handshake().send(1, b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
                       .send(0, b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")], ["ssh"])
    write("smtp.pcap", [Conv(C, S, 40031, 25).handshake().send(1, b"220 mail.example.org ESMTP Postfix\r\n")
                        .send(0, b"EHLO client.example.org\r\n")
                        .send(1, b"250-mail.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                        .send(0, b"MAIL FROM:<a@example.org>\r\n").send(1, b"250 2.1.0 Ok\r\n")], ["smtp"])
    write("imap.pcap", [Conv(C, S, 40032, 143).handshake()
                        .send(1, b"* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n")
                        .send(0, b"a001 CAPABILITY\r\n")
                        .send(1, b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\na001 OK done\r\n")
                        .send(0, b"a002 LOGIN alice secret\r\n").send(1, b"a002 OK Logged in\r\n")], ["imap"])
    write("pop3.pcap", [Conv(C, S, 40033, 110).handshake().send(1, b"+OK Dovecot ready.\r\n")
                        .send(0, b"CAPA\r\n")
                        .send(1, b"+OK\r\nTOP\r\nUSER\r\nUIDL\r\n.\r\n").send(0, b"USER alice\r\n")
                        .send(1, b"+OK\r\n").send(0, b"PASS secret\r\n").send(1, b"+OK Logged in.\r\n")], ["pop3"])
    write("ftp.pcap", [Conv(C, S, 40034, 21).handshake().send(1, b"220 (vsFTPd 3.0.3)\r\n")
                       .send(0, b"USER anonymous\r\n")
                       .send(1, b"331 Please specify the password.\r\n").send(0, b"PASS guest\r\n")
                       .send(1, b"230 Login successful.\r\n")], ["ftp"])
    sip = (b"REGISTER sip:example.org SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776\r\n"
           b"From: <sip:alice@example.org>;tag=1\r\nTo: <sip:alice@example.org>\r\nCall-ID: 1@10.0.0.1\r\n"
           b"CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n")
    write("sip-udp.pcap", [Conv(C, S, 5060, 5060).dgram(0, sip)], ["sip"])
    rtsp = b"OPTIONS rtsp://cam.example.org/stream RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: VLC\r\n\r\n"
    write("rtsp.pcap", [Conv(C, S, 40035, 554).handshake().send(0, rtsp, cuts=(10,))], ["rtsp"])
    bt = b"\x13BitTorrent protocol" + b"\x00" * 8 + bytes(range(20)) + b"-qB4500-abcdefghijkl"
    write("bittorrent.pcap", [Conv(C, S, 40036, 51413).handshake().send(0, bt, cuts=(7,)).send(1, bt)], ["bittorrent"])
    quic = b"\xc3\x00\x00\x00\x01\x08" + bytes(range(8)) + b"\x00\x00\x44\xd0" + bytes(1200)
    write("quic.pcap", [Conv(C, S, 40037, 443).dgram(0, quic)], ["quic"])
    mqtt = b"\x10\x18\x00\x04MQTT\x04\x02\x00\x3c\x00\x0cclient-12345"
    write("mqtt.pcap", [Conv(C, S, 40038, 1883).handshake().send(0, mqtt)], ["mqtt"])
    write("redis.pcap", [Conv(C, S, 40039, 6379).handshake()
                         .send(0, b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
                         .send(1, b"+OK\r\n").send(0, b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n")
                         .send(1, b"$5\r\nvalue\r\n")], ["redis"])
    params = b"user\x00postgres\x00database\x00app\x00\x00"
    startup = struct.pack("!II", 8 + len(params), 196608) + params
    write("postgresql.pcap", [Conv(C, S, 40040, 5432).handshake().send(0, startup)
                              .send(1, b"R\x00\x00\x00\x08\x00\x00\x00\x00S\x00\x00\x00\x16server_version\x0016.1\x00Z\x00\x00\x00\x05I")],
          ["postgresql"])
    write("postgresql-ssl.pcap", [Conv(C, S, 40041, 5432).handshake()
                                  .send(0, struct.pack("!II", 8, 80877103)).send(1, b"S")], ["postgresql.ssl"])

    # Negative cases: random bytes, and an HTTP-looking request on a UDP flow.
    write("unknown.pcap", [Conv(C, S, 40050, 9999).handshake().send(0, bytes(range(200)))
                           .send(1, bytes(range(255, 55, -1)))], ["unknown"])

    with open(os.path.join(OUT, "expected.txt"), "w") as f:
        f.write("# <pcap> <flow> <result>, written by scripts/gen-pcaps.py\n")
        f.write("\n".join(expected) + "\n")


if __name__ == "__main__":
    main()
