// The packet loop benchmark's classifier (`tickwire bench io`): frames counted by EtherType.

/// Frames seen per EtherType class.
public struct FrameClassCounts: Sendable, Equatable {
    public var ipv4: UInt64 = 0, ipv6: UInt64 = 0, arp: UInt64 = 0, vlan: UInt64 = 0
    public var other: UInt64 = 0, runt: UInt64 = 0
    public init() {}

    public var total: UInt64 { ipv4 + ipv6 + arp + other + runt }

    /// Counts one frame by its EtherType (after VLAN tags); a frame too short for its Ethernet
    /// header is a runt.
    @inlinable @inline(__always)
    public mutating func count(_ frame: UnsafeRawBufferPointer) {
        guard let eth = EthernetView(frame) else {
            runt &+= 1
            return
        }
        if eth.vlanCount > 0 { vlan &+= 1 }
        switch eth.etherType {
        case EtherType.ipv4: ipv4 &+= 1
        case EtherType.ipv6: ipv6 &+= 1
        case EtherType.arp: arp &+= 1
        default: other &+= 1
        }
    }
}
