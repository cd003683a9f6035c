// A scripted venue on a kernel TCP socket (loopback), for tests of the `tickwire` processes
// against a venue that lies: each accepted connection is bridged to a fresh `ScriptedVenue`
// made by the test's factory, on the server's own thread, until `stop`.
import Foundation
import Packets
import Sockets
import TickwireCore

public final class ScriptedVenueServer: @unchecked Sendable {
    public let port: UInt16
    let listener: TCPListener
    let make: () -> ScriptedVenue
    let lock = NSLock()
    var running = true
    var venues: [ScriptedVenue] = []
    let done = DispatchSemaphore(value: 0)

    /// Listens on 127.0.0.1 (any free port) and serves until `stop`.
    public init(_ make: @escaping () -> ScriptedVenue) throws {
        listener = try TCPListener(address: IPv4Address(127, 0, 0, 1), port: 0)
        port = listener.port
        self.make = make
        Thread { [self] in
            serve()
            done.signal()
        }.start()
    }

    /// The venues of the connections so far (what each received).
    public var sessions: [ScriptedVenue] { lock.withLock { venues } }

    public func stop() {
        lock.withLock { running = false }
        done.wait()
    }

    func serve() {
        var open: [(TCPConnection, ScriptedVenue)] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer { buffer.deallocate() }
        while lock.withLock({ running }) {
            if let c = listener.accept() {
                let v = make()
                lock.withLock { venues.append(v) }
                open.append((c, v))
            }
            var idle = true
            open.removeAll { c, v in
                // Client to venue.
                switch c.receive(into: buffer) {
                case .bytes(let n):
                    idle = false
                    _ = v.send(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                case .closed, .error:
                    c.close()
                    return true
                case .wouldBlock:
                    break
                }
                // Venue to client (blocking until sent: test volumes are small).
                while case .bytes(let n) = v.receive(into: buffer) {
                    idle = false
                    var off = 0
                    while off < n {
                        let k = c.send(UnsafeRawBufferPointer(rebasing: buffer[off..<n]))
                        if k < 0 { c.close(); return true }
                        off += k
                        if k == 0 { usleep(100) }
                    }
                }
                if !v.isOpen {
                    c.close()
                    return true
                }
                return false
            }
            if idle { usleep(200) }
        }
        for (c, _) in open { c.close() }
    }
}
