// Counters in Prometheus text format on a loopback port: swift-metrics with the swift-prometheus
// backend, fed on the telemetry thread from the hot loop's counter snapshots, served by a cold
// thread that answers any request on the port with the registry's text (`curl
// http://127.0.0.1:9464/metrics`). Nothing here runs on the hot core.
import Appliance
import CShims
import CoreMetrics
import Foundation
import Prometheus
import TickwireCore
import Packets
import DPDK
import Sockets

final class MetricsExporter: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    let lock = NSLock()
    var last = CountersSnapshot()
    let counters: [(KeyPath<CountersSnapshot, UInt64>, CoreMetrics.Counter)]
    let openOrders: CoreMetrics.Gauge
    let pnl: CoreMetrics.Gauge
    let killSwitch: CoreMetrics.Gauge
    let listener: TCPListener
    let factory: PrometheusMetricsFactory

    /// Listens on 127.0.0.1:`port` (0: any free port; see `port`).
    init(port: UInt16) throws {
        listener = try TCPListener(address: IPv4Address(127, 0, 0, 1), port: port)
        let factory = PrometheusMetricsFactory(registry: registry)
        self.factory = factory
        func counter(_ name: String) -> CoreMetrics.Counter { CoreMetrics.Counter(label: name, dimensions: [], factory: factory) }
        counters = [
            (\.messages, counter("tickwire_feed_messages_total")),
            (\.feedPackets, counter("tickwire_feed_packets_total")),
            (\.feedGaps, counter("tickwire_feed_gaps_total")),
            (\.recoveredMessages, counter("tickwire_feed_recovered_messages_total")),
            (\.unrecoveredMessages, counter("tickwire_feed_unrecovered_messages_total")),
            (\.strategyCalls, counter("tickwire_strategy_calls_total")),
            (\.triggeringTicks, counter("tickwire_triggering_ticks_total")),
            (\.ordersSent, counter("tickwire_orders_sent_total")),
            (\.replacesSent, counter("tickwire_replaces_sent_total")),
            (\.cancelsSent, counter("tickwire_cancels_sent_total")),
            (\.riskRejects, counter("tickwire_risk_rejects_total")),
            (\.fills, counter("tickwire_fills_total")),
            (\.filledShares, counter("tickwire_filled_shares_total")),
            (\.killSwitches, counter("tickwire_kill_switches_total")),
            (\.venueViolations, counter("tickwire_venue_violations_total")),
            (\.guardTrips, counter("tickwire_guard_trips_total")),
            (\.stampsDropped, counter("tickwire_latency_stamps_dropped_total")),
            (\.tcpSegmentsIn, counter("tickwire_tcp_segments_in_total")),
            (\.tcpSegmentsOut, counter("tickwire_tcp_segments_out_total")),
            (\.tcpRetransmits, counter("tickwire_tcp_retransmits_total")),
            (\.tcpTimeouts, counter("tickwire_tcp_timeouts_total")),
            (\.tcpOutOfOrderHeld, counter("tickwire_tcp_out_of_order_held_total")),
            (\.tcpDrops, counter("tickwire_tcp_drops_total")),
            (\.tcpReconnects, counter("tickwire_tcp_reconnects_total")),
            (\.netDrops, counter("tickwire_net_drops_total")),
        ]
        openOrders = CoreMetrics.Gauge(label: "tickwire_open_orders", dimensions: [], factory: factory)
        pnl = CoreMetrics.Gauge(label: "tickwire_pnl_dollars", dimensions: [], factory: factory)
        killSwitch = CoreMetrics.Gauge(label: "tickwire_kill_switch_engaged", dimensions: [], factory: factory)
    }

    var port: UInt16 { listener.port }

    /// The NIC's counters per port (telemetry thread, once a second), as
    /// tickwire_nic_<counter>_total{port="..."}.
    func update(nic: [String: NICCounters]) {
        lock.withLock {
            for (name, c) in nic {
                let before = nicLast[name] ?? NICCounters()
                let fields: [(String, UInt64, UInt64)] = [
                    ("ipackets", c.ipackets, before.ipackets), ("opackets", c.opackets, before.opackets),
                    ("imissed", c.imissed, before.imissed), ("ierrors", c.ierrors, before.ierrors),
                    ("oerrors", c.oerrors, before.oerrors), ("rx_nombuf", c.rxNombuf, before.rxNombuf),
                ]
                for (field, now, was) in fields where now > was {
                    let key = "\(field) \(name)"
                    let counter = nicCounters[key] ?? CoreMetrics.Counter(label: "tickwire_nic_\(field)_total", dimensions: [("port", name)],
                                                                           factory: factory)
                    nicCounters[key] = counter
                    counter.increment(by: Int64(now - was))
                }
                // Per queue: tickwire_nic_queue_<counter>_total{port, queue}.
                for (i, q) in c.queues.enumerated() {
                    let b = i < before.queues.count ? before.queues[i] : QueueStats()
                    for (field, now, was) in [("ipackets", q.rxPackets, b.rxPackets), ("opackets", q.txPackets, b.txPackets),
                                              ("errors", q.rxErrors, b.rxErrors)] where now > was {
                        let key = "queue \(field) \(name) \(i)"
                        let counter = nicCounters[key] ?? CoreMetrics.Counter(label: "tickwire_nic_queue_\(field)_total",
                                                                               dimensions: [("port", name), ("queue", String(i))], factory: factory)
                        nicCounters[key] = counter
                        counter.increment(by: Int64(now - was))
                    }
                }
                nicLast[name] = c
            }
        }
    }
    var nicLast: [String: NICCounters] = [:]
    var nicCounters: [String: CoreMetrics.Counter] = [:]

    /// A snapshot from the loop (telemetry thread): counters move by their deltas.
    func update(_ s: CountersSnapshot) {
        lock.withLock {
            for (k, c) in counters where s[keyPath: k] > last[keyPath: k] {
                c.increment(by: Int64(s[keyPath: k] - last[keyPath: k]))
            }
            openOrders.record(s.openOrders)
            pnl.record(Double(s.pnl) / 10_000)
            killSwitch.record(s.killSwitchEngaged ? 1 : 0)
            last = s
        }
    }

    /// Serves until `flag` drops: every connection gets the registry's text and is closed.
    func serve(flag: RunFlag, core: Int?) {
        let t = Thread { [self] in
            try? ThreadPlacement.nameCurrentThread("tw-metrics")
            if let core { try? ThreadPlacement.pinCurrentThread(to: core) }
            var request = [UInt8](repeating: 0, count: 4096)
            while flag.isRunning {
                guard let c = listener.accept() else {
                    usleep(20_000)
                    continue
                }
                // Read what the client sent (a GET), then answer whatever it asked.
                let deadline = tw_clock_monotonic_raw_ns() + 200_000_000
                while tw_clock_monotonic_raw_ns() < deadline {
                    let r = request.withUnsafeMutableBytes { c.receive(into: $0) }
                    if case .bytes = r { break }
                    if case .wouldBlock = r { usleep(1_000); continue }
                    break
                }
                let body = registry.emitToBuffer()
                let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
                let reply = Array(head.utf8) + body
                var off = 0
                let until = tw_clock_monotonic_raw_ns() + 500_000_000
                while off < reply.count && tw_clock_monotonic_raw_ns() < until {
                    let n = reply.withUnsafeBytes { c.send(UnsafeRawBufferPointer(rebasing: $0[off...])) }
                    if n < 0 { break }
                    if n == 0 { usleep(1_000) }
                    off += max(n, 0)
                }
                c.close()
            }
        }
        t.start()
    }
}
