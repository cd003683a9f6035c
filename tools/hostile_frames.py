#!/usr/bin/env python3
"""Hostile traffic at a Tickwire host, from a test namespace (an AF_PACKET socket on IFACE).

While a TCP connection between PEER_IP:PEER_PORT (the kernel) and TARGET_IP (Tickwire) is
streaming, it sends for SECONDS: random frames and truncated headers to TARGET_MAC, TCP
segments with every flag combination outside the connection's window (learned by sniffing
one of Tickwire's segments), RSTs inside the window but not at its left edge (RFC 5961's
blind reset), SYNs inside the window, a SYN flood from spoofed sources, and ARP requests for
other addresses. Prints a JSON line with what it sent.
"""
import json, os, random, socket, struct, sys, time

iface, target_mac_s, target_ip, peer_ip, peer_port, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
tmac = bytes.fromhex(target_mac_s.replace(':', ''))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((iface, 0))
mymac = s.getsockname()[4][:6]
rnd = random.Random(7)
_send = s.send


def send(frame):
    try:
        _send(frame)
    except OSError:
        pass   # a frame the kernel refuses to send (too short): nothing left the host




def csum(b):
    if len(b) % 2:
        b += b'\0'
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff


def ipv4(src, dst, proto, payload):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), rnd.randrange(65536), 0x4000, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload


def tcp(src, dst, sport, dport, seq, ack, flags, win=65535, payload=b''):
    h = struct.pack('!HHIIBBHHH', sport, dport, seq & 0xffffffff, ack & 0xffffffff, 5 << 4, flags, win, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(h) + len(payload))
    c = csum(pseudo + h + payload)
    return h[:16] + struct.pack('!H', c) + h[18:] + payload


def eth(payload, etype=0x0800, dst=None):
    return (dst or tmac) + mymac + struct.pack('!H', etype) + payload


# Learn the connection from one of Tickwire's segments to the peer.
s.settimeout(5)
ours = None
end = time.time() + 5
while time.time() < end:
    f = s.recv(2048)
    if len(f) >= 54 and f[12:14] == b'\x08\x00' and f[23] == 6 and f[26:30] == socket.inet_aton(target_ip):
        sport, dport, seq, ack = struct.unpack('!HHII', f[34:46])
        if dport == peer_port:
            ours = (sport, seq, ack)
            break
if ours is None:
    print(json.dumps({'error': 'no segment of the connection seen'}))
    sys.exit(1)
our_port, our_seq, our_ack = ours     # their ack = the next byte Tickwire expects from the peer
sent = {'random': 0, 'truncated': 0, 'flags_outside': 0, 'blind_rst': 0, 'blind_syn': 0, 'syn_flood': 0, 'arp_other': 0}
template = eth(ipv4(peer_ip, target_ip, 6, tcp(peer_ip, target_ip, peer_port, our_port, our_ack, our_seq, 0x10, payload=b'x' * 20)))
end = time.time() + seconds
while time.time() < end:
    for _ in range(20):
        send(tmac + mymac + bytes(rnd.randrange(256) for _ in range(rnd.randrange(2, 120))))
        sent['random'] += 1
        # Headers that claim more than the frame holds, or do not add up.
        f = bytearray(template)
        k = rnd.randrange(4)
        if k == 0:
            f[16:18] = struct.pack('!H', 1500)                 # IPv4 total length past the frame
        elif k == 1:
            f[14] = 0x4F                                       # IPv4 header length 60 bytes
        elif k == 2:
            f[46] = 0xF0                                       # TCP data offset 60 bytes
        else:
            f[rnd.randrange(54, len(f))] ^= 0xA5               # a payload byte: the TCP checksum fails
        send(bytes(f))
        sent['truncated'] += 1
    for flags in range(256):
        # Far outside the window (about 1 GB away): counted and answered, never taken.
        send(eth(ipv4(peer_ip, target_ip, 6, tcp(peer_ip, target_ip, peer_port, our_port, our_ack + 0x40000000, our_seq, flags,
                                                   payload=b'evil' if flags & 1 else b''))))
        sent['flags_outside'] += 1
    for k in range(10):
        # A RST inside the window but not at its left edge, and a SYN inside it: challenge ACKs.
        send(eth(ipv4(peer_ip, target_ip, 6, tcp(peer_ip, target_ip, peer_port, our_port, our_ack + 1000 + k * 100, 0, 0x04))))
        sent['blind_rst'] += 1
        send(eth(ipv4(peer_ip, target_ip, 6, tcp(peer_ip, target_ip, peer_port, our_port, our_ack + 2000 + k, 0, 0x02))))
        sent['blind_syn'] += 1
    for k in range(100):
        src = '10.79.%d.%d' % (int(target_ip.split('.')[2]), rnd.randrange(3, 250))
        send(eth(ipv4(src, target_ip, 6, tcp(src, target_ip, rnd.randrange(1024, 65535), 80, rnd.randrange(1 << 32), 0, 0x02))))
        sent['syn_flood'] += 1
    for k in range(5):
        arp = struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 1, mymac, socket.inet_aton(peer_ip), b'\0' * 6,
                          socket.inet_aton('10.79.%d.%d' % (int(target_ip.split('.')[2]), 200 + k)))
        send(eth(arp, 0x0806, b'\xff' * 6))
        sent['arp_other'] += 1
    time.sleep(0.01)
print(json.dumps(sent), flush=True)
