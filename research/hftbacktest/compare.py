"""Tickwire's backtester side by side with hftbacktest's L3 FIFO queue model, on one stock of
one ITCH day, with one fixed-offset market maker written for both (issue 19).

    .venv-research/bin/pip install -r research/hftbacktest/requirements.txt
    .venv-research/bin/python research/hftbacktest/compare.py DAY.itch --locate 1 [--offset 1]

What it does:
1. converts the stock's ITCH messages into hftbacktest's L3 events (market by order):
   A/F -> ADD, E/C -> FILL followed by MODIFY (what is left) or CANCEL (hftbacktest's feed
   orders change size only by MODIFY and CANCEL; a FILL only tells the queue model that the
   flow traded that order), X -> MODIFY or CANCEL, D -> CANCEL, U -> CANCEL + ADD;
2. runs hftbacktest (L3 FIFO queue model, no partial fills, constant latencies) with the
   fixed-offset market maker: one order of 100 shares a side, `offset` ticks behind the touch,
   cancelled and entered again when the touch moves (hftbacktest does not model replacing one's
   own order, so neither side replaces);
3. runs `tickwire backtest DAY --strategy fixed` with the same stock, offset and latencies,
   and `--no-displacement` (hftbacktest's L3 model executes the recorded order in full even
   when it fills ours first);
4. prints one JSON line: each side's orders, fills and events a second, in one run.

Known differences in the models (see the issue's note): hftbacktest fills a resting order whole
once an order behind it trades, ours by that execution's size; it fills a take whole at the
best, ours walks the book.
"""
import argparse
import json
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit
from hftbacktest import (ADD_ORDER_EVENT, BUY_EVENT, CANCEL_ORDER_EVENT, EXCH_EVENT, FILL_EVENT, GTC, LIMIT, LOCAL_EVENT,
                         MODIFY_ORDER_EVENT, SELL_EVENT, BacktestAsset, HashMapMarketDepthBacktest, event_dtype)


def itch_messages(path):
    data = Path(path).read_bytes()
    off = 0
    while off + 2 <= len(data):
        n = struct.unpack_from(">H", data, off)[0]
        yield data[off + 2:off + 2 + n]
        off += 2 + n


def convert(path, locate, feed_latency):
    """The stock's order messages as hftbacktest L3 events, and how many ITCH messages they came from."""
    rows = []
    orders = {}  # ref -> (side, price, shares)
    used = 0

    def add(ev, ts, px, qty, ref, side):
        flag = BUY_EVENT if side == b"B"[0] else SELL_EVENT
        rows.append((EXCH_EVENT | LOCAL_EVENT | flag | ev, ts, ts + feed_latency, px / 10_000.0, float(qty), ref, 0, 0.0))

    for m in itch_messages(path):
        if len(m) < 19 or struct.unpack_from(">H", m, 1)[0] != locate:
            continue
        t = m[0:1]
        ts = int.from_bytes(m[5:11], "big")
        ref = struct.unpack_from(">Q", m, 11)[0]
        if t in (b"A", b"F"):
            side, shares, price = m[19], struct.unpack_from(">I", m, 20)[0], struct.unpack_from(">I", m, 32)[0]
            orders[ref] = (side, price, shares)
            add(ADD_ORDER_EVENT, ts, price, shares, ref, side)
        elif t in (b"E", b"C", b"X", b"D", b"U"):
            o = orders.get(ref)
            if o is None:
                continue
            side, price, shares = o
            if t in (b"E", b"C"):
                n = min(struct.unpack_from(">I", m, 19)[0], shares)
                add(FILL_EVENT, ts, price, n, ref, side)
                left = shares - n
            elif t == b"X":
                left = shares - min(struct.unpack_from(">I", m, 19)[0], shares)
            else:
                left = 0
            if t == b"U":
                new_ref, new_shares, new_price = struct.unpack_from(">Q", m, 19)[0], struct.unpack_from(">I", m, 27)[0], struct.unpack_from(">I", m, 31)[0]
                add(CANCEL_ORDER_EVENT, ts, price, 0, ref, side)
                del orders[ref]
                orders[new_ref] = (side, new_price, new_shares)
                add(ADD_ORDER_EVENT, ts, new_price, new_shares, new_ref, side)
            elif left > 0:
                orders[ref] = (side, price, left)
                add(MODIFY_ORDER_EVENT, ts, price, left, ref, side)
            else:
                del orders[ref]
                add(CANCEL_ORDER_EVENT, ts, price, 0, ref, side)
        else:
            continue
        used += 1
    return np.array(rows, dtype=event_dtype), used


