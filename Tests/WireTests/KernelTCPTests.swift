import Testing
#if canImport(Glibc)
import Glibc
#endif
import TickwireCore
import Packets
import Sockets

@Suite struct KernelTCPTests {
    @Test func listenConnectExchangeAndClose() throws {
        let listener = try TCPListener(address: IPv4Address(127, 0, 0, 1), port: 0)
        #expect(listener.port != 0)
        #expect(listener.accept() == nil, "nothing pending: accept does not block")
        let client = try TCPConnection.connect(to: IPv4Address(127, 0, 0, 1), port: listener.port)
        var server: TCPConnection?
        for _ in 0..<200 where server == nil {
            server = listener.accept()
            if server == nil { _ = client.waitReadable(timeoutMillis: 5) }
        }
        let s = try #require(server)
        #expect(s.peerPort == client.localPort && s.localPort == listener.port)
        // Busy polling where the kernel has it (as root here; 0 where it refuses).
        if getuid() == 0 { #expect(client.busyPollMicros == TCPConnection.busyPollRequest) }
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { buf.deallocate() }
        #expect(s.receive(into: buf) == .wouldBlock)
        let hello: [UInt8] = Array("hello".utf8)
        #expect(hello.withUnsafeBytes { client.send($0) } == 5)
        #expect(s.waitReadable(timeoutMillis: 1000))
        #expect(s.receive(into: buf) == .bytes(5))
        #expect(Array(buf[0..<5]) == hello)
        client.close()
        #expect(s.waitReadable(timeoutMillis: 1000))
        #expect(s.receive(into: buf) == .closed)
        // Writing to a peer that is gone fails with an error, never a SIGPIPE.
        var last = 0
        for _ in 0..<50 {
            last = hello.withUnsafeBytes { s.send($0) }
            if last < 0 { break }
            _ = s.waitReadable(timeoutMillis: 2)
        }
        #expect(last < 0)
        s.close()
        #expect(s.receive(into: buf) == .closed && !s.isOpen)
    }

    @Test func connectToNothingIsATypedError() {
        #expect(throws: SystemError.self) { try TCPConnection.connect(to: IPv4Address(127, 0, 0, 1), port: 1) }
        #expect(throws: SystemError.self) { try TCPListener(address: IPv4Address(10, 255, 255, 254), port: 0) }
    }
}
