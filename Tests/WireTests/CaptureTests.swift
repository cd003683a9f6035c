// Capture file backend: round trips through PcapWriter/PcapReader in the three formats, tshark
// as the independent judge of the files written, the real IEX capture from ../shared/data, burst
// reads through the arena, and broken files (missing, garbage, empty, cut short).
import CShims
import Foundation
import Testing
import TickwireCore
@testable import Packets
@testable import Capture

// MARK: - Synthetic frames

/// A MoldUDP64 packet of exactly `length` bytes (at least its 20-byte header): session, sequence
/// number, message count, then messages of random bytes behind their 2-byte lengths. A real
/// protocol on the port keeps tshark's heuristic dissectors from guessing at random bytes.
private func captureMoldPayload(index: Int, length: Int) -> [UInt8] {
    precondition(length >= 20 && length != 21 && length != 22, "no whole message fits")
    var rng = SplitMix64(seed: UInt64(index) &+ 0x5EED)
    var messages: [UInt8] = []
    var count: UInt16 = 0
    var left = length - 20
    while left > 0 {
        let room = left - 2
        var size = min(room, 1 + Int(rng.next() % 120))
        if room - size <= 2 { size = room } // never leave a remainder too small for a message
        messages += [UInt8(size >> 8), UInt8(size & 0xFF)]
        for _ in 0..<size { messages.append(UInt8(truncatingIfNeeded: rng.next())) }
        left -= 2 + size
        count += 1
    }
    var p = Array("TICKWIRE01".utf8)
    let sequence = UInt64(index) * 1000 + 1
    for shift in stride(from: 56, through: 0, by: -8) { p.append(UInt8(truncatingIfNeeded: sequence >> UInt64(shift))) }
    p += [UInt8(count >> 8), UInt8(count & 0xFF)]
    return p + messages
}

/// Ethernet / IPv4 / UDP to 233.54.12.111:26477 carrying MoldUDP64, built byte by byte, with
/// valid IPv4 header and UDP checksums.
private func captureFrame(index: Int, payloadLength: Int) -> [UInt8] {
    var f: [UInt8] = []
    f.reserveCapacity(14 + 28 + payloadLength + 60)
    let dstIP: [UInt8] = [233, 54, 12, 111]
    let srcIP: [UInt8] = [10, 1, 2, 3]
    // Ethernet: the multicast MAC of 233.54.12.111 (01:00:5e + low 23 bits), a local source MAC.
    f += [0x01, 0x00, 0x5E, dstIP[1] & 0x7F, dstIP[2], dstIP[3]]
    f += [0x02, 0x54, 0x57, 0x00, 0x00, 0x01]
    f += [0x08, 0x00]
    // IPv4 header, 20 bytes, DF, TTL 64, UDP.
    let ipStart = f.count
    let ipTotal = 20 + 8 + payloadLength
    let ident = UInt16(truncatingIfNeeded: index &* 7 &+ 1)
    f += [0x45, 0x00, UInt8(ipTotal >> 8), UInt8(ipTotal & 0xFF)]
    f += [UInt8(ident >> 8), UInt8(ident & 0xFF), 0x40, 0x00]
    f += [64, 17, 0, 0]
    f += srcIP + dstIP
    let ipSum = captureChecksum(f[ipStart..<ipStart + 20])
    f[ipStart + 10] = UInt8(ipSum >> 8)
    f[ipStart + 11] = UInt8(ipSum & 0xFF)
    // UDP header and payload.
    let udpStart = f.count
    let udpLength = 8 + payloadLength
    let srcPort: UInt16 = 26400
    let dstPort: UInt16 = 26477
    f += [UInt8(srcPort >> 8), UInt8(srcPort & 0xFF), UInt8(dstPort >> 8), UInt8(dstPort & 0xFF)]
    f += [UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0]
    f += captureMoldPayload(index: index, length: payloadLength)
    // UDP checksum over the pseudo-header (source, destination, zero, protocol, UDP length).
    var pseudo: [UInt8] = srcIP + dstIP + [0, 17, UInt8(udpLength >> 8), UInt8(udpLength & 0xFF)]
    pseudo += f[udpStart...]
    var udpSum = captureChecksum(pseudo[...])
    if udpSum == 0 { udpSum = 0xFFFF }
    f[udpStart + 6] = UInt8(udpSum >> 8)
    f[udpStart + 7] = UInt8(udpSum & 0xFF)
    while f.count < 60 { f.append(0) }
    return f
}

