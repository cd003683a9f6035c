// The venue's market-data transport: ITCH messages packed into MoldUDP64 packets (one session,
// consecutive sequence numbers), every packet stored for the re-request server and sent on two
// lines (A and B, two multicast groups), each line through its own fault injector: independent
// loss, loss bursts, duplicates, reordering and a lag of whole packets, drawn from a seeded
// generator so that a test's faults are the same on every run. Heartbeats (count 0) keep an
// idle feed alive; the end of session (count 0xFFFF) is sent on both lines, untouched by faults
// (a receiver must learn where the session ends).
public import MarketData

/// Where packets go: the kernel's UDP stack, a capture, a test.
public protocol PacketOutput {
    mutating func send(_ payload: UnsafeRawBufferPointer, line: FeedLine, to destination: FeedAddress)
}

/// Faults of one line. Probabilities are per packet.
public struct LineFaults: Sendable, Equatable, CustomStringConvertible {
    public var loss: Double = 0
    /// A burst of `burstLength` consecutive losses starts with this probability.
    public var burst: Double = 0
    public var burstLength: Int = 0
    public var duplicate: Double = 0
    /// The packet is held back and sent after the next one.
    public var reorder: Double = 0
    /// Every packet is sent this many packets late (the line lags the other).
    public var delayPackets: Int = 0

    public init(loss: Double = 0, burst: Double = 0, burstLength: Int = 0, duplicate: Double = 0, reorder: Double = 0,
                delayPackets: Int = 0) {
        self.loss = loss
        self.burst = burst
        self.burstLength = burstLength
        self.duplicate = duplicate
        self.reorder = reorder
        self.delayPackets = delayPackets
    }

    public static let none = LineFaults()

    /// "loss=0.01,burst=0.001:20,dup=0.01,reorder=0.01,delay=3" (any subset; "none" for none).
    public init?(_ text: String) {
        if text == "none" || text.isEmpty { return }
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { return nil }
            switch kv[0] {
            case "loss": guard let v = Double(kv[1]), (0...1).contains(v) else { return nil }; loss = v
            case "dup": guard let v = Double(kv[1]), (0...1).contains(v) else { return nil }; duplicate = v
            case "reorder": guard let v = Double(kv[1]), (0...1).contains(v) else { return nil }; reorder = v
            case "delay": guard let v = Int(kv[1]), v >= 0, v <= 10_000 else { return nil }; delayPackets = v
            case "burst":
                let pl = kv[1].split(separator: ":").map(String.init)
                guard pl.count == 2, let p = Double(pl[0]), (0...1).contains(p), let l = Int(pl[1]), l >= 1, l <= 100_000 else { return nil }
                burst = p
                burstLength = l
            default: return nil
            }
        }
    }

    public var description: String {
        "loss=\(loss),burst=\(burst):\(burstLength),dup=\(duplicate),reorder=\(reorder),delay=\(delayPackets)"
    }
}

public struct LineCounters: Sendable, Equatable {
    public var sent: UInt64 = 0
    public var lost: UInt64 = 0
    public var duplicated: UInt64 = 0
    public var reordered: UInt64 = 0
}

/// One line's faults, applied to the packets offered to it in order.
public struct FaultyLine {
    public let line: FeedLine
    public let destination: FeedAddress
    public let faults: LineFaults
    public private(set) var counters = LineCounters()
    var rng: FlowRandom
    var burstLeft = 0
    var lag: [[UInt8]] = []
    var lagHead = 0
    var held: [UInt8]?

    public init(line: FeedLine, destination: FeedAddress, faults: LineFaults, seed: UInt64) {
        self.line = line
        self.destination = destination
        self.faults = faults
        rng = FlowRandom(seed: seed ^ (UInt64(line.rawValue + 1) &* 0x9E37_79B9))
    }

    /// Offers the next packet of the feed.
    public mutating func offer<O: PacketOutput>(_ packet: UnsafeRawBufferPointer, _ out: inout O) {
        if burstLeft > 0 {
            burstLeft -= 1
            counters.lost += 1
            return
        }
        if faults.burst > 0 && rng.uniform() < faults.burst {
            burstLeft = max(faults.burstLength - 1, 0)
            counters.lost += 1
            return
        }
        if faults.loss > 0 && rng.uniform() < faults.loss {
            counters.lost += 1
            return
        }
        let copies = faults.duplicate > 0 && rng.uniform() < faults.duplicate ? 2 : 1
        if copies == 2 { counters.duplicated += 1 }
        for _ in 0..<copies {
            if faults.delayPackets > 0 {
                lag.append(Array(packet))
                if lag.count - lagHead > faults.delayPackets {
                    let p = lag[lagHead]
                    lagHead += 1
                    if lagHead > 4096 {
                        lag.removeFirst(lagHead)
                        lagHead = 0
                    }
                    p.withUnsafeBytes { reorderStage($0, &out) }
                }
            } else {
                reorderStage(packet, &out)
            }
        }
    }

