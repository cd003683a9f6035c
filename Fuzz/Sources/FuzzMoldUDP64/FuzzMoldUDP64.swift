// Input: a sequence of datagrams (2-byte length, 1-byte line, bytes...) fed to one MoldUDP64
// session with A/B arbitration, buffering, timers and a requester that answers nothing.
// Invariant checked: within a session, messages come out with strictly increasing sequences.
import MarketData

struct Count: MoldUDP64Consumer {
    var n: UInt64 = 0
    var last: UInt64 = 0
    var outOfOrder = 0
    /// Session changes seen by the harness; a new epoch starts the sequence check over.
    var epoch: UInt64 = 0
    var lastEpoch: UInt64 = 0
    mutating func onMessage(_ message: UnsafeRawBufferPointer, sequence: UInt64) {
        if n > 0 && epoch == lastEpoch && sequence <= last { outOfOrder += 1 }
        last = sequence
        lastEpoch = epoch
        n &+= 1
    }
}

struct Flaky: MoldUDP64Requester {
    var asked = 0
    mutating func requestRetransmission(session: MoldSession, sequence: UInt64, count: UInt16) -> Bool {
        asked += 1
        return asked % 2 == 0
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var conf = MoldUDP64Configuration()
    conf.bufferedPackets = 8
    conf.slotBytes = 256
    conf.startSequence = nil
    let s = MoldUDP64Session(consumer: Count(), requester: Flaky(), configuration: conf)
    var off = 0
    var now: UInt64 = 0
    while off + 3 <= size {
        let len = Int(data[off]) << 8 | Int(data[off + 1])
        let line = FeedLine(rawValue: Int(data[off + 2]) % 3)!
        off += 3
        let n = min(len, size - off)
        let changes = s.counters.sessionChanges
        s.consumer.outOfOrder = 0
        s.onPacket(UnsafeRawBufferPointer(start: data + off, count: n), line: line, now: now)
        // A session change starts its sequence numbers over: only a change within one counts.
        precondition(s.consumer.outOfOrder == 0 || s.counters.sessionChanges != changes, "out of order delivery")
        s.consumer.epoch = s.counters.sessionChanges
        off += n
        now &+= 100_000
        s.consumer.outOfOrder = 0
        s.poll(now: now)
        precondition(s.consumer.outOfOrder == 0, "out of order delivery after a timer")
    }
    s.resolveNow(now: now, giveUp: true)
    precondition(s.consumer.outOfOrder == 0, "out of order delivery at the end")
    return 0
}
