// Wire-to-wire latency from a capture, the way a passive tap measures an appliance: each order
// message on the order session (OUCH over SoupBinTCP, client to venue) is paired with the
// market-data packet that triggered it, through the decision log (order number -> trigger's
// MoldUDP64 sequence number), and the difference of their capture timestamps is the figure.
// The trigger's time is its first arrival on either line; the order's time is the capture time
// of the TCP segment that carried its last byte.
import TickwireCore
import Packets
public import Capture
import CShims
import MarketData
import OrderEntry

public struct WireToWireResult: Sendable, Codable, Equatable {
    /// Order messages seen on the order session (new, replace, cancel).
    public var ordersOnWire: Int = 0
    /// Decisions with a trigger (tick-driven orders) in the log.
    public var tickDecisions: Int = 0
    /// Pairs measured.
    public var pairs: Int = 0
    /// Tick-driven decisions whose order was not found in the capture.
    public var ordersNotCaptured: Int = 0
    /// Tick-driven decisions whose trigger packet was not found in the capture.
    public var triggersNotCaptured: Int = 0
    /// MoldUDP64 packets read.
    public var feedPackets: Int = 0
    /// Bytes of the order session the capture missed (holes in a TCP stream).
    public var streamHoles: Int = 0
    public var wireToWireNanos = LatencySummary()
    /// Wire to wire split at the software's stamps (pairs whose decision has wall-clock stamps,
    /// see `DecisionRecord`): the trigger on the tap to the rx stamp (link, kernel or NIC, rx
    /// ring, the wait for the poll); the rx stamp to the send call (the software's
    /// tick-to-trade before the send); the send call to the order on the tap (the send itself:
    /// a tx burst and its kick, or the kernel's TCP). The three add up to the pair's figure.
    public var wireToRxNanos: LatencySummary?
    public var rxToSendNanos: LatencySummary?
    public var sendToWireNanos: LatencySummary?
    /// Per pair, what the software's stamps do not cover (wire_to_rx + send_to_wire: the NIC or
    /// the kernel's receive, the ring and the wait for the poll, the send call up to the wire,
    /// the link): wire to wire less the software's part.
    public var outsideSoftwareNanos: LatencySummary?
    /// Pairs whose split came out negative (the wall clock model and the tap disagree by more
    /// than the interval): left out of the split.
    public var splitDisagreements: Int = 0
    public init() {}
}

public enum WireToWire {
    /// Pairs the orders in `capture` with their triggers. `orderEntryPort`: the venue's
    /// SoupBinTCP port (the client-to-venue direction is the one sent to it).
    public static func analyze(capture path: String, decisions: [DecisionRecord], orderEntryPort: UInt16)
        throws(CaptureError) -> (result: WireToWireResult, values: [UInt64])
    {
        let a = try analyzeSplit(capture: path, decisions: decisions, orderEntryPort: orderEntryPort)
        return (a.result, a.values)
    }

