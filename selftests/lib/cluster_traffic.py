#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Traffic for the cluster tests and benchmark.

tcp  : hold N TCP connections to echo servers, exchange a line on each
       every INTERVAL, report which connections still echo at the end and
       the longest silence each one saw (JSON).
udp  : send N UDP flows at RATE packets/s each for DURATION seconds.
sink : receive UDP, report per flow the packets received, lost, the
       longest run of consecutive losses (at a known send rate: the time
       the flow had no path, e.g. a failover) and the longest arrival gap.
"""
import argparse
import json
import select
import socket
import time


def targets(spec):
    out = []
    for t in spec.split(','):
        host, port = t.rsplit(':', 1)
        out.append((host.strip('[]'), int(port)))
    return out


def tcp(a):
    conns = []
    for i in range(a.n):
        host, port = targets(a.connect)[i % len(targets(a.connect))]
        fam = socket.AF_INET6 if ':' in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect((host, port))
        s.setblocking(False)
        conns.append({'s': s, 'sent': 0, 'got': b'', 'echoed': 0, 'last': time.monotonic(),
                      'gap': 0.0, 'err': None, 'port': s.getsockname()[1], 'family': 6 if fam == socket.AF_INET6 else 4})
    if a.ready:
        with open(a.ready, 'w') as f:
            json.dump([{'port': c['port'], 'family': c['family']} for c in conns], f)
    end = time.monotonic() + a.duration
    next_send = 0.0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if now >= next_send:
            for c in conns:
                if c['err']:
                    continue
                try:
                    c['s'].send(b'%d\n' % c['sent'])
                    c['sent'] += 1
                except OSError as e:
                    c['err'] = str(e)
            next_send = now + a.interval
        live = [c for c in conns if not c['err']]
        r, _, _ = select.select([c['s'] for c in live], [], [], max(0.0, min(next_send, end) - time.monotonic()))
        now = time.monotonic()
        for c in live:
            if c['s'] not in r:
                continue
            try:
                d = c['s'].recv(65536)
            except OSError as e:
                c['err'] = str(e)
                continue
            if not d:
                c['err'] = 'closed by peer'
                continue
            c['echoed'] += d.count(b'\n')
            c['gap'] = max(c['gap'], now - c['last'])
            c['last'] = now
    now = time.monotonic()
    res = []
    for c in conns:
        # Surviving: no error and an echo within the last three intervals (plus slack).
        ok = not c['err'] and now - c['last'] < 3 * a.interval + 0.5
        res.append({'port': c['port'], 'family': c['family'], 'ok': ok, 'sent': c['sent'],
                    'echoed': c['echoed'], 'max_gap_ms': round(c['gap'] * 1000, 1), 'error': c['err']})
        c['s'].close()
    print(json.dumps({'total': len(res), 'surviving': sum(r['ok'] for r in res), 'conns': res}))


def udp(a):
    socks = []
    for i in range(a.n):
        host, port = targets(a.connect)[i % len(targets(a.connect))]
        fam = socket.AF_INET6 if ':' in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.connect((host, port))
        socks.append(s)
    period = 1.0 / a.rate
    end = time.monotonic() + a.duration
    seq = 0
    t = time.monotonic()
    while t < end:
        for i, s in enumerate(socks):
            try:
                s.send(b'%d %d' % (i, seq))
            except OSError:
                pass
        seq += 1
        t += period
        d = t - time.monotonic()
        if d > 0:
            time.sleep(d)


def sink(a):
    host, port = targets(a.bind)[0]
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        # Room for a few hundred ms of traffic: a sink short of CPU must not drop.
        s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    s.bind((host, port))
    s.settimeout(a.idle)
    flows = {}
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        try:
            data, src = s.recvfrom(2048)
        except socket.timeout:
            if flows:
                break
            continue
        now = time.monotonic()
        try:
            seq = int(data.split()[1])
        except (IndexError, ValueError):
            continue
        f = flows.setdefault('%s:%d' % (src[0], src[1]),
                             {'n': 0, 'last': now, 'gap': 0.0, 'seq': seq - 1, 'lost': 0, 'run': 0})
        f['gap'] = max(f['gap'], now - f['last'])
        # Packets missing between two arrivals: the time the flow had no
        # path, independent of when the sender or this sink got the CPU.
        if seq > f['seq']:
            f['run'] = max(f['run'], seq - f['seq'] - 1)
            f['lost'] += seq - f['seq'] - 1
            f['seq'] = seq
        f['n'] += 1
        f['last'] = now
    print(json.dumps({k: {'packets': v['n'], 'lost': v['lost'], 'longest_loss': v['run'],
                          'max_gap_ms': round(v['gap'] * 1000, 2)} for k, v in flows.items()}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['tcp', 'udp', 'sink'])
    p.add_argument('--connect', default='')
    p.add_argument('--bind', default='')
    p.add_argument('-n', type=int, default=8)
    p.add_argument('--duration', type=float, default=10)
    p.add_argument('--interval', type=float, default=0.05)
    p.add_argument('--rate', type=float, default=1000)
    p.add_argument('--idle', type=float, default=3)
    p.add_argument('--ready')
    a = p.parse_args()
    {'tcp': tcp, 'udp': udp, 'sink': sink}[a.mode](a)


if __name__ == '__main__':
    main()