/// RFC 1071 ones' complement sum over 16-bit big-endian words.
private func captureChecksum(_ bytes: ArraySlice<UInt8>) -> UInt16 {
    var sum: UInt32 = 0
    var i = bytes.startIndex
    while i + 1 < bytes.endIndex {
        sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
        i += 2
    }
    if i < bytes.endIndex { sum += UInt32(bytes[i]) << 8 }
    while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
    return ~UInt16(sum)
}


private struct CaptureFixture {
    let bytes: [UInt8]
    let timestamp: UInt64
}

/// A few hundred frames from 60 to 1514 bytes (odd and even sizes, so pcapng padding is
/// exercised), with nanosecond timestamps whose sub-microsecond digits are not zero.
private func captureFrames(count: Int = 300) -> [CaptureFixture] {
    let base: UInt64 = 1_700_000_000_123_456_789
    return (0..<count).map { i in
        // 20 (a heartbeat) to 1472 bytes of UDP payload: Ethernet frames of 62 to 1514 bytes.
        var payload = i == 0 ? 20 : (i == 1 ? 1472 : 20 + (i &* 97 &+ 13) % 1453)
        if payload == 21 || payload == 22 { payload = 23 }
        return CaptureFixture(bytes: captureFrame(index: i, payloadLength: payload),
                     timestamp: base + UInt64(i) * 1_234_567 + UInt64(i % 7))
    }
}

private func capturedTimestamp(_ ns: UInt64, _ format: CaptureFormat) -> UInt64 {
    format == .pcapMicro ? ns - ns % 1000 : ns
}

private func writeCaptureFile(_ frames: [CaptureFixture], to path: String, format: CaptureFormat,
                          snapLength: Int = 65535) throws {
    let writer = try PcapWriter(path: path, format: format, snapLength: snapLength)
    for frame in frames {
        try frame.bytes.withUnsafeBytes { try writer.write($0, timestampNanos: frame.timestamp) }
    }
    try writer.close()
}

private func captureBytes(_ pkt: tw_pkt) -> [UInt8] { Array(pkt.bytes) }

// MARK: - Scratch directory, shared data, tshark

/// A fresh directory under the system temporary directory, removed when the test is done.
private func withCaptureScratch<R>(_ body: (URL) throws -> R) throws -> R {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("tickwire-capture-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

/// `relative` under the project's shared data: $TICKWIRE_SHARED_DATA if set, else
/// `<repo root>/../shared/data` with the repo root found from this file's place in Tests/WireTests.
private func captureSharedData(_ relative: String) -> String {
    if let dir = ProcessInfo.processInfo.environment["TICKWIRE_SHARED_DATA"], !dir.isEmpty {
        return URL(fileURLWithPath: dir).appendingPathComponent(relative).path
    }
    let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent() // WireTests
        .deletingLastPathComponent() // Tests
        .deletingLastPathComponent() // repo root
    return repoRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/data")
        .appendingPathComponent(relative).path
}

private let captureTshark = "/usr/bin/tshark"

private struct TsharkRun {
    let status: Int32
    let stdout: String
    let stderr: String
    var lines: [Substring] { stdout.split(separator: "\n", omittingEmptySubsequences: true) }
}

/// Runs tshark with `arguments`; fails the test (does not skip it) when tshark is not installed.
private func runTshark(_ arguments: [String], scratch: URL) throws -> TsharkRun {
    try #require(FileManager.default.isExecutableFile(atPath: captureTshark),
                 "tshark is not installed at \(captureTshark) (Debian package tshark); the written capture files cannot be checked")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: captureTshark)
    process.arguments = arguments
    let errURL = scratch.appendingPathComponent("tshark-\(UUID().uuidString).err")
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let errHandle = try FileHandle(forWritingTo: errURL)
    let out = Pipe()
    process.standardOutput = out
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try errHandle.close()
    let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
    return TsharkRun(status: process.terminationStatus,
                   stdout: String(decoding: data, as: UTF8.self), stderr: err)
}