    /// Per order, the split at the software's stamps (for orders whose decision log has the
    /// wall-clock columns): the wire to our rx, our rx to the send, the send to the wire. The
    /// backtester's empirical latencies come from these (`tickwire latency --latencies-out`).
    public struct Split: Sendable {
        public var wireToRx: [UInt64] = []
        public var rxToSend: [UInt64] = []
        public var sendToWire: [UInt64] = []
        /// Every order, replace and cancel (tick-driven or not) that the venue answered in the
        /// capture: our send (the decision log's encoded stamp) -> the venue's answer (accepted,
        /// replaced, canceled; OUCH 4.2) on the wire at the venue's end of the link. What a
        /// backtest's order-entry latency stands for: the link and the venue's own handling.
        public var sendToAnswer: [UInt64] = []
        /// Every order the strategy sent on hearing the venue (a decision with no feed trigger:
        /// an answer, a fill): the venue's last segment to us on the wire before our rx -> our
        /// send (the encoded stamp). What a backtest's response latency stands for, with the
        /// reaction in it as `feed` has it. A lower bound: an earlier segment may have held the
        /// answer, and a rare decision of a timer counts too.
        public var answerToSend: [UInt64] = []
        /// Every order the venue accepted or replaced: its answer on the wire -> the feed's copy
        /// of the order (the add, or the replace, with the reference the answer gave) on the
        /// wire, first of the two lines (0 where the copy came first); and when, by the copy's
        /// own venue stamp. What a backtest's `OwnFeedDelay` stands for.
        public var answerToFeedCopy: [UInt64] = []
        public var answerToFeedCopyAt: [UInt64] = []
        /// Every fill of a resting order of ours (OUCH 4.2 Executed, liquidity A) whose match the
        /// feed printed: the answer on the wire -> the feed's execution with the same match number
        /// on the wire (0 where the feed came first), and when, by the feed's own venue stamp.
        /// What a backtest's `FillFeedDelay` stands for (the simulator answers a fill within its
        /// batch of events and publishes the batch after).
        public var fillToFeedCopy: [UInt64] = []
        public var fillToFeedCopyAt: [UInt64] = []
        /// When each happened on the venue's clock (ns since midnight), for a latency trace: the
        /// trigger's packet on the wire (per `wireToRx`) and our send (per `sendToAnswer`), each a
        /// capture or wall-clock time less `venueClockOffset`. Empty where no pair had both a
        /// venue stamp and a wire time.
        public var wireToRxAt: [UInt64] = []
        public var sendToAnswerAt: [UInt64] = []
        public var answerToSendAt: [UInt64] = []
        /// Capture (wall) time less venue time, the least over the paired triggers: the two
        /// clocks' offset where the venue sent a message as soon as it stamped it (0: unknown).
        public var venueClockOffset: Int64 = 0

        /// A backtest's order-entry latency from this run: `sendToAnswer`, or where the capture
        /// has no answers, our send -> the order on the wire (`sendToWire`).
        public var entry: [UInt64] { sendToAnswer.isEmpty ? sendToWire : sendToAnswer }
        /// A backtest's response latency from this run: `answerToSend`, or where the capture
        /// has none, the feed's wire -> our rx (same link and direction, our stack's delay
        /// without the answer's reading and the reaction: an underestimate).
        public var response: [UInt64] { answerToSend.isEmpty ? wireToRx : answerToSend }
        public var responseAt: [UInt64] { answerToSend.isEmpty ? wireToRxAt : answerToSendAt }
    }