@njit
def fixed_offset_mm(hbt, offset_ticks, qty, max_position, fills_out):
    """One order a side `offset_ticks` behind the touch; cancelled and entered again, never replaced.
    Each fill goes into `fills_out` (exchange time, side, price tick, quantity); returns (orders sent,
    fills recorded)."""
    next_id = 1
    orders_sent = 0
    n_fills = 0
    while hbt.wait_next_feed(True, 1_000_000_000) in (0, 2, 3):
        orders = hbt.orders(0)
        values = orders.values()
        while values.has_next():
            o = values.get()
            if o.status == 3 and n_fills < fills_out.shape[0]:
                fills_out[n_fills, 0] = o.exch_timestamp
                fills_out[n_fills, 1] = o.side
                fills_out[n_fills, 2] = o.exec_price_tick
                fills_out[n_fills, 3] = o.exec_qty
                n_fills += 1
        hbt.clear_inactive_orders(0)
        depth = hbt.depth(0)
        tick = depth.tick_size
        if depth.best_bid_tick <= 0 or depth.best_ask_tick <= depth.best_bid_tick:
            continue
        targets = (depth.best_bid_tick - offset_ticks, depth.best_ask_tick + offset_ticks)
        position = hbt.position(0)
        have = [False, False]
        orders = hbt.orders(0)
        values = orders.values()
        while values.has_next():
            o = values.get()
            s = 0 if o.side == 1 else 1
            if o.status == 1 or o.req != 0:  # new (working), or a request on its way
                have[s] = True
                if o.req == 0 and o.price_tick != targets[s] and o.cancellable:
                    hbt.cancel(0, o.order_id, False)
        for s in range(2):
            if have[s]:
                continue
            room = max_position - position if s == 0 else max_position + position
            if room < qty:
                continue
            if s == 0:
                hbt.submit_buy_order(0, next_id, targets[0] * tick, qty, GTC, LIMIT, False)
            else:
                hbt.submit_sell_order(0, next_id, targets[1] * tick, qty, GTC, LIMIT, False)
            next_id += 1
            orders_sent += 1
    return orders_sent, n_fills


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("itch")
    ap.add_argument("--locate", type=int, default=1)
    ap.add_argument("--offset", type=int, default=1)
    ap.add_argument("--feed-latency", type=int, default=20_000)
    ap.add_argument("--entry-latency", type=int, default=15_000)
    ap.add_argument("--response-latency", type=int, default=15_000)
    ap.add_argument("--tickwire", default=".build/release/tickwire")
    a = ap.parse_args()
    if not Path(a.itch).exists():
        sys.exit(f"compare.py: no such file: {a.itch}")
    if a.locate != 1:
        sys.exit("compare.py: tickwire's fixed market maker trades locate 1 (--traded 1); give --locate 1")
    if not Path(a.tickwire).exists():
        sys.exit(f"compare.py: no tickwire binary at {a.tickwire} (swift build -c release)")

    events, used = convert(a.itch, a.locate, a.feed_latency)
    if len(events) == 0:
        sys.exit(f"compare.py: locate {a.locate} has no order messages in {a.itch}")
    asset = (BacktestAsset().data([events]).linear_asset(1.0)
             .constant_order_latency(a.entry_latency, a.response_latency)
             .l3_fifo_queue_model().no_partial_fill_exchange()
             .trading_value_fee_model(0.0, 0.0).tick_size(0.01).lot_size(1.0))
    hbt = HashMapMarketDepthBacktest([asset])
    fills_out = np.zeros((1 << 20, 4), dtype=np.int64)
    fixed_offset_mm(hbt, 0, 1.0, 1e9, fills_out)  # compile (numba) on the same data, then run for real
    hbt.close()
    hbt = HashMapMarketDepthBacktest([asset])
    t0 = time.perf_counter()
    sent, n = fixed_offset_mm(hbt, a.offset, 100.0, 1_000.0, fills_out)
    hbt_seconds = time.perf_counter() - t0
    hbt_list = [(int(r[0]), "B" if r[1] == 1 else "S", int(r[2]) * 100) for r in fills_out[:n]]
    sv = hbt.state_values(0)
    hbt_fills = int(sv.num_trades)
    hbt.close()

    # The same stock alone for Tickwire too (its system events and directory kept), so that both
    # throughputs are over the same messages.
    one = Path(a.itch).with_suffix(f".locate{a.locate}.itch")
    with open(one, "wb") as f:
        for m in itch_messages(a.itch):
            if len(m) >= 3 and (m[0:1] in (b"S", b"R") or struct.unpack_from(">H", m, 1)[0] == a.locate):
                f.write(struct.pack(">H", len(m)) + m)
    tw_fills = str(one) + ".fills.csv"
    out = subprocess.run([a.tickwire, "backtest", str(one), "--strategy", "fixed", "--fills-out", tw_fills, "--traded", "1", "--offset-ticks", str(a.offset),
                          "--feed-latency", f"{a.feed_latency}ns", "--entry-latency", f"{a.entry_latency}ns",
                          "--response-latency", f"{a.response_latency}ns", "--hidden-prints", "ignore", "--no-displacement", "--models", "none",
                          "--max-orders", "200000", "--json"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"compare.py: tickwire backtest failed: {out.stderr.strip()}")
    tw = json.loads(out.stdout)
    # Fill by fill: the same side and price within a millisecond of each other, once each.
    tw_list = []
    for line in Path(tw_fills).read_text().splitlines()[1:]:
        f = line.split(",")
        tw_list.append((int(f[0]), f[4], int(f[6])))
    unmatched = list(tw_list)
    matched = 0
    hbt_only = []
    for h in hbt_list:
        k = next((i for i, t in enumerate(unmatched) if t[1] == h[1] and t[2] == h[2] and abs(t[0] - h[0]) <= 1_000_000), None)
        if k is None:
            hbt_only.append(h)
        else:
            matched += 1
            unmatched.pop(k)
    print(json.dumps({
        "locate": a.locate, "offset_ticks": a.offset, "itch_messages_of_the_stock": used, "hftbacktest_events": len(events),
        "hftbacktest": {"orders": sent, "fills": hbt_fills, "events_per_sec": round(len(events) / hbt_seconds)},
        "tickwire": {"orders": tw["orders"], "fills": tw["fills"], "filled_shares": tw["filled_shares"], "messages": tw["messages"],
                     "msgs_per_sec": tw["msgs_per_sec"], "fill_causes": tw["fill_causes"]},
        "fills_matched": matched, "hftbacktest_only": hbt_only[:20], "tickwire_only": unmatched[:20],
    }))


if __name__ == "__main__":
    main()
