// Input: a sequence of datagrams (2-byte length, 1-byte line, bytes...) fed to one MoldUDP64
// session with A/B arbitration, buffering, timers and a requester that answers nothing.
import MarketData

struct Count: MoldUDP64Consumer {
    var n: UInt64 = 0
    var last: UInt64 = 0
    mutating func onMessage(_ message: UnsafeRawBufferPointer, sequence: UInt64) {
        precondition(sequence > last || n == 0, "out of order delivery")
        last = sequence
        n &+= UInt64(message.count)
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
        s.onPacket(UnsafeRawBufferPointer(start: data + off, count: n), line: line, now: now)
        off += n
        now &+= 100_000
        s.poll(now: now)
    }
    s.resolveNow(now: now, giveUp: true)
    return 0
}
