#!/usr/bin/env python3
"""The load campaign (`make soak`): the appliance against the venue simulator on loopback, under
load, under faults and through gateway crashes, bounded in time. It prints and writes a report
(out/soak/report.json, report.txt, latency.csv, latency.png).

Phases, sharing --seconds (default 600):
  1. sweep   the feed at rising rates through the live appliance (`tickwire run`, kernel UDP on
             loopback, the market maker trading): the highest rate with 0 feed gaps;
  2. load    latency (tick to trade p50/p99) at 25, 50, 75 and 100% of that rate, plotted;
  3. faults  A/B faults on both lines (loss, bursts, duplicates, reordering, lag) and microbursts
             (10 times the mean rate for 10 ms every second) at half that rate: the live
             appliance must lose nothing (gaps recovered from the re-request server), and the
             venue's capture replayed through the feed handler with re-requests must rebuild the
             venue's book exactly;
  4. crashes the order gateway (`tickwire gateway`, journaled) killed with SIGKILL every 30 s
             while orders flow, restarted from its journal; at the end its open orders and
             positions must equal the venue's, and no order number may reach the venue twice.

Exit status 0 only when every check holds. Loopback and the simulator only: nothing leaves the
machine.
"""
import argparse, json, os, signal, subprocess, sys, time

# Risk's runaway guards (KillReason): they fire on what the strategy does, not on the feed.
RUNAWAY_GUARDS = ("runawayOrderRate", "rejectStreak", "orderToFill", "drawdownSpeed")
ENV = dict(os.environ, TICKWIRE_OUCH_USER="TW1", TICKWIRE_OUCH_PASSWORD="secret")
FAULTS = "loss=0.01,burst=0.002:20,dup=0.01,reorder=0.01,delay=3"
# Seconds a venue-and-appliance run costs beyond its trading time (start delay, start-up, report).
OVERHEAD = 6


class Ports:
    """Distinct ports and groups per venue start (a restarted venue never meets an old socket)."""
    n = 0

    @classmethod
    def next(cls):
        cls.n += 1
        k = cls.n
        return {"oe": 27000 + k * 10, "rr": 27001 + k * 10,
                "a": f"239.193.{k}.1:27477", "b": f"239.193.{k}.2:27477"}


def log(msg):
    print(f"soak: {msg}", flush=True)


def venue(args, p, seconds, rate, extra=(), out=None):
    cmd = [args.bin, "exchange", "--seconds", str(seconds), "--rate", str(int(rate)), "--interface", "127.0.0.1",
           "--feed-a", p["a"], "--feed-b", p["b"], "--rerequest", f"127.0.0.1:{p['rr']}",
           "--order-entry", f"127.0.0.1:{p['oe']}", "--symbols", "100", "--start-delay", "2", "--json", *extra]
    return subprocess.Popen(cmd, stdout=out or subprocess.PIPE, stderr=subprocess.DEVNULL, env=ENV, text=True)


def run_config(args, p, name):
    text = open(os.path.join(args.root, "config/sim-loopback.yaml")).read()
    text = (text.replace("127.0.0.1:26500", f"127.0.0.1:{p['oe']}").replace("127.0.0.1:26478", f"127.0.0.1:{p['rr']}")
            .replace("239.192.10.1:26477", p["a"]).replace("239.192.10.2:26477", p["b"])
            .replace("out/run/journal.twj", os.path.join(args.out, f"{name}.twj")))
    path = os.path.join(args.out, f"{name}.yaml")
    open(path, "w").write(text)
    j = os.path.join(args.out, f"{name}.twj")
    if os.path.exists(j):
        os.remove(j)
    return path


