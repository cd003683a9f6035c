// Input: a whole capture file (pcap or pcapng, any damage), read through libpcap by PcapReader
// both frame by frame and in arena bursts, every frame through the UDP frame parser.
import CShims
import Packets
import Capture
#if canImport(Glibc)
import Glibc
#endif

let path = "/dev/shm/tw-fuzz-pcap-\(getpid())"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    if fd < 0 { return 0 }
    _ = write(fd, data, size)
    close(fd)
    var drops = FrameDropCounters()
    if let r = try? PcapReader(path: path, arenaBytes: 4096) {
        var pkts = [tw_pkt](repeating: tw_pkt(), count: 8)
        while true {
            let n = (try? pkts.withUnsafeMutableBufferPointer { try r.read(into: $0.baseAddress!, capacity: 8) }) ?? 0
            if n == 0 { break }
            for p in pkts[0..<n] {
                if case .dropped(let d) = parseUDPFrame(p.bytes, verifyIPChecksum: true) { drops.count(d) }
            }
        }
    }
    if let r = try? PcapReader(path: path) {
        var p = tw_pkt()
        while (try? r.next(&p)) == true { _ = EthernetView(p.bytes) }
    }
    return 0
}
