#!/usr/bin/env python3
"""The Linux-kernel end of Tickwire's TCP tests (run it inside the test's network namespace).

Listens on PORT, accepts one connection at a time and, per connection, sends SEND bytes of the
test pattern (seed+1, see StreamPattern in Sources/tickwire/NetCheck.swift) while reading and
checking RECEIVE bytes of the pattern (seed); then it waits for the client's FIN and closes.
`--mode close|reset` ends the connection after `--after` bytes received instead (a FIN, or a
RST via SO_LINGER 0), for reconnect tests; `--connections N` serves N connections in a row.
One JSON line per connection on stdout: bytes each way, whether every byte matched, and the
kernel's own TCP_INFO counters (retransmissions) for the connection.
"""
import argparse, json, select, socket, struct, sys, time

MASK = (1 << 64) - 1


def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def pattern(seed, length):
    words = (length + 7) // 8
    out = bytearray(words * 8)
    for w in range(words):
        v = splitmix((seed + w * 0x9E3779B97F4A7C15) & MASK)
        struct.pack_into('<Q', out, w * 8, v)
    return bytes(out[:length])


def serve(conn, args, send_data):
    conn.setblocking(False)
    sent = 0
    got = bytearray()
    peer_fin = False
    deadline = time.time() + args.timeout
    limit = args.after if args.mode != 'normal' else args.receive
    while time.time() < deadline:
        want_write = sent < len(send_data) and args.mode == 'normal'
        r, w, _ = select.select([conn], [conn] if want_write else [], [], 0.2)
        if r:
            try:
                chunk = conn.recv(1 << 16)
            except ConnectionResetError:
                break
            if not chunk:
                peer_fin = True
                break
            got.extend(chunk)
            if args.mode != 'normal' and len(got) >= limit:
                break
        if w:
            try:
                sent += conn.send(send_data[sent:sent + (1 << 16)])
            except (BlockingIOError, InterruptedError):
                pass
        if args.mode == 'normal' and sent >= len(send_data) and len(got) >= args.receive and args.wait_fin == 0:
            break
    info = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    # struct tcp_info: tcpi_total_retrans is the u32 at offset 100 (linux/tcp.h).
    total_retrans = struct.unpack_from('I', info, 100)[0]
    expected = pattern(args.seed, len(got))
    verified = bytes(got) == expected and (args.mode != 'normal' or len(got) == args.receive)
    if args.mode == 'reset':
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    conn.close()
    return {'sent': sent, 'received': len(got), 'verified': verified, 'peer_fin': peer_fin,
            'kernel_retransmits': total_retrans, 'mode': args.mode}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bind', default='0.0.0.0')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--send', type=int, default=0)
    ap.add_argument('--receive', type=int, default=0)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--mode', choices=['normal', 'close', 'reset'], default='normal')
    ap.add_argument('--after', type=int, default=0)
    ap.add_argument('--connections', type=int, default=1)
    ap.add_argument('--timeout', type=float, default=60)
    ap.add_argument('--wait-fin', type=int, default=1)
    args = ap.parse_args()
    send_data = pattern((args.seed + 1) & MASK, args.send)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.bind, args.port))
    ls.listen(4)
    print(json.dumps({'listening': args.port}), flush=True)
    ls.settimeout(args.timeout)
    for i in range(args.connections):
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            print(json.dumps({'error': 'no connection'}), flush=True)
            sys.exit(1)
        if i == args.connections - 1:
            # No more connections for this peer: stop listening now, or a client's reconnect
            # completes in the kernel's accept queue while this one is served and is reset
            # when the process exits (a loaded CI machine made that race show).
            ls.close()
        print(json.dumps(serve(conn, args, send_data)), flush=True)


if __name__ == '__main__':
    main()