    public static func analyzeSplit(capture path: String, decisions: [DecisionRecord], orderEntryPort: UInt16)
        throws(CaptureError) -> (result: WireToWireResult, values: [UInt64], split: Split)
    {
        var r = WireToWireResult()
        // `hold` lines are decisions without a wire message.
        let decisions = decisions.filter(\.isWireMessage)
        // Which trigger sequence numbers matter, and which order messages.
        var triggerTime: [UInt64: UInt64] = [:]
        for d in decisions where d.triggerSequence != 0 {
            triggerTime[d.triggerSequence] = 0
            r.tickDecisions += 1
        }
        var orderTime: [UInt64: UInt64] = [:]  // (action << 32 | id) -> capture ns
        var answerTime: [UInt64: UInt64] = [:]  // (action << 32 | id) -> capture ns of the venue's answer
        var venueSegments: [UInt64] = []         // capture ns of every venue -> us segment with data
        var answerByRef: [UInt64: UInt64] = [:]  // venue's order reference -> capture ns of its accept/replace
        var copyByRef: [UInt64: (wire: UInt64, stamp: UInt64)] = [:]  // reference -> first add/replace on the feed
        var fillByMatch: [UInt64: UInt64] = [:]  // match number -> capture ns of our Executed
        var printByMatch: [UInt64: (wire: UInt64, stamp: UInt64)] = [:]  // match number -> first E/C on the feed
        var streams: [StreamKey: Stream] = [:]
        let reader = try PcapReader(path: path)
        var p = tw_pkt()
        while try reader.next(&p) {
            let frame = UnsafeRawBufferPointer(start: p.data, count: Int(p.len))
            guard let eth = EthernetView(frame), eth.etherType == 0x0800, let ip = IPv4View(eth.payload), !ip.isFragment else { continue }
            let ts = p.rx_timestamp
            let l4 = ip.payload
            if ip.ipProtocol == 17, l4.count >= 8 {
                let udp = UnsafeRawBufferPointer(rebasing: l4[8...])
                guard let (seq, count) = moldHeader(udp) else { continue }
                r.feedPackets += 1
                MoldUDP64Packet(udp)?.forEachMessage { m, _ in
                    if let (ref, stamp) = addedOrder(m) {
                        if copyByRef[ref] == nil { copyByRef[ref] = (ts, stamp) }
                    } else if let (match, stamp) = execution(m), printByMatch[match] == nil {
                        printByMatch[match] = (ts, stamp)
                    }
                }
                var s = seq
                while s < seq &+ UInt64(count) {
                    if let t = triggerTime[s], t == 0 || ts < t { triggerTime[s] = ts }
                    s &+= 1
                }
            } else if ip.ipProtocol == 6, l4.count >= 20 {
                let dport = UInt16(l4[2]) << 8 | UInt16(l4[3])
                let sport = UInt16(l4[0]) << 8 | UInt16(l4[1])
                let fromVenue = sport == orderEntryPort
                guard dport == orderEntryPort || fromVenue else { continue }
                let seq = UInt32(l4[4]) << 24 | UInt32(l4[5]) << 16 | UInt32(l4[6]) << 8 | UInt32(l4[7])
                let dataOffset = Int(l4[12] >> 4) * 4
                let flags = l4[13]
                guard dataOffset >= 20, dataOffset <= l4.count else { continue }
                let key = StreamKey(source: ip.source.value, sourcePort: sport, destination: ip.destination.value)
                if flags & 0x02 != 0 {  // SYN: a new connection; its data starts at seq + 1
                    streams[key] = Stream(next: seq &+ 1, fromServer: fromVenue)
                    continue
                }
                let payload = UnsafeRawBufferPointer(rebasing: l4[dataOffset...])
                guard !payload.isEmpty else { continue }
                let st = streams[key] ?? Stream(next: seq, fromServer: fromVenue)
                streams[key] = st
                var holes = 0
                if fromVenue {
                    venueSegments.append(ts)
                    st.append(payload, seq: seq, holes: &holes) { type, body in
                        guard type == UInt8(ascii: "S") else { return }
                        if body.count == 40, body[0] == UInt8(ascii: "E") {  // OUCH 4.2 Executed: the match number at 32
                            // Resting orders' fills (liquidity "A"; ours that took are `answerToFeedCopy`'s).
                            let match = body.loadUnaligned(fromByteOffset: 32, as: UInt64.self).bigEndian
                            if body[31] == UInt8(ascii: "A"), fillByMatch[match] == nil { fillByMatch[match] = ts }
                            return
                        }
                        guard let (action, id) = answerMessage(body) else { return }
                        if action < 2, body.count >= 57 {   // accepted, replaced: the venue's reference at 49
                            let ref = body.loadUnaligned(fromByteOffset: 49, as: UInt64.self).bigEndian
                            if answerByRef[ref] == nil { answerByRef[ref] = ts }
                        }
                        let k = UInt64(action) << 32 | UInt64(id)
                        if answerTime[k] == nil { answerTime[k] = ts }
                    }
                    continue
                }
                st.append(payload, seq: seq, holes: &holes) { type, body in
                    guard type == UInt8(ascii: "U"), let (action, id) = orderMessage(body) else { return }
                    r.ordersOnWire += 1
                    let k = UInt64(action) << 32 | UInt64(id)
                    if orderTime[k] == nil { orderTime[k] = ts }
                }
                r.streamHoles += holes
            }
        }
        var values: [UInt64] = []
        values.reserveCapacity(r.tickDecisions)
        var wireToRx: [UInt64] = [], rxToSend: [UInt64] = [], sendToWire: [UInt64] = [], outside: [UInt64] = []
        // The offset of the capture's clock from the venue's: the least gap between a trigger's
        // stamp and its packet on the wire (a venue that sent at once). Stamps are ns since
        // midnight; capture times are since the epoch.
        let day: Int64 = 86_400_000_000_000
        var offset = Int64.max
        for d in decisions where d.triggerSequence != 0 && d.feedTime != 0 {
            guard let t = triggerTime[d.triggerSequence], t != 0 else { continue }
            offset = min(offset, Int64(truncatingIfNeeded: t) % day - Int64(truncatingIfNeeded: d.feedTime))
        }
        if offset == .max { offset = 0 }
        func venueClock(_ wall: Int64) -> UInt64? {
            let v = wall % day - offset
            return offset != 0 && v >= 0 ? UInt64(v) : nil
        }
        var wireToRxAt: [UInt64] = []
        for d in decisions where d.triggerSequence != 0 {
            guard let o = orderTime[UInt64(d.action) << 32 | UInt64(d.orderID)] else {
                r.ordersNotCaptured += 1
                continue
            }
            guard let t = triggerTime[d.triggerSequence], t != 0, o >= t else {
                r.triggersNotCaptured += 1
                continue
            }
            values.append(o - t)
            if d.rxWallNanos > 0, d.encodedWallNanos >= d.rxWallNanos {
                let a = d.rxWallNanos - Int64(truncatingIfNeeded: t)
                let c = Int64(truncatingIfNeeded: o) - d.encodedWallNanos
                if a >= 0, c >= 0 {
                    wireToRx.append(UInt64(a))
                    wireToRxAt.append(venueClock(Int64(truncatingIfNeeded: t)) ?? 0)
                    rxToSend.append(UInt64(d.encodedWallNanos - d.rxWallNanos))
                    sendToWire.append(UInt64(c))
                    outside.append(UInt64(a + c))
                } else {
                    r.splitDisagreements += 1
                }
            }
        }
        var sendToAnswer: [UInt64] = [], sendToAnswerAt: [UInt64] = []
        for d in decisions where d.encodedWallNanos > 0 {
            if let a = answerTime[UInt64(d.action) << 32 | UInt64(d.orderID)], Int64(truncatingIfNeeded: a) >= d.encodedWallNanos {
                sendToAnswer.append(UInt64(Int64(truncatingIfNeeded: a) - d.encodedWallNanos))
                sendToAnswerAt.append(venueClock(d.encodedWallNanos) ?? 0)
            }
        }
        // Decisions without a feed trigger: the latest venue segment before our rx -> our send.
        venueSegments.sort()
        var answerToSend: [UInt64] = [], answerToSendAt: [UInt64] = []
        for d in decisions where d.triggerSequence == 0 && d.rxWallNanos > 0 && d.encodedWallNanos >= d.rxWallNanos {
            var lo = 0, hi = venueSegments.count     // the first segment after rx
            while lo < hi {
                let mid = (lo + hi) / 2
                if Int64(truncatingIfNeeded: venueSegments[mid]) <= d.rxWallNanos { lo = mid + 1 } else { hi = mid }
            }
            guard lo > 0 else { continue }
            let seg = Int64(truncatingIfNeeded: venueSegments[lo - 1])
            answerToSend.append(UInt64(d.encodedWallNanos - seg))
            answerToSendAt.append(venueClock(seg) ?? 0)
        }
        // The feed's copy of each order the venue answered, after the answer.
        var copies: [(at: UInt64, delay: UInt64)] = []
        for (ref, answered) in answerByRef {
            guard let c = copyByRef[ref] else { continue }
            copies.append((c.stamp, c.wire >= answered ? c.wire - answered : 0))
        }
        // By stamp, then value: the files are the same from one reading to the next (the maps'
        // order is not), so the empirical draws from them are too.
        copies.sort { ($0.at, $0.delay) < ($1.at, $1.delay) }
        var fillCopies: [(at: UInt64, delay: UInt64)] = []
        for (match, answered) in fillByMatch {
            guard let c = printByMatch[match] else { continue }
            fillCopies.append((c.stamp, c.wire >= answered ? c.wire - answered : 0))
        }
        fillCopies.sort { ($0.at, $0.delay) < ($1.at, $1.delay) }
        r.pairs = values.count
        r.wireToWireNanos = LatencySummary(values: values)
        if !wireToRx.isEmpty {
            r.wireToRxNanos = LatencySummary(values: wireToRx)
            r.rxToSendNanos = LatencySummary(values: rxToSend)
            r.sendToWireNanos = LatencySummary(values: sendToWire)
            r.outsideSoftwareNanos = LatencySummary(values: outside)
        }
        var split = Split(wireToRx: wireToRx, rxToSend: rxToSend, sendToWire: sendToWire, sendToAnswer: sendToAnswer, answerToSend: answerToSend,
                          answerToFeedCopy: copies.map(\.delay), answerToFeedCopyAt: copies.map(\.at),
                          fillToFeedCopy: fillCopies.map(\.delay), fillToFeedCopyAt: fillCopies.map(\.at))
        if offset != 0 {
            (split.wireToRxAt, split.sendToAnswerAt, split.answerToSendAt, split.venueClockOffset) = (wireToRxAt, sendToAnswerAt, answerToSendAt, offset)
        }
        return (r, values, split)
    }

