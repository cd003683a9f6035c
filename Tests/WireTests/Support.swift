import Foundation
import Testing
@testable import Packets
@testable import DPDK
import TickwireCore
import CShims
import Synchronization

/// The EAL starts once per process: every DPDK test in this binary shares this start, made with
/// a net_null vdev on the command line (the other vdevs are created by the tests after start).
enum TestEAL {
    static let result: Result<EAL.Info, SystemError> = {
        do throws(SystemError) {
            return .success(try EAL.start(arguments: EAL.noHardwareArguments(
                memoryMB: 256, filePrefix: "tw-wiretests-\(getpid())", vdevs: ["net_null0"])))
        } catch {
            return .failure(error)
        }
    }()

    static func start() throws -> EAL.Info { try result.get() }
}

enum Repo {
    /// The repository root (two levels above Tests/WireTests).
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// ../shared/data, or $TICKWIRE_SHARED_DATA.
    static var sharedData: URL {
        if let p = ProcessInfo.processInfo.environment["TICKWIRE_SHARED_DATA"] { return URL(fileURLWithPath: p) }
        return root.deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    static var tickwireBinary: URL { root.appendingPathComponent(".build/debug/tickwire") }
}

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program to completion (tests only).
@discardableResult
func run(_ path: String, _ args: [String], timeout: TimeInterval = 60) throws -> CommandResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    // Read both pipes before waiting so that a chatty child cannot block on a full pipe.
    let group = DispatchGroup()
    let o = Mutex(Data()), e = Mutex(Data())
    group.enter()
    DispatchQueue.global().async { let d = out.fileHandleForReading.readDataToEndOfFile(); o.withLock { $0 = d }; group.leave() }
    group.enter()
    DispatchQueue.global().async { let d = err.fileHandleForReading.readDataToEndOfFile(); e.withLock { $0 = d }; group.leave() }
    if group.wait(timeout: .now() + timeout) == .timedOut {
        p.terminate()
        throw TestFailure("\(path) \(args) timed out after \(timeout) s")
    }
    p.waitUntilExit()
    return CommandResult(status: p.terminationStatus, stdout: String(decoding: o.withLock { $0 }, as: UTF8.self),
                         stderr: String(decoding: e.withLock { $0 }, as: UTF8.self))
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func temporaryDirectory(_ tag: String) throws -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("tw-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d
}

/// A UDP multicast frame to 233.54.12.111:26477 whose payload is `payload`.
func multicastFrame(_ payload: [UInt8], srcPort: UInt16 = 40000) -> [UInt8] {
    var buf = [UInt8](repeating: 0, count: 1600)
    let n = buf.withUnsafeMutableBytes { out in
        payload.withUnsafeBytes { p in
            FrameBuilder.udpFrame(into: out, srcMAC: MACAddress(0x02, 0, 0, 0, 0, 1),
                                  dstMAC: IPv4Address(233, 54, 12, 111).multicastMAC,
                                  srcIP: IPv4Address(10, 77, 0, 2), dstIP: IPv4Address(233, 54, 12, 111),
                                  srcPort: srcPort, dstPort: 26477, payload: p)
        }
    }
    return Array(buf[0..<(n ?? 0)])
}

extension tw_pkt {
    var bytesArray: [UInt8] { Array(UnsafeRawBufferPointer(start: data, count: Int(len))) }
}
