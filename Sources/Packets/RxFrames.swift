// A received burst, frame by frame: what the appliance's frame handlers read. Two sources: the
// descriptors a backend filled (kernel sockets, pcap files, tests) and the mbufs of a DPDK burst
// read in place (`DPDKPort.MbufFrames`). Handlers are generic over the source and specialized at
// each call, so a DPDK frame is read straight from its mbuf, with no descriptor written and read
// back, and only the fields a handler uses are loaded.
public import CShims

public protocol RxFrames {
    /// Frame `i` of the burst (0 ..< the count the burst returned).
    func frame(_ i: Int) -> tw_pkt
}

/// Descriptors filled by a backend's receive.
@frozen
public struct DescriptorFrames: RxFrames {
    public let pkts: UnsafeMutablePointer<tw_pkt>
    @inlinable @inline(__always)
    public init(_ pkts: UnsafeMutablePointer<tw_pkt>) { self.pkts = pkts }
    @inlinable @inline(__always)
    public func frame(_ i: Int) -> tw_pkt { pkts[i] }
}
