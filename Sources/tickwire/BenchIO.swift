import ArgumentParser
import CShims
import Foundation
import TickwireCore
import Packets
import DPDK

struct BenchIO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "io",
        abstract: "The packet loop (rx burst -> EtherType classify -> free) over DPDK net_null, in Swift and in plain C."
    )

    @Option(help: "Packets per measured loop.")
    var packets: UInt64 = 20_000_000

    @Option(help: "Measured rounds; each round runs the C loop and the Swift loop once, back to back, in alternating order. The best round of each counts; the median of the rounds' ratios is reported too.")
    var rounds: Int = 5

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Report: Encodable {
        var pmd: String
        var packets: UInt64
        var nsPerPacket: Double
        var cyclesPerPacket: Double
        var cNsPerPacket: Double
        var cCyclesPerPacket: Double
        var swiftOverC: Double
        /// The median over rounds of each round's Swift/C (the two loops run back to back).
        var swiftOverCMedian: Double
        var rounds: Int
        var tscHz: UInt64
        var burst: Int
    }

    func run() throws {
        guard packets > 0, rounds > 0 else { throw ValidationError("--packets and --rounds must be positive") }
        let args = EAL.noHardwareArguments(filePrefix: "tickwire-bench-\(getpid())", vdevs: ["net_null0,size=64,copy=0"])
        do {
            _ = try EAL.start(arguments: args)
        } catch {
            throw fail("\(error)")
        }
        defer { EAL.stop() }
        let clock = TSCClock.calibrate()
        var report: Report
        do {
            let pool = try Mempool(name: "bench_io", count: 8191, cache: 256)
            guard let id = EAL.portIDs().first else { throw fail("net_null0 was not probed") }
            var conf = DPDKPort.Configuration()
            conf.promiscuous = false
            conf.allMulticast = false
            let port = try DPDKPort(port: id, mempool: pool, configuration: conf)
            defer { port.close() }
            // Warm caches, the mempool and the branch predictors of both loops.
            _ = IOLoop.runC(port: port, packets: min(packets, 2_000_000))
            _ = IOLoop.run(port: port, packets: min(packets, 2_000_000))
            var bestC = IOLoopResult(), bestS = IOLoopResult()
            var ratios: [Double] = []
            for round in 0..<rounds {
                // The order alternates (C first in even rounds, Swift first in odd ones), so that
                // neither loop always inherits the other's state (mempool cache, branch history).
                let c: IOLoopResult, s: IOLoopResult
                if round % 2 == 0 {
                    c = IOLoop.runC(port: port, packets: packets)
                    s = IOLoop.run(port: port, packets: packets)
                } else {
                    s = IOLoop.run(port: port, packets: packets)
                    c = IOLoop.runC(port: port, packets: packets)
                }
                ratios.append(s.nsPerPacket / c.nsPerPacket)
                if round == 0 || c.nanoseconds < bestC.nanoseconds { bestC = c }
                if round == 0 || s.nanoseconds < bestS.nanoseconds { bestS = s }
                if c.counts != s.counts { throw fail("the C and Swift loops classified differently: \(c.counts) vs \(s.counts)") }
            }
            report = Report(pmd: port.info.driver, packets: packets,
                            nsPerPacket: round3(bestS.nsPerPacket), cyclesPerPacket: round3(bestS.cyclesPerPacket),
                            cNsPerPacket: round3(bestC.nsPerPacket), cCyclesPerPacket: round3(bestC.cyclesPerPacket),
                            swiftOverC: round3(bestS.nsPerPacket / bestC.nsPerPacket),
                            swiftOverCMedian: round3(ratios.sorted()[ratios.count / 2]), rounds: rounds,
                            tscHz: clock.hz, burst: IOLoop.burst)
        } catch let e as SystemError {
            throw fail("\(e)")
        }
        if json {
            printJSON(report)
        } else {
            print("pmd \(report.pmd), \(packets) packets, burst \(IOLoop.burst), best of \(rounds) rounds")
            print(String(format: "Swift  %.2f ns/packet  %.1f cycles/packet", report.nsPerPacket, report.cyclesPerPacket))
            print(String(format: "C      %.2f ns/packet  %.1f cycles/packet", report.cNsPerPacket, report.cCyclesPerPacket))
            print(String(format: "Swift/C  %.3fx (best against best), %.3fx (median of the rounds' ratios)", report.swiftOverC, report.swiftOverCMedian))
        }
    }
}

func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