def appliance(args, p, seconds, name):
    """`tickwire run` for `seconds` against the venue of ports `p`: its JSON report."""
    cfg = run_config(args, p, name)
    r = subprocess.run([args.bin, "run", "--profile", os.path.join(args.root, "hw-profiles/dev-vm.yaml"), "--config", cfg,
                        "--seconds", str(seconds), "--metrics-port", "0", "--json"],
                       capture_output=True, text=True, env=ENV, timeout=seconds + 120)
    if r.returncode != 0:
        raise RuntimeError(f"tickwire run failed ({r.returncode}): {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def trade_at(args, rate, seconds, name, extra=()):
    """The venue at `rate` for `seconds` with the appliance trading it: (venue, appliance)."""
    p = Ports.next()
    v = venue(args, p, seconds + 2, rate, extra)
    time.sleep(0.5)
    try:
        a = appliance(args, p, seconds, name)
    finally:
        out, _ = v.communicate(timeout=seconds + 60)
    return json.loads(out.strip().splitlines()[-1]), a


def sweep(args, budget):
    rates = [10_000 * (2 ** k) for k in range(8)]  # 10k ... 1.28M messages a second
    step = max(14, int(budget / len(rates)))  # every rate fits in the budget
    best, tried = None, []
    limited = "rates"  # what ended the sweep: the rates listed, its time, a drop, or the simulator
    for r in rates:
        if budget < step:
            limited = "time (the highest rate with 0 gaps is at least this)"
            break
        budget -= step
        v, a = trade_at(args, r, step - OVERHEAD, f"sweep-{r}")
        # Feed capacity: 0 gaps. A runaway guard's kill switch (the strategy's order rate
        # following a fast feed past 4,500 a second, or a streak of throttle refusals) is the
        # strategy's doing, reported apart, not a feed drop; any other kill is not ok.
        kill = a.get("kill_switch")
        ok = a["feed_gaps"] == 0 and kill in (None, *RUNAWAY_GUARDS)
        tried.append({"rate": r, "venue_messages": v["messages"], "venue_msgs_per_sec": v["msgs_per_sec"],
                      "ticks": a["ticks"], "feed_gaps": a["feed_gaps"], "kill_switch": a.get("kill_switch"), "ok": ok})
        log(f"sweep {r:>9,}/s: venue {v['msgs_per_sec']:>11,.0f}/s, appliance {a['ticks']:,} ticks, gaps {a['feed_gaps']}"
            f"{', kill switch ' + kill if kill else ''} -> {'ok' if ok else 'gaps' if a['feed_gaps'] else 'killed'}")
        # The venue could not keep up: the rate was not really offered.
        if v["msgs_per_sec"] < 0.9 * r:
            log(f"sweep: the simulator reached {v['msgs_per_sec']:,.0f}/s of {r:,}/s; stopping there")
            if ok:
                best = int(v["msgs_per_sec"])
            limited = "the simulator's own speed"
            break
        if not ok:
            limited = "feed gaps" if a["feed_gaps"] else f"the kill switch ({kill})"
            break
        best = r
    return best, tried, limited


def load(args, best, budget):
    rows = []
    step = max(14, int(budget / 4))
    for pct in (25, 50, 75, 100):
        r = best * pct / 100
        v, a = trade_at(args, r, step - OVERHEAD, f"load-{pct}")
        t = a["tick_to_trade_ns"]
        rows.append({"percent": pct, "rate": int(r), "p50_ns": t.get("p50"), "p99_ns": t.get("p99"), "orders": a["orders"],
                     "feed_gaps": a["feed_gaps"], "kill_switch": a.get("kill_switch")})
        log(f"load {pct:>3}% ({int(r):,}/s): tick to trade p50 {t.get('p50')} ns, p99 {t.get('p99')} ns, {a['orders']} orders")
    csv = os.path.join(args.out, "latency.csv")
    with open(csv, "w") as f:
        f.write("percent,rate,p50_ns,p99_ns\n")
        for x in rows:
            f.write(f"{x['percent']},{x['rate']},{x['p50_ns']},{x['p99_ns']}\n")
    png = os.path.join(args.out, "latency.png")
    gp = (f"set terminal png size 900,500; set output '{png}'; set datafile separator ','; "
          f"set title 'Tick to trade against feed load (max {best:,} msgs/s with 0 gaps)'; "
          f"set xlabel 'feed rate, messages/s'; set ylabel 'ns'; set key left top; set logscale y; "
          f"plot '{csv}' every ::1 using 2:3 with linespoints title 'p50', '' every ::1 using 2:4 with linespoints title 'p99'")
    subprocess.run(["gnuplot", "-e", gp], check=False)
    return rows


def faults(args, best, budget):
    # Half the sweep's rate, at most 40,000 a second: the venue's capture of the phase is replayed
    # afterwards through the feed handler, with re-requests to the lingering venue, and at the
    # sweep's top rates it would run to gigabytes.
    rate = min(max(best // 2, 10_000), 40_000)
    seconds = max(10, int(budget) - 40 - OVERHEAD)
    p = Ports.next()
    cap, book = os.path.join(args.out, "faults.pcap"), os.path.join(args.out, "faults-venue.book")
    v = venue(args, p, seconds + 2, rate, ["--faults-a", FAULTS, "--faults-b", FAULTS, "--microburst", "10",
                                           "--capture", cap, "--book-out", book, "--linger", "60"])
    time.sleep(0.5)
    try:
        a = appliance(args, p, seconds, "faults")
        # The venue lingers, answering re-requests: replay its capture through the feed handler.
        deadline = time.time() + 15
        while not os.path.exists(book) and time.time() < deadline:
            time.sleep(0.2)
        ours = os.path.join(args.out, "faults-replay.book")
        r = subprocess.run([args.bin, "replay", cap, "--feed-a", p["a"], "--feed-b", p["b"], "--rerequest", f"127.0.0.1:{p['rr']}",
                            "--book-out", ours, "--json"], capture_output=True, text=True, timeout=600)
        os.remove(cap)  # checked; gigabytes otherwise
        rep = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else {"error": r.stderr[-1000:]}
    finally:
        out, _ = v.communicate(timeout=seconds + 120)
    vj = json.loads(out.strip().splitlines()[-1])
    same = os.path.exists(book) and os.path.exists(ours) and open(book).read() == open(ours).read()
    res = {"rate": rate, "seconds": seconds, "faults_per_line": FAULTS, "microburst": "10x for 10 ms every second",
           "venue_messages": vj["messages"], "venue_lost": vj["lost"], "venue_duplicated": vj["duplicated"],
           "venue_reordered": vj["reordered"], "rerequests_served": vj["rerequests_served"],
           "appliance": {"ticks": a["ticks"], "feed_gaps": a["feed_gaps"], "recovered": a["recovered_messages"],
                         "lost": a["unrecovered_messages"], "kill_switch": a.get("kill_switch"),
                         "tick_to_trade_ns": a["tick_to_trade_ns"]},
           "replay": {k: rep.get(k) for k in ("messages", "recovered", "unrecovered_messages", "gaps", "error") if k in rep},
           "book_equal_to_venue": same}
    log(f"faults at {rate:,}/s: venue lost {vj['lost']}, duplicated {vj['duplicated']}; appliance {a['ticks']:,} ticks, "
        f"gaps {a['feed_gaps']}, recovered {a['recovered_messages']}, lost {a['unrecovered_messages']}; replay book "
        f"{'equal to' if same else 'DIFFERENT from'} the venue's")
    return res


def crashes(args, budget):
    seconds = max(40, int(budget) - 8)
    p = Ports.next()
    v = venue(args, p, seconds, 20_000)
    journal = os.path.join(args.out, "crash.twj")
    if os.path.exists(journal):
        os.remove(journal)
    cmd = [args.bin, "gateway", "--order-entry", f"127.0.0.1:{p['oe']}", "--journal", journal, "--rate", "500",
           "--symbols", "100", "--json"]
    time.sleep(2.5)  # the venue's start delay
    kills, end = 0, time.time() + seconds - 10
    while time.time() + 5 < end:
        g = subprocess.Popen(cmd + ["--orders", "1000000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        time.sleep(min(30, max(1, end - time.time() - 5)))
        g.send_signal(signal.SIGKILL)
        g.wait()
        kills += 1
        log(f"crashes: gateway killed with SIGKILL ({kills})")
    r = subprocess.run(cmd + ["--orders", "0"], capture_output=True, text=True, env=ENV, timeout=120)
    rep = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else {}
    out, _ = v.communicate(timeout=seconds + 120)
    vj = json.loads(out.strip().splitlines()[-1])
    user = vj.get("users", {}).get("TW1", {})
    open_ours = {k: int(x) for k, x in rep.get("open_orders", {}).items()}
    open_venue = {k: int(x) for k, x in user.get("open_orders", {}).items()}
    pos_ours = {k: int(x) for k, x in rep.get("positions", {}).items()}
    pos_venue = {k: int(x) for k, x in user.get("positions", {}).items() if int(x) != 0}
    res = {"kills": kills, "restored_records": rep.get("restored_records"), "orders_received_by_venue": vj["orders_received"],
           "duplicated_at_venue": vj.get("order_entry", {}).get("duplicate_tokens"),
           "lost_in_transit_settled": rep.get("lost_in_transit"), "adopted": rep.get("adopted"),
           "open_orders_equal": open_ours == open_venue, "positions_equal": pos_ours == pos_venue,
           "lost": len(set(open_venue) ^ set(open_ours)), "violations": rep.get("violations"), "kill_switch": rep.get("kill_switch")}
    log(f"crashes: {kills} SIGKILLs, venue received {vj['orders_received']} orders, duplicated {res['duplicated_at_venue']}, "
        f"open orders {'equal' if res['open_orders_equal'] else 'DIFFERENT'}, positions {'equal' if res['positions_equal'] else 'DIFFERENT'}")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=".build/release/tickwire")
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--out", default="out/soak")
    args = ap.parse_args()
    args.root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(args.out, exist_ok=True)
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"soak: no tickwire binary at {args.bin} (make release)")
    t0 = time.time()
    s = args.seconds
    best, tried, limited = sweep(args, 0.3 * s)
    if best is None:
        sys.exit("soak: not even the lowest rate ran without gaps")
    rows = load(args, best, 0.2 * s)
    f = faults(args, best, 0.25 * s)
    c = crashes(args, 0.25 * s)
    report = {"seconds": round(time.time() - t0, 1), "max_rate_without_drops": best, "sweep_limited_by": limited, "sweep": tried, "latency_by_load": rows,
              "faults": f, "crashes": c}
    checks = {
        "messages lost by the appliance": f["appliance"]["lost"] == 0 and f["appliance"]["kill_switch"] is None,
        "messages lost in the replay": (f["replay"].get("unrecovered_messages") or 0) == 0 and "error" not in f["replay"],
        "book equal to the venue's": f["book_equal_to_venue"],
        "orders duplicated at the venue": c["duplicated_at_venue"] == 0,
        "orders lost": c["lost"] == 0 and c["open_orders_equal"],
        "positions equal to the venue's": c["positions_equal"],
    }
    report["checks"] = checks
    json.dump(report, open(os.path.join(args.out, "report.json"), "w"), indent=2)
    lines = [f"soak: {report['seconds']} s; max feed rate with 0 gaps {best:,} msgs/s (sweep ended by {limited})"]
    lines += [f"  {x['percent']:>3}% load: p50 {x['p50_ns']} ns, p99 {x['p99_ns']} ns" for x in rows]
    lines += [f"  faults: in {f['appliance']['ticks']:,}, recovered {f['appliance']['recovered']}, lost {f['appliance']['lost']}; "
              f"book {'equal' if f['book_equal_to_venue'] else 'DIFFERENT'}",
              f"  crashes: {c['kills']} SIGKILLs; orders at the venue {c['orders_received_by_venue']}, duplicated {c['duplicated_at_venue']}, lost {c['lost']}"]
    lines += [f"  {'ok  ' if v else 'FAIL'} {k}" for k, v in checks.items()]
    text = "\n".join(lines)
    open(os.path.join(args.out, "report.txt"), "w").write(text + "\n")
    print(text)
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