    /// MoldUDP64 header of a datagram whose messages fill it exactly (other UDP on the tap is
    /// not taken for market data): (sequence, count).
    static func moldHeader(_ b: UnsafeRawBufferPointer) -> (UInt64, UInt16)? {
        guard let p = MoldUDP64Packet(b), p.messageCount > 0 else { return nil }
        var used = MoldUDP64Packet.headerLength
        p.forEachMessage { m, _ in used += 2 + m.count }
        return used == b.count ? (p.sequence, p.count) : nil
    }

    /// An ITCH message that puts an order in the book: (reference, venue stamp) of an add (A,
    /// F) or a replace's new order (U).
    /// An execution on the feed (E, C): (its match number, its venue stamp).
    static func execution(_ m: UnsafeRawBufferPointer) -> (UInt64, UInt64)? {
        guard let type = m.first, (type == UInt8(ascii: "E") && m.count == 31) || (type == UInt8(ascii: "C") && m.count == 36),
              let stamp = ITCH.timestamp(m) else { return nil }
        return (m.loadUnaligned(fromByteOffset: 23, as: UInt64.self).bigEndian, stamp)
    }

    static func addedOrder(_ m: UnsafeRawBufferPointer) -> (UInt64, UInt64)? {
        guard let type = m.first, m.count >= 19, let stamp = ITCH.timestamp(m) else { return nil }
        switch (type, m.count) {
        case (UInt8(ascii: "A"), 36), (UInt8(ascii: "F"), 40): return (m.loadUnaligned(fromByteOffset: 11, as: UInt64.self).bigEndian, stamp)
        case (UInt8(ascii: "U"), 35): return (m.loadUnaligned(fromByteOffset: 19, as: UInt64.self).bigEndian, stamp)
        default: return nil
        }
    }

