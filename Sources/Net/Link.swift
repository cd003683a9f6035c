// A host on a DPDK port with its own receive loop, for the cold phases around the hot loop
// (connect and log in before trading, wind down after) and for tools: rx burst -> `input` for
// every frame -> `flush` -> release -> `poll`. The appliance's hot loop does the same inline,
// handing feed UDP to the feed handler first.
public import CShims
import TickwireCore
public import DPDK

public final class NetLink {
    public let port: DPDKPort
    public let device: DPDKNetDevice
    public let host: NetHost<DPDKNetDevice>
    /// UDP frames seen by `pump` and not taken (the stack does not take UDP; the appliance's
    /// loop hands it to the feed): feed packets that arrive before or after trading.
    public private(set) var udpFrames: UInt64 = 0

    public init(port: DPDKPort, configuration: NetConfiguration, txBuffers: Int = 2047) throws {
        self.port = port
        device = try DPDKNetDevice(port: port, txBuffers: txBuffers, name: "tw_tx\(port.id)")
        host = try NetHost(configuration: configuration, device: device)
    }

    /// One turn: a burst in, the stack's timers. Returns the frames received.
    @discardableResult
    public func pump(now: Int64 = tw_clock_monotonic_raw_ns()) -> Int {
        let n = port.receive(capacity: 32)
        let frames = port.frames()
        for i in 0..<n {
            let p = frames.frame(i)
            let f = UnsafeRawBufferPointer(start: p.data, count: Int(p.len))
            if NetHost<DPDKNetDevice>.isUDP(f) {
                udpFrames &+= 1
            } else {
                host.input(f, now: now)
            }
        }
        if n > 0 {
            host.flush()
            port.release(count: n)
        }
        host.poll(now: now)
        return n
    }

    /// Pumps until `done` or `seconds` pass; true if `done`.
    public func pump(seconds: Double, until done: () -> Bool) -> Bool {
        let end = tw_clock_monotonic_raw_ns() + Int64(seconds * 1e9)
        while tw_clock_monotonic_raw_ns() < end {
            if pump() == 0 {
                if done() { return true }
                tw_cpu_relax()
            }
        }
        return done()
    }
}
