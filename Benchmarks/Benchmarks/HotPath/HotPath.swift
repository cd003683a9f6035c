// Steady-state hot loops: what one iteration allocates and retains must be 0.
// Each iteration of "IOLoop" is 1,024 bursts of 32 frames over DPDK net_null (rx burst ->
// EtherType classify -> free), the exact loop of `tickwire bench io`.
import Benchmark
import CShims
import Foundation
import MetadataLookups
import TickwireCore
import Packets
import DPDK

#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) var ioPort: DPDKPort?

func startDPDK() throws {
    if ioPort != nil { return }
    _ = try EAL.start(arguments: EAL.noHardwareArguments(filePrefix: "tw-bench-\(getpid())",
                                                         vdevs: ["net_null0,size=64,copy=0"]))
    let pool = try Mempool(name: "bench_pool", count: 8191, cache: 256)
    var conf = DPDKPort.Configuration()
    conf.promiscuous = false
    conf.allMulticast = false
    ioPort = try DPDKPort(port: EAL.portIDs()[0], mempool: pool, configuration: conf)
}

let hotMetrics: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal, .retainCount, .releaseCount]

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: hotMetrics,
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 2_000,
        thresholds: [
            .mallocCountTotal: .init(absolute: [.p90: 0, .p99: 0]),
            .retainCount: .init(absolute: [.p90: 0, .p99: 0]),
            .releaseCount: .init(absolute: [.p90: 0, .p99: 0]),
        ]
    )

    Benchmark("IOLoop_net_null_32768_frames",
              configuration: .init(setup: { try startDPDK() })) { benchmark in
        let port = ioPort!
        benchmark.startLoop()
        let r = IOLoop.run(port: port, packets: 32 * 1024)
        benchmark.stopLoop()
        blackHole(r)
    }

    marketDataBenchmarks()
    recoveryBenchmarks()
    gatewayBenchmarks()
    netBenchmarks()
    tickToTradeBenchmarks()
    applianceRunBenchmarks()
    kernelBypassBenchmarks()
    modelBenchmarks()
    backtestBenchmarks()

    let ring = SPSCRing<UInt64>(capacity: 1024)
    Benchmark("SPSCRing_push_pop_1000") { benchmark in
        for i in 0..<1000 {
            _ = ring.push(UInt64(i))
            blackHole(ring.pop())
        }
    }

    Benchmark("Control_allocates_and_retains",
              configuration: .init(metrics: [.mallocCountTotal, .retainCount], maxIterations: 100, thresholds: [:])) { benchmark in
        var head: Node? = nil
        for _ in 0..<10 { head = Node(head) }
        var n = head
        while let x = n { blackHole(x); n = x.next }
        blackHole(head)
        // And the metadata lookup counter counts: a generic body kept unspecialized on purpose.
        let lookups = tw_generic_metadata_lookups()
        blackHole(unspecializedBox(head))
        if tw_generic_metadata_lookups() == lookups {
            let why = "the generic metadata lookup counter does not count (MetadataLookups.c): the check of every hot loop would prove nothing"
            FileManager.default.createFile(atPath: benchCheckFailureFile, contents: Data((why + "\n").utf8))
            fatalError(why)
        }
    }

    let clock = TSCClock(hz: 2_500_000_000)
    Benchmark("TSC_read_convert_1000") { benchmark in
        var acc: UInt64 = 0
        let start = TSCClock.now()
        for _ in 0..<1000 { acc &+= clock.nanoseconds(cycles: TSCClock.now() &- start) }
        blackHole(acc)
    }
}

/// A control: proves that this build counts retains and mallocs at all (on Linux the counts
/// come from interposers; a metric that always reads 0 would make the thresholds above void).
/// It is excluded from the thresholds check by its own configuration.
final class Node { var next: Node?; init(_ n: Node?) { next = n } }
final class Box<T> { let value: T; init(_ v: T) { value = v } }
/// Never specialized: it asks the runtime for `Box<T>`'s metadata on every call.
@inline(never) @_semantics("optimize.sil.specialize.generic.never")
func unspecializedBox<T>(_ v: T) -> AnyObject { Box(v) }
let controlBenchmarks: @Sendable () -> Void = {}

/// Where a failed check says why (relative to the Benchmarks package, the runner's directory).
let benchCheckFailureFile = ".build/bench-check-failure.txt"

/// The executable's generic metadata lookups when the measured loop started.
nonisolated(unsafe) var lookupsAtStart: UInt64 = 0
/// Measured loops run so far, by benchmark.
nonisolated(unsafe) var loopRuns: [String: Int] = [:]
/// Loops of a benchmark allowed to look up metadata: the first runs of a call site that names a
/// concrete type by its mangled name (`__swift_instantiateConcreteTypeFromMangledName`) demangle
/// it once, through the runtime's generic lookup, and cache it in the site.
let lookupWarmupRuns = 3

extension Benchmark {
    /// `startMeasurement`, and the count of generic metadata lookups so far.
    @inline(__always)
    func startLoop() {
        lookupsAtStart = tw_generic_metadata_lookups()
        tw_metadata_loop(1)
        startMeasurement()
    }

    /// `stopMeasurement`; the loop must have looked up no generic metadata. A generic body that
    /// runs unspecialized asks the runtime for its generic types' metadata on every call (a
    /// concurrent hash map lookup) while allocating and retaining nothing, so the thresholds
    /// alone do not see it (MetadataLookups.c).
    @inline(__always)
    func stopLoop() {
        stopMeasurement()
        tw_metadata_loop(0)
        let n = tw_generic_metadata_lookups() &- lookupsAtStart
        let runs = loopRuns[name, default: 0] + 1
        loopRuns[name] = runs
        if n != 0 && runs > lookupWarmupRuns {
            let why = "\(name): \(n) generic metadata lookups in the measured loop (run \(runs)): a generic body ran unspecialized (cross-module optimization did not serialize it; see Package.swift)"
            // The runner shows neither a benchmark's output nor its fatal error: `make
            // bench-check` prints this file when the check fails.
            FileManager.default.createFile(atPath: benchCheckFailureFile, contents: Data((why + "\n").utf8))
            fatalError(why)
        }
    }
}