    /// An order message of ours (OUCH 4.2 or 5.0, told apart by length): (action, order number)
    /// with action 0 enter, 1 replace (the replacement's number), 2 cancel.
    static func orderMessage(_ m: UnsafeRawBufferPointer) -> (UInt8, UInt32)? {
        guard let type = m.first else { return nil }
        func token(_ at: Int) -> UInt32? { orderNumber(m, tokenAt: at) }
        func be32(_ at: Int) -> UInt32? {
            guard m.count >= at + 4 else { return nil }
            return UInt32(m[at]) << 24 | UInt32(m[at + 1]) << 16 | UInt32(m[at + 2]) << 8 | UInt32(m[at + 3])
        }
        switch (type, m.count) {
        case (UInt8(ascii: "O"), 49): return token(1).map { (0, $0) }            // 4.2 Enter Order
        case (UInt8(ascii: "O"), 47...): return be32(1).map { (0, $0) }           // 5.0 Enter Order
        case (UInt8(ascii: "U"), 47): return token(15).map { (1, $0) }           // 4.2 Replace Order
        case (UInt8(ascii: "U"), 40...): return be32(5).map { (1, $0) }           // 5.0 Replace Order
        case (UInt8(ascii: "X"), 19): return token(1).map { (2, $0) }            // 4.2 Cancel Order
        case (UInt8(ascii: "X"), 9...): return be32(1).map { (2, $0) }            // 5.0 Cancel Order
        default: return nil
        }
    }

