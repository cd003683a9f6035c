#!/usr/bin/env python3
"""A real order-entry session as a seed for the gateway fuzz target (Fuzz/Sources/FuzzGateway).

Reads a venue capture (`tickwire exchange --capture F`: every byte of its SoupBinTCP sessions,
both ways) and writes the first session of it as a FuzzGateway script in its real-session mode
(configuration bit 2: the venue's symbols SYN0001..SYN0003, absolute shares and prices): each
Enter Order, Cancel and Replace the client sent becomes the matching request, and each message
the venue sent back becomes a raw OUCH payload delivered as Sequenced Data, in the order the
venue saw them, with the time between them. The fuzz target's gateway numbers its orders as the
captured one did (from 1), so the venue's answers name its orders.

    tools/gateway_seed.py CAPTURE --port 26500 --ouch 5.0 -o Fuzz/Seeds/Gateway/real-v50
"""
import argparse
import struct
import sys


def records(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B23C4D, 0xA1B2C3D4):
        sys.exit(f"{path}: not a little-endian pcap")
    nano = magic == 0xA1B23C4D
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        off += 16
        yield sec * 1_000_000_000 + (frac if nano else frac * 1000), data[off:off + incl]
        off += incl


def tcp_payloads(path, port):
    """(time, from_venue, payload) of the first connection to `port`, in capture order."""
    conn = None
    for t, f in records(path):
        if len(f) < 14 or f[12:14] != b"\x08\x00" or f[23] != 6:
            continue
        ihl = (f[14] & 0x0F) * 4
        tcp = 14 + ihl
        sport, dport = struct.unpack(">HH", f[tcp:tcp + 4])
        if port not in (sport, dport):
            continue
        client = (sport, dport) if dport == port else (dport, sport)
        if conn is None:
            conn = client
        if client != conn:
            continue  # a later session (a reconnect): the seed is one session
        total = struct.unpack(">H", f[16:18])[0]
        body = f[tcp + (f[tcp + 12] >> 4) * 4:14 + total]
        if body:
            yield t, sport == port, body


class Script:
    def __init__(self, version):
        self.version = version
        self.out = bytearray([5 if version == "5.0" else 4])  # bit 0: OUCH 5.0; bit 2: real-session mode
        self.last = None

    def time(self, t):
        if self.last is not None and t - self.last >= 1_000_000:
            ms = min((t - self.last) // 1_000_000, 0xFFFF)
            self.out += bytes([7]) + struct.pack(">H", ms)
        self.last = t

    def locate(self, stock):
        s = stock.decode().strip()
        if not s.startswith("SYN") or not 1 <= int(s[3:]) <= 3:
            sys.exit(f"symbol {s}: the fuzz target knows SYN0001..SYN0003 (run the gateway with --symbols 3)")
        return int(s[3:]) - 1  # op 0 takes 1 + byte % 3

    def target(self, order_id):
        return bytes([0xC0]) + struct.pack(">I", order_id)

    def client(self, m):
        kind = chr(m[0])
        if self.version == "4.2":
            if kind == "O":
                shares, = struct.unpack(">I", m[16:20])
                price, = struct.unpack(">I", m[28:32])
                tif, = struct.unpack(">I", m[32:36])
                flags = (1 if m[15:16] in (b"S", b"T", b"E") else 0) | (2 if tif == 0 else 0)
                self.out += bytes([0, self.locate(m[20:28]), flags]) + struct.pack(">II", shares, price)
            elif kind == "X":
                remaining, = struct.unpack(">I", m[15:19])
                self.out += bytes([1]) + self.target(token_number(m[1:15])) + bytes([0 if remaining == 0 else 0x80 | min(remaining, 0x7F)])
            elif kind == "U":
                shares, price = struct.unpack(">II", m[29:37])
                self.out += bytes([2]) + self.target(token_number(m[1:15])) + struct.pack(">II", shares, price)
        else:
            if kind == "O":
                ref, = struct.unpack(">I", m[1:5])
                shares, = struct.unpack(">I", m[6:10])
                price, = struct.unpack(">q", m[18:26])
                flags = (1 if m[5:6] in (b"S", b"T", b"E") else 0) | (2 if m[26:27] == b"3" else 0)
                self.out += bytes([0, self.locate(m[10:18]), flags]) + struct.pack(">II", shares, price)
            elif kind == "X":
                ref, remaining = struct.unpack(">II", m[1:9])
                self.out += bytes([1]) + self.target(ref) + bytes([0 if remaining == 0 else 0x80 | min(remaining, 0x7F)])
            elif kind == "U":
                orig, new, shares = struct.unpack(">III", m[1:13])
                price, = struct.unpack(">q", m[13:21])
                self.out += bytes([2]) + self.target(orig) + struct.pack(">II", shares, price)

    def venue(self, kind, payload):
        if kind == "S":
            if len(payload) > 255:
                sys.exit(f"a venue message of {len(payload)} bytes: the script's raw payload holds 255")
            self.out += bytes([5, len(payload)]) + payload
        elif kind == "H":
            self.out += bytes([9])
        elif kind == "Z":
            self.out += bytes([6, 3, 0, 1, ord("Z")])


def token_number(token):
    digits = token.decode().strip()[2:]
    return int(digits) if digits.isdigit() else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("capture")
    ap.add_argument("--port", type=int, default=26500, help="the venue's order-entry port")
    ap.add_argument("--ouch", choices=["4.2", "5.0"], default="5.0")
    ap.add_argument("-o", "--out", required=True)
    a = ap.parse_args()
    s = Script(a.ouch)
    bufs = {True: b"", False: b""}
    counts = {"requests": 0, "answers": 0}
    kinds = {}
    for t, from_venue, body in tcp_payloads(a.capture, a.port):
        bufs[from_venue] += body
        b = bufs[from_venue]
        while len(b) >= 2 and len(b) >= 2 + struct.unpack(">H", b[:2])[0]:
            n = struct.unpack(">H", b[:2])[0]
            kind, payload = chr(b[2]), b[3:2 + n]
            b = b[2 + n:]
            s.time(t)
            if from_venue:
                s.venue(kind, payload)
                counts["answers"] += kind == "S"
                if kind == "S" and payload:
                    kinds[chr(payload[0])] = kinds.get(chr(payload[0]), 0) + 1
            elif kind == "U":
                s.client(payload)
                counts["requests"] += 1
        bufs[from_venue] = b
    if counts["requests"] == 0:
        sys.exit(f"{a.capture}: no order-entry session on port {a.port}")
    open(a.out, "wb").write(bytes(s.out))
    mix = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    print(f"{a.out}: {counts['requests']} requests, {counts['answers']} venue messages ({mix}), {len(s.out)} bytes")


if __name__ == "__main__":
    main()
