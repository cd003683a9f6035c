// The NIC's own counters in the accounting (rte_eth_stats: frames in and out, imissed, ierrors,
// oerrors, rx_nombuf). Read on the telemetry thread once a second, never on the hot core (a
// PMD's stats call may be a system call: af_xdp's is a getsockopt). What the run reports and
// Prometheus exports is each port's counters since the watch started; imissed, the frames the
// NIC dropped because the rx ring was full, is also published to the hot loop
// (`Appliance.nicMissed`), where a rise is a feed gap for risk: dropped frames may have been
// feed packets, and a book that missed them is not one to trade on.
import Foundation
public import TickwireCore
public import DPDK

/// One port's counters over the run (rte_eth_stats names; JSON in snake case).
public struct NICCounters: Sendable, Equatable, Codable {
    public var ipackets: UInt64 = 0
    public var opackets: UInt64 = 0
    public var imissed: UInt64 = 0
    public var ierrors: UInt64 = 0
    public var oerrors: UInt64 = 0
    public var rxNombuf: UInt64 = 0
    /// Per queue (index = queue id): frames and bytes in and out, rx errors.
    public var queues: [QueueStats] = []
    public init() {}

    /// `now` less `start` (a counter that went backwards, reset by someone else, counts from 0).
    public init(_ now: PortStats, since start: PortStats) {
        func d(_ a: UInt64, _ b: UInt64) -> UInt64 { a >= b ? a - b : a }
        ipackets = d(now.rxPackets, start.rxPackets)
        opackets = d(now.txPackets, start.txPackets)
        imissed = d(now.rxMissed, start.rxMissed)
        ierrors = d(now.rxErrors, start.rxErrors)
        oerrors = d(now.txErrors, start.txErrors)
        rxNombuf = d(now.rxNoMbuf, start.rxNoMbuf)
        queues = now.queues.enumerated().map { i, q in
            let s = i < start.queues.count ? start.queues[i] : QueueStats()
            return QueueStats(rxPackets: d(q.rxPackets, s.rxPackets), txPackets: d(q.txPackets, s.txPackets), rxBytes: d(q.rxBytes, s.rxBytes),
                              txBytes: d(q.txBytes, s.txBytes), rxErrors: d(q.rxErrors, s.rxErrors))
        }
    }
}

public final class NICWatch: @unchecked Sendable {
    struct Watched {
        let name: String
        let read: () -> PortStats
        let start: PortStats
        var last: NICCounters
    }
    let lock = NSLock()
    var watched: [Watched]
    let missed: SharedCounter

    /// Watches `ports` (name, stats reader) from now on; the sum of their imissed goes to
    /// `missed`. The readers are `DPDKPort.stats` in a run, anything in a test.
    public init(ports: [(name: String, read: () -> PortStats)], publishTo missed: SharedCounter) {
        watched = ports.map { Watched(name: $0.name, read: $0.read, start: $0.read(), last: NICCounters()) }
        self.missed = missed
    }

    public convenience init(ports: [DPDKPort], publishTo missed: SharedCounter) {
        self.init(ports: ports.map { p in (name: p.info.name, read: { p.stats() }) }, publishTo: missed)
    }

    /// Reads every port (cold thread) and publishes the imissed total.
    public func sample() {
        let total: UInt64 = lock.withLock {
            var t: UInt64 = 0
            for i in watched.indices {
                watched[i].last = NICCounters(watched[i].read(), since: watched[i].start)
                t &+= watched[i].last.imissed
            }
            return t
        }
        missed.store(total)
    }

    /// Each port's counters at the last sample.
    public var counters: [String: NICCounters] {
        lock.withLock { Dictionary(watched.map { ($0.name, $0.last) }, uniquingKeysWith: { a, _ in a }) }
    }
}