    /// The venue's answer to an order message of ours (OUCH 4.2, by length): (action, order
    /// number) as `orderMessage` names the request: 0 accepted, 1 replaced (the replacement's
    /// number), 2 canceled.
    static func answerMessage(_ m: UnsafeRawBufferPointer) -> (UInt8, UInt32)? {
        guard let type = m.first else { return nil }
        switch (type, m.count) {
        case (UInt8(ascii: "A"), 66): return orderNumber(m, tokenAt: 9).map { (0, $0) }   // Accepted
        case (UInt8(ascii: "U"), 80): return orderNumber(m, tokenAt: 9).map { (1, $0) }   // Replaced (the replacement's token)
        case (UInt8(ascii: "C"), 28): return orderNumber(m, tokenAt: 9).map { (2, $0) }   // Canceled
        default: return nil
        }
    }

    /// The order number of the OUCH 4.2 token at `at` in `m` (nil: short, or not one of ours).
    static func orderNumber(_ m: UnsafeRawBufferPointer, tokenAt at: Int) -> UInt32? {
        guard m.count >= at + 14 else { return nil }
        return OrderTokens.orderNumber(Alpha14(loading: m.baseAddress! + at))
    }

    public struct StreamKey: Hashable, Sendable {
        public var source: UInt32
        public var sourcePort: UInt16
        public var destination: UInt32
        public init(source: UInt32, sourcePort: UInt16, destination: UInt32) {
            self.source = source
            self.sourcePort = sourcePort
            self.destination = destination
        }
    }

    /// One direction of a TCP connection, reassembled in order and framed by the gateway's own
    /// SoupBinTCP framer. Bytes the capture lacks end the framing (what follows a hole cannot be
    /// trusted to start on a packet) until the next connection.
    public final class Stream {
        var next: UInt32
        var framer: SoupBinTCPFramer
        var synced = true

        /// `fromServer`: the venue's direction (answers); else the client's (orders).
        public init(next: UInt32, fromServer: Bool = false) {
            self.next = next
            framer = SoupBinTCPFramer(direction: fromServer ? .fromServer : .fromClient)
        }

        /// Feeds a segment's payload; hands over every complete packet: (type, payload).
        public func append(_ data: UnsafeRawBufferPointer, seq: UInt32, holes: inout Int, _ body: (UInt8, UnsafeRawBufferPointer) -> Void) {
            let delta = Int32(bitPattern: seq &- next)
            if delta > 0 {
                holes += Int(delta)
                synced = false
            }
            let skip = delta < 0 ? Int(-delta) : 0  // a retransmission overlapping what we have
            guard skip < data.count else { return }
            next = seq &+ UInt32(data.count)
            guard synced else { return }
            framer.feed(UnsafeRawBufferPointer(rebasing: data[skip...]))
            while true {
                switch framer.next() {
                case .packet(let p): body(p.type.rawValue, p.payload)
                case .needMoreData: return
                case .failed:
                    synced = false
                    return
                }
            }
        }
    }
}