private let captureFormats: [CaptureFormat] = [.pcapMicro, .pcapNano, .pcapng]

// MARK: - Round trips

@Suite("Capture files")
struct CaptureTests {
    @Test("write then read back: same bytes, count and timestamps", arguments: captureFormats)
    func roundTrip(format: CaptureFormat) throws {
        try withCaptureScratch { dir in
            let path = dir.appendingPathComponent("round.cap").path
            let frames = captureFrames()
            try writeCaptureFile(frames, to: path, format: format)
            #expect(try PcapReader.detectFormat(path: path) == format)

            let reader = try PcapReader(path: path)
            #expect(reader.linkType == 1)
            #expect(reader.snapLength == 65535)
            var pkt = tw_pkt()
            var i = 0
            while try reader.next(&pkt) {
                try #require(i < frames.count, "more frames read than written")
                #expect(captureBytes(pkt) == frames[i].bytes, "frame \(i) bytes")
                #expect(pkt.rx_timestamp == capturedTimestamp(frames[i].timestamp, format), "frame \(i) timestamp")
                #expect(pkt.flags & UInt32(TW_PKT_FILE_TIMESTAMP) != 0)
                #expect(pkt.flags & UInt32(TW_PKT_TRUNCATED) == 0)
                #expect(pkt.handle == nil)
                i += 1
            }
            #expect(i == frames.count)
            #expect(reader.frames == UInt64(frames.count))
            #expect(reader.truncatedFrames == 0)
            // End of file is sticky.
            #expect(try reader.next(&pkt) == false)
        }
    }

    @Test("snapLength cuts frames and keeps their wire length; the reader counts them", arguments: captureFormats)
    func snapLengthTruncation(format: CaptureFormat) throws {
        try withCaptureScratch { dir in
            let path = dir.appendingPathComponent("snap.cap").path
            let frames = captureFrames(count: 64)
            let snap = 128
            let writer = try PcapWriter(path: path, format: format, snapLength: snap)
            for (i, frame) in frames.enumerated() {
                // Every fourth frame also claims 4 more bytes on the wire (an FCS the capture lost).
                let wire = i % 4 == 0 ? frame.bytes.count + 4 : nil
                try frame.bytes.withUnsafeBytes {
                    try writer.write($0, timestampNanos: frame.timestamp, wireLength: wire)
                }
            }
            #expect(writer.framesWritten == UInt64(frames.count))
            try writer.close()
            try writer.close() // idempotent

            let reader = try PcapReader(path: path)
            #expect(reader.snapLength == snap)
            var pkt = tw_pkt()
            var i = 0
            var expectedTruncated: UInt64 = 0
            while try reader.next(&pkt) {
                let full = frames[i].bytes
                let cut = i % 4 == 0 || full.count > snap
                if cut { expectedTruncated += 1 }
                #expect(captureBytes(pkt) == Array(full.prefix(snap)))
                #expect((pkt.flags & UInt32(TW_PKT_TRUNCATED) != 0) == cut, "frame \(i) truncated flag")
                i += 1
            }
            #expect(i == frames.count)
            #expect(reader.truncatedFrames == expectedTruncated)
            #expect(expectedTruncated > 0)
        }
    }

    @Test("classic pcap timestamps past 2038 (unsigned 32-bit seconds) read back", arguments: [CaptureFormat.pcapMicro, .pcapNano, .pcapng])
    func timestampsPast2038(format: CaptureFormat) throws {
        try withCaptureScratch { dir in
            let path = dir.appendingPathComponent("late.cap").path
            // 2039-09-19 and the last classic-pcap second (2106-02-07 06:28:15).
            let stamps: [UInt64] = [2_200_000_000_987_654_321, UInt64(UInt32.max) * 1_000_000_000 + 999_999_999]
            let frame = captureFrame(index: 1, payloadLength: 40)
            let frames = stamps.map { CaptureFixture(bytes: frame, timestamp: $0) }
            try writeCaptureFile(frames, to: path, format: format)
            let reader = try PcapReader(path: path)
            var pkt = tw_pkt()
            for stamp in stamps {
                #expect(try reader.next(&pkt))
                #expect(pkt.rx_timestamp == capturedTimestamp(stamp, format))
            }
            #expect(try reader.next(&pkt) == false)
        }
    }

