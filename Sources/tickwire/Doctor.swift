import ArgumentParser
import CShims
import Foundation
import TickwireCore
import DPDK

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report DPDK, the EAL start with the given vdevs, ports, NUMA, TSC, hugepages and isolated cores."
    )

    @Option(name: .customLong("vdev"), help: "A DPDK virtual device to create at EAL start, e.g. net_null0 (repeatable).")
    var vdevs: [String] = []

    @Option(name: .customLong("eal"), parsing: .singleValue,
            help: "An EAL argument passed through unchanged (repeatable). Default: --no-huge -m 256 --no-pci --no-shconf.")
    var ealArgs: [String] = []

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Report: Encodable {
        struct EALReport: Encodable {
            var started: Bool
            var arguments: [String]
            var error: String?
            var lcores: Int?
            var mainLcore: Int?
            var sockets: Int?
            var tscHz: UInt64?
        }
        struct Port: Encodable {
            var id: Int, name: String, driver: String, socket: Int, mac: String
            var maxRxQueues: Int, maxTxQueues: Int, rxOffloads: [String], txOffloads: [String]
            var rxTimestampOffload: Bool, readClock: Bool, linkUp: Bool, linkSpeedMbps: Int
        }
        struct Node: Encodable { var id: Int; var cpus: String }
        struct TSC: Encodable {
            var hzCalibrated: UInt64
            var hzEal: UInt64?
            var constantTsc: Bool
            var nonstopTsc: Bool
            var invariant: Bool
            var clocksource: String?
            var warning: String?
        }
        struct Hugepages: Encodable { var sizeKb: Int; var total: Int; var free: Int; var node: Int? }
        var dpdkVersion: String
        var eal: EALReport
        var ports: [Port]
        var numaNodes: [Node]
        var onlineCpus: String
        var isolatedCpus: String
        var nohzFullCpus: String
        var tsc: TSC
        var hugepages: [Hugepages]
        var hugepagesReserved: Int
    }

    func run() throws {
        let host = HostFacts.read()
        let inv = TSCInvariance.read()
        let clock = TSCClock.calibrate(windowNanos: 200_000_000)
        let args = (ealArgs.isEmpty ? EAL.noHardwareArguments(filePrefix: "tickwire-doctor-\(getpid())") : ealArgs)
            + vdevs.map { "--vdev=\($0)" }
        var eal = Report.EALReport(started: false, arguments: args)
        var ports: [Report.Port] = []
        do {
            let info = try EAL.start(arguments: args)
            eal.started = true
            eal.lcores = info.lcores
            eal.mainLcore = info.mainLcore
            eal.sockets = info.sockets
            eal.tscHz = info.tscHz
            for id in EAL.portIDs() {
                let p = try PortInfo(port: id)
                ports.append(.init(id: Int(p.id), name: p.name, driver: p.driver, socket: p.socket, mac: p.macString,
                                   maxRxQueues: p.maxRxQueues, maxTxQueues: p.maxTxQueues,
                                   rxOffloads: p.rxOffloads, txOffloads: p.txOffloads,
                                   rxTimestampOffload: p.rxTimestampCapable, readClock: p.readClockCapable,
                                   linkUp: p.linkUp, linkSpeedMbps: p.linkSpeedMbps))
            }
        } catch {
            eal.error = error.description
        }
        let report = Report(
            dpdkVersion: String(cString: tw_dpdk_version()),
            eal: eal,
            ports: ports,
            numaNodes: host.numaNodes.map { .init(id: $0.id, cpus: CPUList.format($0.cpus)) },
            onlineCpus: CPUList.format(host.onlineCPUs),
            isolatedCpus: CPUList.format(host.isolatedCPUs),
            nohzFullCpus: CPUList.format(host.nohzFullCPUs),
            tsc: .init(hzCalibrated: clock.hz, hzEal: eal.tscHz, constantTsc: inv.constantTSC,
                       nonstopTsc: inv.nonstopTSC, invariant: inv.isInvariant, clocksource: inv.clocksource,
                       warning: inv.warning),
            hugepages: host.hugepages.map { .init(sizeKb: $0.sizeKB, total: $0.total, free: $0.free, node: $0.node) },
            hugepagesReserved: host.hugepages.filter { $0.node == nil }.reduce(0) { $0 + $1.total }
        )
        if EAL.isRunning { EAL.stop() }
        if json {
            printJSON(report)
        } else {
            printText(report)
        }
        if !report.eal.started { throw ExitCode.failure }
    }

    func printText(_ r: Report) {
        print("DPDK           \(r.dpdkVersion)")
        if r.eal.started {
            print("EAL            started: \(r.eal.lcores ?? 0) lcore(s), main lcore \(r.eal.mainLcore ?? 0), \(r.eal.sockets ?? 0) socket(s)")
        } else {
            print("EAL            FAILED: \(r.eal.error ?? "unknown")")
        }
        print("EAL arguments  \(r.eal.arguments.joined(separator: " "))")
        if r.ports.isEmpty { print("ports          none (give --vdev net_null0, or bind a NIC to vfio-pci)") }
        for p in r.ports {
            print("port \(p.id)         \(p.name) driver=\(p.driver) socket=\(p.socket) mac=\(p.mac) rxq<=\(p.maxRxQueues) txq<=\(p.maxTxQueues)")
            print("               rx timestamp offload: \(p.rxTimestampOffload ? "yes" : "no"), NIC clock: \(p.readClock ? "yes" : "no")")
            print("               rx offloads: \(p.rxOffloads.isEmpty ? "none" : p.rxOffloads.joined(separator: " "))")
        }
        for n in r.numaNodes { print("NUMA node \(n.id)    cpus \(n.cpus)") }
        print("CPUs online    \(r.onlineCpus)")
        print("isolated CPUs  \(r.isolatedCpus.isEmpty ? "none (no isolcpus: the hot core shares with the kernel)" : r.isolatedCpus)")
        print("nohz_full      \(r.nohzFullCpus.isEmpty ? "none" : r.nohzFullCpus)")
        let ghz = Double(r.tsc.hzCalibrated) / 1e9
        print("TSC            \(String(format: "%.6f", ghz)) GHz calibrated, EAL says \(r.tsc.hzEal.map { String($0) } ?? "n/a") Hz, clocksource \(r.tsc.clocksource ?? "?")")
        print("               invariant: \(r.tsc.invariant ? "yes" : "NO") (constant_tsc \(r.tsc.constantTsc), nonstop_tsc \(r.tsc.nonstopTsc))")
        if let w = r.tsc.warning { print("WARNING        \(w)") }
        if r.hugepagesReserved == 0 { print("hugepages      none reserved (DPDK runs with --no-huge: fine for tests, not for production)") }
        for h in r.hugepages where h.node == nil { print("hugepages      \(h.sizeKb) kB: \(h.total) total, \(h.free) free") }
    }
}