    mutating func reorderStage<O: PacketOutput>(_ packet: UnsafeRawBufferPointer, _ out: inout O) {
        if let h = held {
            emit(packet, &out)
            h.withUnsafeBytes { emit($0, &out) }
            held = nil
            return
        }
        if faults.reorder > 0 && rng.uniform() < faults.reorder {
            held = Array(packet)
            counters.reordered += 1
            return
        }
        emit(packet, &out)
    }

    mutating func emit<O: PacketOutput>(_ packet: UnsafeRawBufferPointer, _ out: inout O) {
        counters.sent += 1
        out.send(packet, line: line, to: destination)
    }

    /// Sends what is held back or lagging (before the end of session).
    public mutating func drain<O: PacketOutput>(_ out: inout O) {
        while lagHead < lag.count {
            let p = lag[lagHead]
            lagHead += 1
            p.withUnsafeBytes { reorderStage($0, &out) }
        }
        lag.removeAll()
        lagHead = 0
        if let h = held {
            held = nil
            h.withUnsafeBytes { emit($0, &out) }
        }
    }

    /// Bypasses the faults (end of session).
    public mutating func sendClean<O: PacketOutput>(_ packet: UnsafeRawBufferPointer, _ out: inout O) {
        emit(packet, &out)
    }
}

/// Packs ITCH messages into MoldUDP64 packets, stores them and sends them on both lines.
public final class MoldPacker<Out: PacketOutput>: ITCHMessageSink {
    public let session: MoldSession
    public let store: MoldMessageStore
    public var lines: [FaultyLine]
    public var output: Out
    /// Largest packet (header included): stays within one Ethernet MTU.
    public let maxPacketBytes: Int
    public private(set) var nextSequence: UInt64 = 1
    public private(set) var packets: UInt64 = 0
    public private(set) var heartbeats: UInt64 = 0
    let buffer: UnsafeMutableRawBufferPointer
    var used = MoldUDP64Packet.headerLength
    var count = 0

    public init(session: MoldSession, store: MoldMessageStore, lines: [FaultyLine], output: Out, maxPacketBytes: Int = 1400) {
        self.session = session
        self.store = store
        self.lines = lines
        self.output = output
        self.maxPacketBytes = max(maxPacketBytes, 64)
        buffer = .allocate(byteCount: max(maxPacketBytes, 64) + 64, alignment: 8)
    }

    deinit { buffer.deallocate() }

    /// Messages waiting in the current packet.
    public var pending: Int { count }

    public func message(_ m: UnsafeRawBufferPointer) {
        guard m.count + 2 + MoldUDP64Packet.headerLength <= maxPacketBytes else { return }  // ITCH messages are < 64 bytes
        if count > 0 && used + 2 + m.count > maxPacketBytes { flush() }
        buffer[used] = UInt8(m.count >> 8)
        buffer[used + 1] = UInt8(m.count & 0xFF)
        UnsafeMutableRawBufferPointer(rebasing: buffer[(used + 2)..<(used + 2 + m.count)]).copyMemory(from: m)
        used += 2 + m.count
        count += 1
    }

    /// Sends the current packet, if it holds any message.
    public func flush() {
        guard count > 0 else { return }
        _ = MoldUDP64Packet.writeHeader(into: buffer, session: session, sequence: nextSequence, count: UInt16(count))
        let p = UnsafeRawBufferPointer(rebasing: buffer[0..<used])
        // Stored before it is sent: a receiver that sees the packet may ask for it at once.
        store.appendBlock(UnsafeRawBufferPointer(rebasing: buffer[MoldUDP64Packet.headerLength..<used]))
        for i in lines.indices { lines[i].offer(p, &output) }
        let n = count
        nextSequence += UInt64(n)
        packets += 1
        used = MoldUDP64Packet.headerLength
        count = 0
    }

    /// A heartbeat (count 0, the next sequence number) on both lines, through their faults.
    public func heartbeat() {
        flush()
        _ = MoldUDP64Packet.writeHeader(into: buffer, session: session, sequence: nextSequence, count: 0)
        let p = UnsafeRawBufferPointer(rebasing: buffer[0..<MoldUDP64Packet.headerLength])
        for i in lines.indices { lines[i].offer(p, &output) }
        heartbeats += 1
    }

    /// Flushes, drains the lines and sends the end of session (count 0xFFFF) `repeats` times on
    /// each line, without faults.
    public func endSession(repeats: Int = 3) {
        flush()
        for i in lines.indices { lines[i].drain(&output) }
        _ = MoldUDP64Packet.writeHeader(into: buffer, session: session, sequence: nextSequence, count: 0xFFFF)
        let p = UnsafeRawBufferPointer(rebasing: buffer[0..<MoldUDP64Packet.headerLength])
        for _ in 0..<max(repeats, 1) {
            for i in lines.indices { lines[i].sendClean(p, &output) }
        }
    }
}
