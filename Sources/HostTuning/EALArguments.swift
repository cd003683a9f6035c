// The EAL's command line, derived from a profile so the placement that was validated is the one
// that runs: lcores from the profile's roles, memory from its hugepage plan, devices from its ports.

public enum EALArguments {
    /// The EAL lcore that the main (control) thread runs as; worker lcores follow in role order.
    public static let mainLcore = 0

    /// The EAL argument vector (without argv[0]) for `profile`.
    ///
    /// Lcore 0 is the main lcore, pinned to the first housekeeping core (set-up, telemetry and
    /// control, never the hot path; one fixed core so its socket, and so where its allocations
    /// land, is known); lcore 1 is pinned to the hot core and lcore 2 to hot2. The other
    /// housekeeping cores are for threads the EAL does not create (CorePinning).
    /// `--socket-mem` lists every node of the box up to the highest one the profile uses, so a
    /// plan of pages on node 1 only reads "0,N": the EAL then takes nothing from node 0.
    public static func build(_ profile: HWProfile) -> [String] {
        var args: [String] = ["--lcores", lcoreMap(profile), "--main-lcore", String(mainLcore)]
        if let n = profile.eal.channels { args += ["-n", String(n)] }
        if profile.hugepages.enabled {
            args += ["--socket-mem", socketMem(profile)]
        } else {
            args += ["--no-huge", "-m", String(profile.hugepages.noHugeMemoryMB)]
        }
        let pci = profile.ports.compactMap(\.pciAddress)
        if pci.isEmpty { args.append("--no-pci") }
        for address in pci { args += ["-a", address] }
        for port in profile.ports {
            if case let .vdev(s) = port.device { args += ["--vdev", s] }
        }
        args += ["--file-prefix", profile.eal.filePrefix]
        if profile.eal.noSharedConfig { args.append("--no-shconf") }
        return args
    }

    /// "0@0,1@2,2@3": lcore@cpu pairs.
    public static func lcoreMap(_ profile: HWProfile) -> String {
        var parts = ["\(mainLcore)@\(profile.cores.housekeeping.first ?? 0)"]
        for (i, cpu) in profile.cores.hotCores.enumerated() { parts.append("\(mainLcore + 1 + i)@\(cpu)") }
        return parts.joined(separator: ",")
    }

    /// MB per node, "0,4096", covering nodes 0 through the highest node the plan or the box names.
    public static func socketMem(_ profile: HWProfile) -> String {
        let hp = profile.hugepages
        let highest = max(hp.pagesPerNode.keys.max() ?? 0, profile.box.numaNodes.keys.max() ?? 0)
        return (0...highest).map { String(hp.megabytes(onNode: $0)) }.joined(separator: ",")
    }
}
