"""Tickwire's backtester side by side with hftbacktest's L3 FIFO queue model, on one stock of
one ITCH day, with one fixed-offset market maker written for both (issue 19).

    python3 -m venv .venv-hft && .venv-hft/bin/pip install -r research/hftbacktest/requirements.txt
    .venv-hft/bin/python research/hftbacktest/compare.py DAY.itch --locate 1 [--offset 1]

(A venv of its own: hftbacktest's numba pins numpy and llvmlite below research/requirements.txt's.)

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
   when it fills ours first) and `--consumed-liquidity drop` (hftbacktest loses an execution of
   an order the backtest has no more of; Tickwire's default sends its aggressor on through the
   book): once as it is (`tickwire_price_priority`), once with
   `--through-fills from-touch` (hftbacktest's rule for executions at a worse price than ours:
   it fills only our orders between the recorded book's own touch and the execution price, so an
   order of ours that improved the touch is not filled by an execution at the touch, where price
   priority would have filled it first);
4. compares the orders that filled at all (hftbacktest's no-partial-fill exchange fills an order
   whole once the flow reaches it; ours by each execution's size), matched by side and price
   within 1 ms, and explains every unmatched one from the messages: the recorded message that
   filled ours (Tickwire's fills CSV names it) and the recorded touch then; for hftbacktest's,
   which backtester's order joined the queue first (Tickwire's decision log, hftbacktest's
   orders);
5. prints one JSON line: each side's orders, fills and events a second, in one run.
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
def fixed_offset_mm(hbt, offset_ticks, qty, max_position, fills_out, orders_out, cancels_out):
    """One order a side `offset_ticks` behind the touch; cancelled and entered again, never replaced.
    Each fill goes into `fills_out` (exchange time, side, price tick, quantity, order id), each order
    sent into `orders_out` (local time, side, price tick, order id), each cancel into `cancels_out`
    (local time, order id); returns (orders sent, fills recorded, cancels recorded)."""
    next_id = 1
    orders_sent = 0
    n_fills = 0
    n_cancels = 0
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
                fills_out[n_fills, 4] = o.order_id
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
                    if n_cancels < cancels_out.shape[0]:
                        cancels_out[n_cancels, 0] = hbt.current_timestamp
                        cancels_out[n_cancels, 1] = o.order_id
                        n_cancels += 1
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
            if orders_sent < orders_out.shape[0]:
                orders_out[orders_sent, 0] = hbt.current_timestamp
                orders_out[orders_sent, 1] = s
                orders_out[orders_sent, 2] = targets[s]
                orders_out[orders_sent, 3] = next_id
            next_id += 1
            orders_sent += 1
    return orders_sent, n_fills, n_cancels


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
        sys.exit(f"compare.py: no tickwire binary at {a.tickwire} (make release)")

    events, used = convert(a.itch, a.locate, a.feed_latency)
    if len(events) == 0:
        sys.exit(f"compare.py: locate {a.locate} has no order messages in {a.itch}")
    asset = (BacktestAsset().data([events]).linear_asset(1.0)
             .constant_order_latency(a.entry_latency, a.response_latency)
             .l3_fifo_queue_model().no_partial_fill_exchange()
             .trading_value_fee_model(0.0, 0.0).tick_size(0.01).lot_size(1.0))
    hbt = HashMapMarketDepthBacktest([asset])
    fills_out = np.zeros((1 << 20, 5), dtype=np.int64)
    orders_out = np.zeros((1 << 22, 4), dtype=np.int64)
    cancels_out = np.zeros((1 << 22, 2), dtype=np.int64)
    fixed_offset_mm(hbt, 0, 1.0, 1e9, fills_out, orders_out, cancels_out)  # compile (numba) on the same data, then run for real
    hbt.close()
    hbt = HashMapMarketDepthBacktest([asset])
    t0 = time.perf_counter()
    sent, n, n_cancels = fixed_offset_mm(hbt, a.offset, 100.0, 1_000.0, fills_out, orders_out, cancels_out)
    hbt_seconds = time.perf_counter() - t0
    hbt_list = [(int(r[0]), "B" if r[1] == 1 else "S", int(r[2]) * 100, int(r[4])) for r in fills_out[:n]]
    hbt_sent = {int(r[3]): (int(r[0]), "B" if r[1] == 0 else "S", int(r[2]) * 100) for r in orders_out[:min(sent, orders_out.shape[0])]}
    # Each hftbacktest order's time in the queue: from its arrival to its cancel's arrival or its fill.
    hbt_end = {int(r[1]): int(r[0]) + a.entry_latency for r in cancels_out[:n_cancels]}
    for r in fills_out[:n]:
        hbt_end[int(r[4])] = min(hbt_end.get(int(r[4]), 1 << 62), int(r[0]))
    hbt_life = [(t + a.entry_latency, side, price, oid, hbt_end.get(oid)) for oid, (t, side, price) in hbt_sent.items()]
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
    tw_decisions = str(one) + ".decisions.csv"

    def tickwire(through, fills, decisions):
        out = subprocess.run([a.tickwire, "backtest", str(one), "--strategy", "fixed", "--fills-out", fills, "--decisions-out", decisions, "--traded", "1",
                              "--offset-ticks", str(a.offset), "--feed-latency", f"{a.feed_latency}ns", "--entry-latency", f"{a.entry_latency}ns",
                              "--response-latency", f"{a.response_latency}ns", "--hidden-prints", "ignore", "--no-displacement", "--consumed-liquidity", "drop", "--models", "none",
                              "--through-fills", through, "--max-orders", "200000", "--json"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"compare.py: tickwire backtest failed: {out.stderr.strip()}")
        return json.loads(out.stdout)

    # Tickwire as it is (price priority: an execution fills every order of ours priced better),
    # then like for like with hftbacktest's L3 rule (--through-fills from-touch).
    tw_own = tickwire("all", tw_fills + ".all", tw_decisions + ".all")
    own_filled = len({line.split(",")[1] for line in Path(tw_fills + ".all").read_text().splitlines()[1:]})
    tw = tickwire("from-touch", tw_fills, tw_decisions)
    # Tickwire fills partially (an execution behind ours fills it by that execution's size);
    # hftbacktest's no-partial-fill exchange fills an order whole. So orders are compared: each
    # order that filled at all, by its first fill.
    tw_orders = {}  # order id -> [first fill time, side, price, shares, causes, trigger refs]
    for line in Path(tw_fills).read_text().splitlines()[1:]:
        f = line.split(",")
        oid = int(f[1])
        o = tw_orders.setdefault(oid, [int(f[0]), f[4], int(f[6]), 0, [], []])
        o[3] += int(f[5])
        o[4].append(f[13])
        o[5].append((int(f[14]), int(f[0])))
    unmatched = sorted(tw_orders.items(), key=lambda kv: kv[1][0])
    matched = 0
    hbt_only = []
    for h in hbt_list:
        k = next((i for i, (_, t) in enumerate(unmatched) if t[1] == h[1] and t[2] == h[2] and abs(t[0] - h[0]) <= 1_000_000), None)
        if k is None:
            hbt_only.append(h)
        else:
            matched += 1
            unmatched.pop(k)
    # When each Tickwire order was filled in full (it left its queue then).
    tw_done = {}
    left = {}
    for line in Path(tw_fills).read_text().splitlines()[1:]:
        f = line.split(",")
        oid = int(f[1])
        left[oid] = left.get(oid, 100) - int(f[5])
        if left[oid] <= 0 and oid not in tw_done:
            tw_done[oid] = int(f[0])
    explained = explain(a.itch, a.locate, unmatched, hbt_only, hbt_sent, tw_decisions, a.entry_latency, a.feed_latency, hbt_life, tw_done)
    print(json.dumps({
        "locate": a.locate, "offset_ticks": a.offset, "itch_messages_of_the_stock": used, "hftbacktest_events": len(events),
        "hftbacktest": {"orders": sent, "fills": hbt_fills, "orders_filled": hbt_fills, "filled_shares": 100 * hbt_fills,
                        "events_per_sec": round(len(events) / hbt_seconds)},
        "tickwire": {"orders": tw["orders"], "fills": tw["fills"], "orders_filled": len(tw_orders), "filled_shares": tw["filled_shares"],
                     "messages": tw["messages"], "msgs_per_sec": tw["msgs_per_sec"], "fill_causes": tw["fill_causes"]},
        "tickwire_price_priority": {"orders": tw_own["orders"], "fills": tw_own["fills"], "orders_filled": own_filled,
                                     "fill_causes": tw_own["fill_causes"]},
        "orders_filled_matched": matched,
        "orders_filled_diff": (len(tw_orders) - hbt_fills) / max(hbt_fills, 1),
        "unmatched_by_reason": explained["by_reason"],
        "tickwire_only": explained["tickwire_only"][:40], "hftbacktest_only": explained["hftbacktest_only"][:40],
    }))


def explain(itch, locate, tw_only, hbt_only, hbt_sent, tw_decisions, entry_latency, feed_latency, hbt_life, tw_done):
    """Each unmatched fill, message by message: the recorded message that filled ours (Tickwire's
    fills CSV names it), the stock's touch in the recorded book just before it (our orders are
    not in it), and why the other backtester did not fill there."""
    wanted = {}
    for oid, (t, side, price, shares, causes, triggers) in tw_only:
        for (ref, ft), cause in zip(triggers, causes):
            wanted.setdefault((ref, ft), []).append((oid, side, price, cause))
    orders = {}
    levels = {b"B"[0]: {}, b"S"[0]: {}}
    found = {}

    def touch():
        bids, asks = levels[b"B"[0]], levels[b"S"[0]]
        return (max(bids) if bids else 0, min(asks) if asks else 0)

    def change(side, price, d):
        lv = levels[side]
        lv[price] = lv.get(price, 0) + d
        if lv[price] <= 0:
            del lv[price]

    for m in itch_messages(itch):
        if len(m) < 19 or struct.unpack_from(">H", m, 1)[0] != locate:
            continue
        t = m[0:1]
        ts = int.from_bytes(m[5:11], "big")
        ref = struct.unpack_from(">Q", m, 11)[0]
        key = (ref, ts)
        if key in wanted and key not in found:
            bid, ask = touch()
            o = orders.get(ref)
            found[key] = {"message": t.decode(), "ref": ref, "time_ns": ts, "recorded_price": (o[1] if o else struct.unpack_from(">I", m, 32)[0] if t in (b"A", b"F") else None),
                          "touch": [bid, ask]}
        if t in (b"A", b"F"):
            side, shares, price = m[19], struct.unpack_from(">I", m, 20)[0], struct.unpack_from(">I", m, 32)[0]
            orders[ref] = (side, price, shares)
            change(side, price, shares)
        elif t in (b"E", b"C", b"X", b"D", b"U") and ref in orders:
            side, price, shares = orders[ref]
            n = shares if t in (b"D", b"U") else min(struct.unpack_from(">I", m, 19)[0], shares)
            change(side, price, -n)
            if shares - n > 0 and t not in (b"U",):
                orders[ref] = (side, price, shares - n)
            else:
                del orders[ref]
            if t == b"U":
                nr, ns, np_ = struct.unpack_from(">Q", m, 19)[0], struct.unpack_from(">I", m, 27)[0], struct.unpack_from(">I", m, 31)[0]
                orders[nr] = (side, np_, ns)
                change(side, np_, ns)

    by_reason = {}
    out_tw = []
    for oid, (t, side, price, shares, causes, triggers) in tw_only:
        why = []
        for (ref, ft), cause in zip(triggers, causes):
            f = found.get((ref, ft), {})
            bid, ask = f.get("touch", [0, 0])
            rp = f.get("recorded_price")
            if cause == "through":
                better = (side == "S" and ask and price < ask) or (side == "B" and bid and price > bid)
                reason = ("through_better_than_the_feeds_touch" if better else "through_beyond_the_feeds_touch")
            elif cause == "behind":
                # What hftbacktest had at that level when the execution behind ours came.
                there = [h for h in hbt_life if h[1] == side and h[2] == price and h[0] <= ft and (h[4] is None or h[4] > ft)]
                reason = "behind_hftbacktest_had_no_order_there" if not there else "behind_hftbacktest_order_there_not_reached"
                f = {**f, "hftbacktest_orders_there": [{"order": h[3], "arrival_ns": h[0], "gone_ns": h[4]} for h in there]}
            else:
                reason = cause
            why.append({"cause": cause, "reason": reason, **f})
        reason = why[0]["reason"] if why else "unknown"
        by_reason[reason] = by_reason.get(reason, 0) + 1
        out_tw.append({"order": oid, "time_ns": t, "side": side, "price": price, "shares": shares, "fills": why})
    # hftbacktest-only fills: hftbacktest's order, and Tickwire's at the same side and price
    # around then (from its decision log): which entered the queue first, and the recorded
    # orders added at that price between the two (ahead of the later one).
    placed = []  # (venue arrival, side, price, order id, cancel decided at)
    live = {}
    for line in Path(tw_decisions).read_text().splitlines()[1:]:
        f = line.split(",")
        oid, action = int(f[2]), f[5]
        if action == "new":
            live[oid] = len(placed)
            placed.append([int(f[1]) + entry_latency, f[4], int(f[7]), oid, None])
        elif action == "cancel" and oid in live:
            placed[live.pop(oid)][4] = int(f[0])
    out_h = []
    for (t, side, price, hid) in hbt_only:
        h_sent = hbt_sent.get(hid, (0, side, price))[0]
        h_arrival = h_sent + entry_latency
        # Tickwire's orders at that price still in the queue when hftbacktest's filled: arrived,
        # not cancelled (the cancel reaching the venue), not filled in full before.
        twn = [p for p in placed if p[1] == side and p[2] == price and p[0] <= t
               and (p[4] is None or p[4] + feed_latency + entry_latency > t) and tw_done.get(p[3], 1 << 62) > t]
        tw_at = min((p[0] for p in twn), default=None)
        reason = "tickwire_had_no_order_there"
        if tw_at is not None:
            reason = "tickwire_joined_later" if tw_at > h_arrival else "tickwire_joined_earlier"
        by_reason["hftbacktest_only_" + reason] = by_reason.get("hftbacktest_only_" + reason, 0) + 1
        out_h.append({"time_ns": t, "side": side, "price": price, "hftbacktest_order_arrival_ns": h_arrival, "tickwire_order_arrival_ns": tw_at,
                      "tickwire_orders": [{"order": p[3], "arrival_ns": p[0], "cancel_decided_ns": p[4]} for p in twn], "reason": reason})
    return {"by_reason": by_reason, "tickwire_only": out_tw, "hftbacktest_only": out_h}


if __name__ == "__main__":
    main()
