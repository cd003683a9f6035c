// `tickwire replay CAPTURE --strategy ...`: the capture's feed through the same engine the
// live loop runs (feed handler, book, strategy, risk, OUCH encode), with the order session on
// an echo venue; the capture's clock drives the session's timers and risk's throttle. The
// decision log it writes has the live run's format, so the two can be compared line by line.
import Appliance
import CShims
import Foundation
import MarketData
import OrderBook
import OrderEntry
import Risk
import Strategy
import TickwireCore
import Packets
import Capture

struct StrategyReplayReport: Encodable {
    var frames: UInt64
    var messages: UInt64
    var strategyCalls: UInt64
    var orders: UInt64
    var replaces: UInt64
    var cancels: UInt64
    var riskRejects: UInt64
    var gaps: UInt64
    var decisionsOut: String?
}

func replayWithStrategy<S: Strategy>(_ strategy: S, spec: StrategySpec, capture: String, symbols: Int, lineA: FeedAddress,
                                     lineB: FeedAddress, maxOrders: Int, decisionsOut: String?) throws -> StrategyReplayReport {
    let risk = try RiskEngine(limits: spec.limits, maxLocates: symbols + 1)
    let gateway = OrderGateway<EchoVenueTransport>(version: .v42, credentials: SoupBinTCPCredentials(username: "REPLAY", password: "x"),
                                                   symbols: symbolNames(symbols), risk: risk)
    let venue = EchoVenueTransport()
    let book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: maxOrders, maxLocates: symbols + 1))
    let engine = TradingEngine(book: book, gateway: gateway, strategy: strategy, stampCapacity: 1 << 16)
    let clock = TSCClock.calibrate(windowNanos: 10_000_000)
    let appliance = Appliance(engine: engine, lineA: lineA, lineB: lineB, requester: NoRecovery(), clock: clock)
    var recorder = LatencyRecorder(clock: clock)
    let reader = try PcapReader(path: capture)
    var p = tw_pkt()
    var loggedIn = false
    while try reader.next(&p) {
        // The capture's clock (CLOCK_REALTIME at the tap) stands in for the host's.
        let now = Int64(truncatingIfNeeded: p.rx_timestamp)
        if !loggedIn {
            gateway.connect(venue, now: now)
            engine.pollVenue(now: now)
            loggedIn = gateway.isLoggedIn
        }
        let tsc = tw_rdtsc()
        appliance.onFrames(&p, count: 1, tsc: tsc, now: now)
        appliance.betweenBursts(idle: true, tsc: tsc, now: now)
        while let s = engine.stamps.pop() { recorder.record(s) }
    }
    if let decisionsOut { try recorder.decisionLog().write(toFile: decisionsOut, atomically: true, encoding: .utf8) }
    let c = engine.counters
    return StrategyReplayReport(frames: reader.frames, messages: c.messages, strategyCalls: c.strategyCalls, orders: c.ordersSent,
                                replaces: c.replacesSent, cancels: c.cancelsSent, riskRejects: c.riskRejects,
                                gaps: appliance.feed.session.counters.gaps, decisionsOut: decisionsOut)
}
