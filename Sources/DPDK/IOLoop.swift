// The packet loop of `tickwire bench io`: rx burst -> EtherType classify -> release, through the
// same DPDKPort.receive / frames / release calls and Ethernet view that the appliance's hot loop uses.
import CShims
public import Packets
import TickwireCore

public struct IOLoopResult: Sendable, Equatable {
    public var packets: UInt64 = 0
    public var cycles: UInt64 = 0
    public var nanoseconds: Int64 = 0
    public var emptyPolls: UInt64 = 0
    public var counts = FrameClassCounts()
    public init() {}

    public var nsPerPacket: Double { packets == 0 ? 0 : Double(nanoseconds) / Double(packets) }
    public var cyclesPerPacket: Double { packets == 0 ? 0 : Double(cycles) / Double(packets) }
}

public enum IOLoop {
    /// Burst size of the loop (DPDK's customary 32).
    public static let burst = 32

    /// Polls `port` queue 0 until `packets` frames went through classify and release, each
    /// frame read from its mbuf as the appliance's DPDK loop reads it. Allocation-free.
    @inline(never)
    public static func run(port: DPDKPort, packets: UInt64) -> IOLoopResult {
        var r = IOLoopResult()
        var counts = FrameClassCounts()
        var done: UInt64 = 0
        var empty: UInt64 = 0
        let t0 = tw_clock_monotonic_raw_ns()
        let c0 = TSCClock.now()
        while done < packets {
            let n = port.receive(capacity: burst)
            if n == 0 {
                empty &+= 1
                continue
            }
            let frames = port.frames()
            for i in 0..<n {
                let p = frames.frame(i)
                counts.count(UnsafeRawBufferPointer(start: p.data, count: Int(p.len)))
            }
            port.release(count: n)
            done &+= UInt64(n)
        }
        r.cycles = TSCClock.nowSerialized() &- c0
        r.nanoseconds = tw_clock_monotonic_raw_ns() - t0
        r.packets = done
        r.emptyPolls = empty
        r.counts = counts
        return r
    }

    /// The same loop written in plain C (CShims), calling DPDK's inline burst functions directly.
    public static func runC(port: DPDKPort, packets: UInt64) -> IOLoopResult {
        var c = tw_bench_io_result()
        _ = tw_bench_io_c(port.id, 0, packets, &c)
        var r = IOLoopResult()
        r.packets = c.packets
        r.cycles = c.cycles
        r.nanoseconds = c.ns
        r.emptyPolls = c.empty_polls
        r.counts.ipv4 = c.counts.ipv4
        r.counts.ipv6 = c.counts.ipv6
        r.counts.arp = c.counts.arp
        r.counts.vlan = c.counts.vlan
        r.counts.other = c.counts.other
        r.counts.runt = c.counts.runt
        return r
    }
}