    // MARK: tshark as the judge

    @Test("tshark reads every written file: exit 0, all frames, no malformed packet", arguments: captureFormats)
    func tsharkReadsWrittenFiles(format: CaptureFormat) throws {
        try withCaptureScratch { dir in
            let path = dir.appendingPathComponent("judge.cap").path
            let frames = captureFrames()
            try writeCaptureFile(frames, to: path, format: format)

            let fields = try runTshark(["-r", path, "-T", "fields", "-E", "separator=,",
                                     "-e", "frame.number", "-e", "frame.time_epoch", "-e", "frame.len",
                                     "-e", "ip.dst", "-e", "udp.dstport"], scratch: dir)
            #expect(fields.status == 0, "tshark exit status \(fields.status): \(fields.stderr)")
            let lines = fields.lines
            #expect(lines.count == frames.count)
            #expect(lines.last.map { $0.split(separator: ",").first ?? "" } == "\(frames.count)")
            for (i, line) in lines.enumerated() where i < frames.count {
                let cols = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                try #require(cols.count == 5, "tshark line \(i + 1): \(line)")
                let ts = capturedTimestamp(frames[i].timestamp, format)
                let fraction = String(ts % 1_000_000_000)
                let epoch = "\(ts / 1_000_000_000)." + String(repeating: "0", count: 9 - fraction.count) + fraction
                #expect(cols[0] == "\(i + 1)")
                #expect(cols[1] == epoch, "frame \(i + 1) time as tshark reads it")
                #expect(cols[2] == "\(frames[i].bytes.count)")
                #expect(cols[3] == "233.54.12.111")
                #expect(cols[4] == "26477")
            }

            // Malformed packets, and checksum errors with IPv4 and UDP validation switched on.
            let bad = try runTshark(["-r", path, "-d", "udp.port==26477,moldudp64",
                                  "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                                  "-Y", "_ws.malformed || _ws.expert.severity >= error",
                                  "-T", "fields", "-e", "frame.number"], scratch: dir)
            #expect(bad.status == 0, "tshark exit status \(bad.status): \(bad.stderr)")
            #expect(bad.lines.isEmpty, "frames tshark finds malformed or in error: \(bad.lines.prefix(10))")

            let expert = try runTshark(["-r", path, "-d", "udp.port==26477,moldudp64",
                                     "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                                     "-q", "-z", "expert"], scratch: dir)
            #expect(expert.status == 0, "tshark exit status \(expert.status): \(expert.stderr)")
            #expect(!expert.stdout.contains("Malformed"), "tshark expert info: \(expert.stdout)")
        }
    }

    // MARK: Real data

    @Test("a gzip-compressed capture (DEEP10.pcap.gz) reads through zlib to its cut-short end")
    func gzipCapture() throws {
        let path = captureSharedData("iex/DEEP10.pcap.gz")
        try #require(FileManager.default.fileExists(atPath: path),
                     "real capture not found at \(path): set TICKWIRE_SHARED_DATA to the shared/data folder")
        let reader = try PcapReader(path: path)
        #expect(reader.linkType == 1)
        var pkt = tw_pkt()
        var failure: CaptureError?
        do {
            while try reader.next(&pkt) {}
        } catch {
            failure = error  // the last record is cut short: libpcap says so
        }
        // 121,315 frames in the file; the cut-short last one is reported, not returned.
        #expect(reader.frames >= 121_314 && reader.frames <= 121_315, "frames \(reader.frames)")
        if let failure { #expect(failure.call.contains("pcap_next_ex")) }
        // A .gz that is not there is the same clear error as a missing plain file.
        #expect(throws: CaptureError.self) { _ = try PcapReader(path: path + ".missing.gz") }
    }

    @Test("the real IEX capture TOPS16.pcap: 13,022 frames, Ethernet, microsecond timestamps")
    func realCapture() throws {
        let path = captureSharedData("iex/TOPS16.pcap")
        try #require(FileManager.default.fileExists(atPath: path),
                     "real capture not found at \(path): set TICKWIRE_SHARED_DATA to the shared/data folder")
        #expect(try PcapReader.detectFormat(path: path) == .pcapMicro)
        let reader = try PcapReader(path: path)
        #expect(reader.linkType == 1)
        var pkt = tw_pkt()
        var first: UInt64?
        var previous: UInt64 = 0
        var notMicro = 0
        var backwards = 0
        while try reader.next(&pkt) {
            if first == nil { first = pkt.rx_timestamp }
            if pkt.rx_timestamp % 1000 != 0 { notMicro += 1 }
            if pkt.rx_timestamp < previous { backwards += 1 }
            previous = pkt.rx_timestamp
            #expect(pkt.len >= 14)
        }
        #expect(reader.frames == 13_022)
        let firstTimestamp = try #require(first)
        #expect(firstTimestamp % 1000 == 0)
        #expect(notMicro == 0)
        #expect(backwards == 0)
        // 2017-07-10 (UTC) in ns since the epoch.
        #expect((1_499_644_800_000_000_000..<1_499_731_200_000_000_000).contains(firstTimestamp))
    }

    // MARK: Bursts

    /// Reads `path` in bursts of `burst` and checks each burst, after it is complete, against
    /// `expected`: the earlier frames of a burst must not be overwritten by the later ones.
    private func checkBursts(path: String, expected: [[UInt8]], timestamps: [UInt64]? = nil,
                             burst: Int, arenaBytes: Int = PcapReader.defaultArenaBytes,
                             arenaLimitsBursts: Bool = false) throws {
        let reader = try PcapReader(path: path, arenaBytes: arenaBytes)
        var pkts = [tw_pkt](repeating: tw_pkt(), count: burst)
        var seen = 0
        var bursts: [Int] = []
        while true {
            let n = try pkts.withUnsafeMutableBufferPointer { buf in
                try reader.read(into: buf.baseAddress!, capacity: buf.count)
            }
            if n == 0 { break }
            #expect(n <= burst)
            bursts.append(n)
            for k in 0..<n {
                try #require(seen + k < expected.count, "more frames read than expected")
                #expect(captureBytes(pkts[k]) == expected[seen + k], "frame \(seen + k) in a burst of \(n)")
                if let timestamps { #expect(pkts[k].rx_timestamp == timestamps[seen + k]) }
            }
            seen += n
        }
        #expect(seen == expected.count)
        #expect(reader.frames == UInt64(expected.count))
        // Every burst but the last is full unless the arena is too small to hold a whole one.
        let shortBeforeEnd = bursts.dropLast().filter { $0 < burst }.count
        if arenaLimitsBursts {
            #expect(shortBeforeEnd > 0)
        } else {
            #expect(shortBeforeEnd == 0, "bursts: \(bursts)")
        }
        // End of file stays the end.
        let again = try pkts.withUnsafeMutableBufferPointer { try reader.read(into: $0.baseAddress!, capacity: $0.count) }
        #expect(again == 0)
    }

    @Test("bursts of 32 through the arena keep every frame intact", arguments: captureFormats)
    func burstRead(format: CaptureFormat) throws {
        try withCaptureScratch { dir in
            let path = dir.appendingPathComponent("burst.cap").path
            let frames = captureFrames()
            try writeCaptureFile(frames, to: path, format: format)
            try checkBursts(path: path, expected: frames.map(\.bytes),
                            timestamps: frames.map { capturedTimestamp($0.timestamp, format) }, burst: 32)
        }
    }

    @Test("a small arena ends bursts early and grows for a frame larger than itself")
    func burstSmallArena() throws {
        try withCaptureScratch { dir in
            let path = dir.appendingPathComponent("small.pcapng").path
            let frames = captureFrames(count: 120)
            try writeCaptureFile(frames, to: path, format: .pcapng)
            // 4 KiB holds two or three frames: bursts end early and carry a frame over.
            try checkBursts(path: path, expected: frames.map(\.bytes), burst: 32, arenaBytes: 4096, arenaLimitsBursts: true)
            // 1 KiB is smaller than the 1514-byte frames: the arena must grow.
            try checkBursts(path: path, expected: frames.map(\.bytes), burst: 32, arenaBytes: 1024, arenaLimitsBursts: true)
        }
    }

    @Test("next and read mixed: the frame a full arena carried over comes out of next")
    func mixedNextAndRead() throws {
        try withCaptureScratch { dir in
            let path = dir.appendingPathComponent("mixed.pcap").path
            let frames = captureFrames(count: 80)
            try writeCaptureFile(frames, to: path, format: .pcapNano)
            let reader = try PcapReader(path: path, arenaBytes: 4096)
            var pkts = [tw_pkt](repeating: tw_pkt(), count: 16)
            var pkt = tw_pkt()
            var got: [[UInt8]] = []
            var round = 0
            while true {
                if round % 2 == 0 {
                    let n = try pkts.withUnsafeMutableBufferPointer { try reader.read(into: $0.baseAddress!, capacity: $0.count) }
                    // A next() between bursts must not disturb the burst's frames.
                    var extra: [UInt8]?
                    if try reader.next(&pkt) { extra = captureBytes(pkt) }
                    got += pkts[0..<n].map(captureBytes)
                    if let extra { got.append(extra) }
                    if n == 0 && extra == nil { break }
                } else {
                    if !(try reader.next(&pkt)) { break }
                    got.append(captureBytes(pkt))
                }
                round += 1
            }
            #expect(got == frames.map(\.bytes))
            #expect(reader.frames == UInt64(frames.count))
        }
    }

    @Test("the real capture in bursts of 32 matches frame-by-frame reading")
    func realCaptureBursts() throws {
        let path = captureSharedData("iex/TOPS16.pcap")
        try #require(FileManager.default.fileExists(atPath: path),
                     "real capture not found at \(path): set TICKWIRE_SHARED_DATA to the shared/data folder")
        let reader = try PcapReader(path: path)
        var pkt = tw_pkt()
        var frames: [[UInt8]] = []
        var stamps: [UInt64] = []
        while try reader.next(&pkt) {
            frames.append(captureBytes(pkt))
            stamps.append(pkt.rx_timestamp)
        }
        #expect(frames.count == 13_022)
        try checkBursts(path: path, expected: frames, timestamps: stamps, burst: 32)
    }

    // MARK: Broken files

    @Test("a missing file is a clear error, for the reader and for detectFormat")
    func missingFile() throws {
        try withCaptureScratch { dir in
            let path = dir.appendingPathComponent("nope.pcap").path
            let error = #expect(throws: CaptureError.self) { try PcapReader(path: path) }
            #expect(error?.call == "pcap_open_offline_with_tstamp_precision")
            #expect(error?.path == path)
            #expect(error?.message.contains("No such file") == true, "\(String(describing: error))")
            #expect(error?.description.contains(path) == true)
            let detect = #expect(throws: CaptureError.self) { try PcapReader.detectFormat(path: path) }
            #expect(detect?.call == "open")
            #expect(detect?.message.contains("No such file") == true)
        }
    }

    @Test("garbage and empty files are refused when opened")
    func garbageAndEmptyFiles() throws {
        try withCaptureScratch { dir in
            var rng = SplitMix64(seed: 42)
            var garbage = (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            garbage[0] = 0x47 // not the first byte of any capture magic
            let garbagePath = dir.appendingPathComponent("garbage.pcap").path
            let emptyPath = dir.appendingPathComponent("empty.pcap").path
            _ = FileManager.default.createFile(atPath: garbagePath, contents: Data(garbage))
            _ = FileManager.default.createFile(atPath: emptyPath, contents: Data())

            for path in [garbagePath, emptyPath] {
                let error = #expect(throws: CaptureError.self) { try PcapReader(path: path) }
                #expect(error?.call == "pcap_open_offline_with_tstamp_precision")
                #expect(error?.message.isEmpty == false)
                let detect = #expect(throws: CaptureError.self) { try PcapReader.detectFormat(path: path) }
                #expect(detect?.call == "PcapReader.detectFormat")
            }
        }
    }

    @Test("a valid pcap header before garbage: frames until an error or the end, never a crash")
    func garbageAfterHeader() throws {
        try withCaptureScratch { dir in
            let good = dir.appendingPathComponent("good.pcap").path
            try writeCaptureFile([], to: good, format: .pcapMicro)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: good))
            #expect(bytes.count == 24)
            var rng = SplitMix64(seed: 7)
            bytes.append(contentsOf: (0..<8192).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            let path = dir.appendingPathComponent("bad.pcap").path
            _ = FileManager.default.createFile(atPath: path, contents: bytes)
            let reader = try PcapReader(path: path)
            var pkt = tw_pkt()
            var failure: CaptureError?
            var count = 0
            do {
                while try reader.next(&pkt), count < 10_000 { count += 1 }
            } catch let error as CaptureError {
                failure = error
            }
            let error = try #require(failure, "random record headers should not read as a clean file")
            #expect(error.call == "pcap_next_ex")
            #expect(!error.message.isEmpty)
            // Errors are sticky.
            #expect(throws: CaptureError.self) { try reader.next(&pkt) }
        }
    }

    /// The byte offsets at which each record of a classic pcap file ends.
    private func classicRecordEnds(_ frames: [CaptureFixture]) -> [Int] {
        var offsets: [Int] = []
        var at = 24
        for frame in frames {
            at += 16 + frame.bytes.count
            offsets.append(at)
        }
        return offsets
    }

    @Test("a pcap cut in a record header or body: the whole frames, then a clear error", arguments: [CaptureFormat.pcapMicro, .pcapNano])
    func truncatedClassic(format: CaptureFormat) throws {
        try withCaptureScratch { dir in
            let frames = captureFrames(count: 10)
            let full = dir.appendingPathComponent("full.pcap").path
            try writeCaptureFile(frames, to: full, format: format)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: full))
            let ends = classicRecordEnds(frames)
            #expect(ends.last == bytes.count)

            // Five whole records, then 8 of the sixth record's 16 header bytes; or its header and
            // half of its body.
            let cuts = [("header", ends[4] + 8), ("body", ends[4] + 16 + frames[5].bytes.count / 2)]
            for (what, cut) in cuts {
                let path = dir.appendingPathComponent("cut-\(what).pcap").path
                _ = FileManager.default.createFile(atPath: path, contents: bytes.prefix(cut))

                let reader = try PcapReader(path: path)
                var pkt = tw_pkt()
                var count = 0
                var failure: CaptureError?
                do {
                    while try reader.next(&pkt) {
                        #expect(captureBytes(pkt) == frames[count].bytes)
                        count += 1
                    }
                } catch let error as CaptureError {
                    failure = error
                }
                #expect(count == 5, "cut in a record \(what)")
                let error = try #require(failure, "a record cut in its \(what) must be reported")
                #expect(error.call == "pcap_next_ex")
                #expect(error.message.contains("truncated"), "\(error)")
                #expect(reader.frames == 5)

                // The burst API hands out the whole frames first, then reports the error.
                let burstReader = try PcapReader(path: path)
                var pkts = [tw_pkt](repeating: tw_pkt(), count: 32)
                let n = try pkts.withUnsafeMutableBufferPointer { try burstReader.read(into: $0.baseAddress!, capacity: $0.count) }
                #expect(n == 5)
                for k in 0..<n { #expect(captureBytes(pkts[k]) == frames[k].bytes) }
                let burstError = #expect(throws: CaptureError.self) {
                    _ = try pkts.withUnsafeMutableBufferPointer { try burstReader.read(into: $0.baseAddress!, capacity: $0.count) }
                }
                #expect(burstError?.message.contains("truncated") == true)
            }
        }
    }

    @Test("a pcapng cut inside an Enhanced Packet Block: the whole frames, then a clear error")
    func truncatedPcapng() throws {
        try withCaptureScratch { dir in
            let frames = captureFrames(count: 10)
            let full = dir.appendingPathComponent("full.pcapng").path
            try writeCaptureFile(frames, to: full, format: .pcapng)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: full))
            // SHB 44 bytes, IDB 32, then one EPB of 32 + padded length per frame.
            var at = 44 + 32
            var ends: [Int] = []
            for frame in frames {
                at += 32 + (frame.bytes.count + 3) & ~3
                ends.append(at)
            }
            #expect(ends.last == bytes.count)
            for cut in [ends[4] + 12, ends[4] + 28 + frames[5].bytes.count / 2] {
                let path = dir.appendingPathComponent("cut-\(cut).pcapng").path
                _ = FileManager.default.createFile(atPath: path, contents: bytes.prefix(cut))
                let reader = try PcapReader(path: path)
                var pkt = tw_pkt()
                var count = 0
                var failure: CaptureError?
                do {
                    while try reader.next(&pkt) {
                        #expect(captureBytes(pkt) == frames[count].bytes)
                        count += 1
                    }
                } catch let error as CaptureError {
                    failure = error
                }
                #expect(count == 5)
                let error = try #require(failure, "an EPB cut at byte \(cut) must be reported")
                #expect(error.call == "pcap_next_ex")
                #expect(error.message.contains("truncated"), "\(error)")
            }
        }
    }

    // MARK: Writer errors

    @Test("the writer refuses bad arguments and a missing directory, and closes once", arguments: captureFormats)
    func writerErrors(format: CaptureFormat) throws {
        try withCaptureScratch { dir in
            let missing = dir.appendingPathComponent("no/such/dir/x.cap").path
            let openError = #expect(throws: CaptureError.self) { try PcapWriter(path: missing, format: format) }
            #expect(openError?.call == (format == .pcapng ? "open" : "pcap_dump_open"))
            #expect(openError?.message.contains("No such file") == true, "\(String(describing: openError))")

            let path = dir.appendingPathComponent("w.cap").path
            #expect(throws: CaptureError.self) { try PcapWriter(path: path, format: format, snapLength: 0) }
            #expect(throws: CaptureError.self) { try PcapWriter(path: path, format: format, snapLength: 1 << 20) }

            let writer = try PcapWriter(path: path, format: format)
            let frame = captureFrame(index: 3, payloadLength: 100)
            try frame.withUnsafeBytes { bytes in
                let short = #expect(throws: CaptureError.self) {
                    try writer.write(bytes, timestampNanos: 1, wireLength: bytes.count - 1)
                }
                #expect(short?.call == "PcapWriter.write")
                if format != .pcapng {
                    #expect(throws: CaptureError.self) {
                        try writer.write(bytes, timestampNanos: (UInt64(UInt32.max) + 1) * 1_000_000_000)
                    }
                }
                try writer.write(bytes, timestampNanos: 5_000_000_123)
                try writer.write(UnsafeRawBufferPointer(start: nil, count: 0), timestampNanos: 6_000_000_000, wireLength: 60)
                try writer.flush()
                try writer.close()
                try writer.close()
                let closed = #expect(throws: CaptureError.self) { try writer.write(bytes, timestampNanos: 7) }
                #expect(closed?.message.contains("closed") == true)
                #expect(throws: CaptureError.self) { try writer.flush() }
            }
            #expect(writer.framesWritten == 2)

            let reader = try PcapReader(path: path)
            var pkt = tw_pkt()
            #expect(try reader.next(&pkt))
            #expect(captureBytes(pkt) == frame)
            #expect(pkt.rx_timestamp == capturedTimestamp(5_000_000_123, format))
            #expect(try reader.next(&pkt))
            #expect(pkt.len == 0)
            #expect(pkt.bytes.isEmpty)
            #expect(pkt.flags & UInt32(TW_PKT_TRUNCATED) != 0)
            #expect(try reader.next(&pkt) == false)
            #expect(reader.truncatedFrames == 1)
        }
    }

    @Test("a full disk is reported by flush or close, not lost", arguments: captureFormats)
    func fullDisk(format: CaptureFormat) throws {
        try #require(FileManager.default.fileExists(atPath: "/dev/full"), "no /dev/full on this machine")
        let frame = captureFrame(index: 9, payloadLength: 1400)
        var failure: CaptureError?
        do {
            let writer = try PcapWriter(path: "/dev/full", format: format)
            try frame.withUnsafeBytes { bytes in
                for i in 0..<2000 { try writer.write(bytes, timestampNanos: UInt64(i)) }
            }
            try writer.close()
        } catch let error as CaptureError {
            failure = error
        }
        let error = try #require(failure, "writing to /dev/full must fail")
        #expect(error.message.contains("No space left"), "\(error)")
    }
}
