// YAML → HWProfile. The tree is walked by hand (Yams.compose, not Codable) so that every error can
// name the key path and the line, unknown keys are rejected instead of silently ignored (a typo in
// `hot2` must not quietly run the second thread unpinned), and no YAML 1.1 resolver surprise turns
// a PCI address like 0000:17:00.0 into a sexagesimal number.
import TickwireCore
import Foundation
import Yams

extension HWProfile {
    /// Loads and checks a profile file. Throws `HWProfileError` naming the file and line.
    public static func load(_ path: String) throws -> HWProfile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw HWProfileError(.fileNotFound, file: path, line: nil, "no such profile file")
        }
        if isDirectory.boolValue {
            throw HWProfileError(.unreadable, file: path, line: nil, "is a directory, not a profile file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HWProfileError(.unreadable, file: path, line: nil, "cannot be read (permissions?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw HWProfileError(.unreadable, file: path, line: nil, "is not UTF-8 text")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses a profile from YAML text; `file` only labels error messages.
    public static func parse(yaml: String, file: String = "<string>") throws -> HWProfile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        } catch {
            throw HWProfileError(.syntax, file: file, line: nil, "YAML: \(error)")
        }
        guard let root else { throw HWProfileError(.missingKey, file: file, line: nil, "the profile is empty") }
        return try ProfileReader(file: file).profile(root)
    }

    private static func syntaxError(_ error: YamlError, file: String) -> HWProfileError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let ctx = context.map { " (\($0.text))" } ?? ""
            return HWProfileError(.syntax, file: file, line: mark.line, "YAML syntax: \(problem)\(ctx), column \(mark.column)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return HWProfileError(.syntax, file: file, line: context.mark.line,
                                  "YAML: key(s) given twice: \(duplicates.sorted().joined(separator: ", "))")
        default:
            return HWProfileError(.syntax, file: file, line: nil, "YAML: \(error)")
        }
    }
}

/// The hand-written schema walk; each method reads one section and checks what can be checked
/// without the host.
private struct ProfileReader {
    let file: String

    func profile(_ root: Node) throws -> HWProfile {
        let top = try mapping(root, "profile", allowed: ["box", "cores", "ports", "memory", "hugepages", "eal", "isolation"])
        let box = try self.box(try top.required("box"))
        let cores = try self.cores(try top.required("cores"), box: box)
        let ports = try self.ports(try top.required("ports"), box: box)
        let memory = try self.memory(try top.required("memory"))
        let hugepages = try self.hugepages(try top.required("hugepages"), box: box)
        let eal = try self.eal(try top.required("eal"))
        let isolation = try self.isolation(try top.required("isolation"))
        if !hugepages.enabled, let pci = ports.first(where: { $0.pciAddress != nil }) {
            throw HWProfileError(.conflict, file: file, line: root.mark?.line,
                                 "port \(pci.label) is a PCI device but hugepages.enabled is false: PCI PMDs need "
                                     + "hugepage (IOVA-contiguous) memory; enable hugepages or use a vdev")
        }
        return HWProfile(box: box, cores: cores, ports: ports, memory: memory, hugepages: hugepages, eal: eal,
                         isolation: isolation)
    }

    // MARK: sections

    func box(_ node: Node) throws -> HWProfile.Box {
        let m = try mapping(node, "box", allowed: ["name", "numa_nodes"])
        let name = try string(try m.required("name"), "box.name")
        let nodesNode = try m.required("numa_nodes")
        guard let nodesMap = nodesNode.mapping, !nodesMap.isEmpty else {
            throw invalid(nodesNode, "box.numa_nodes must map node ids to CPU lists, e.g. {0: \"0-15\"}")
        }
        var nodes: [Int: [Int]] = [:]
        var owner: [Int: Int] = [:]
        for (k, v) in nodesMap {
            let id = try int(k, "box.numa_nodes key", min: 0)
            let cpus = try cpuList(v, "box.numa_nodes.\(id)")
            if cpus.isEmpty { throw invalid(v, "box.numa_nodes.\(id) lists no CPUs") }
            for cpu in cpus {
                if let other = owner[cpu] {
                    throw conflict(v, "CPU \(cpu) is listed on NUMA node \(other) and node \(id)")
                }
                owner[cpu] = id
            }
            nodes[id] = cpus
        }
        return HWProfile.Box(name: name, numaNodes: nodes)
    }

    func cores(_ node: Node, box: HWProfile.Box) throws -> HWProfile.Cores {
        let m = try mapping(node, "cores", allowed: ["hot", "hot2", "housekeeping"])
        let hotNode = try m.required("hot")
        let hot = try int(hotNode, "cores.hot", min: 0)
        let hot2Node = m.optional("hot2")
        let hot2 = try hot2Node.map { try int($0, "cores.hot2", min: 0) }
        let hkNode = try m.required("housekeeping")
        let housekeeping = try cpuSequence(hkNode, "cores.housekeeping")
        if housekeeping.isEmpty {
            throw invalid(hkNode, "cores.housekeeping needs at least one core (the EAL main lcore and cold threads run there)")
        }
        var seen: [Int: String] = [:]
        let roles: [(String, [Int], Node)] = [("hot", [hot], hotNode)] + (hot2.map { [("hot2", [$0], hot2Node ?? node)] } ?? [])
            + [("housekeeping", housekeeping, hkNode)]
        for (role, list, at) in roles {
            for cpu in list {
                if let first = seen[cpu] {
                    let what = first == role ? "is listed twice in \(role)" : "is listed as both \(first) and \(role)"
                    throw conflict(at, "core \(cpu) \(what): a core holds one role, and a hot core is owned by its busy-polling thread")
                }
                seen[cpu] = role
            }
        }
        for (role, list, at) in roles {
            for cpu in list where box.node(ofCPU: cpu) == nil {
                throw conflict(at, "cores.\(role) core \(cpu) is on no node of box.numa_nodes; add it there or pick another core")
            }
        }
        return HWProfile.Cores(hot: hot, hot2: hot2, housekeeping: housekeeping)
    }

    func ports(_ node: Node, box: HWProfile.Box) throws -> [HWProfile.Port] {
        guard let seq = node.sequence else { throw invalid(node, "ports must be a list of ports") }
        if seq.isEmpty { throw invalid(node, "ports lists no port") }
        var out: [HWProfile.Port] = []
        for (i, item) in seq.enumerated() {
            let at = "ports[\(i)]"
            let m = try mapping(item, at, allowed: ["name", "pci", "vdev", "numa_node", "rx_queues", "tx_queues", "driver", "rx_timestamps"])
            let name = try string(try m.required("name"), "\(at).name")
            if out.contains(where: { $0.name == name }) { throw conflict(item, "port name '\(name)' is used twice") }
            let pciNode = m.optional("pci")
            let vdevNode = m.optional("vdev")
            let device: HWProfile.Port.Device
            var numa: Int?
            switch (pciNode, vdevNode) {
            case let (p?, nil):
                let raw = try string(p, "\(at).pci")
                guard let address = PCIAddress.normalize(raw) else {
                    throw invalid(p, "\(at).pci '\(raw)' is not a PCI address (DDDD:BB:DD.F, e.g. 0000:17:00.0)")
                }
                device = .pci(address: address)
                let numaNode = try m.required("numa_node")
                let n = try int(numaNode, "\(at).numa_node", min: 0)
                if box.numaNodes[n] == nil {
                    throw invalid(numaNode, "\(at).numa_node \(n) is not a node of box.numa_nodes (\(box.numaNodes.keys.sorted().map(String.init).joined(separator: ", ")))")
                }
                numa = n
            case let (nil, v?):
                let s = try string(v, "\(at).vdev")
                device = .vdev(s)
                if let n = m.optional("numa_node") {
                    throw invalid(n, "\(at).numa_node: a vdev has no NUMA node of its own; remove the key")
                }
            case (nil, nil):
                throw HWProfileError(.missingKey, file: file, line: item.mark?.line, "\(at) needs 'pci' or 'vdev'")
            case (_?, _?):
                throw conflict(item, "\(at) has both 'pci' and 'vdev'; a port is one or the other")
            }
            let rx = try int(try m.required("rx_queues"), "\(at).rx_queues", min: 1, max: 1024)
            let tx = try int(try m.required("tx_queues"), "\(at).tx_queues", min: 1, max: 1024)
            let driver = try m.optional("driver").map { try string($0, "\(at).driver") }
            var stamps = RxTimestampPolicy.auto
            if let n = m.optional("rx_timestamps") {
                let s = try string(n, "\(at).rx_timestamps")
                guard let p = RxTimestampPolicy(rawValue: s) else {
                    throw invalid(n, "\(at).rx_timestamps '\(s)' is not one of \(RxTimestampPolicy.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                stamps = p
            }
            out.append(HWProfile.Port(name: name, device: device, numaNode: numa, rxQueues: rx, txQueues: tx, driver: driver,
                                      rxTimestamps: stamps))
        }
        return out
    }

    func memory(_ node: Node) throws -> HWProfile.Memory {
        let m = try mapping(node, "memory", allowed: ["mbufs", "mbuf_cache", "rx_descriptors", "tx_descriptors", "ring_size"])
        let mbufs = try int(try m.required("mbufs"), "memory.mbufs", min: 64)
        let cacheNode = try m.required("mbuf_cache")
        let cache = try int(cacheNode, "memory.mbuf_cache", min: 0, max: 512)
        if Double(cache) * 1.5 > Double(mbufs) {
            throw invalid(cacheNode, "memory.mbuf_cache \(cache) is too large for \(mbufs) mbufs (rte_mempool needs cache × 1.5 ≤ mbufs)")
        }
        let rx = try powerOfTwo(try m.required("rx_descriptors"), "memory.rx_descriptors")
        let tx = try powerOfTwo(try m.required("tx_descriptors"), "memory.tx_descriptors")
        let ring = try powerOfTwo(try m.required("ring_size"), "memory.ring_size")
        return HWProfile.Memory(mbufs: mbufs, mbufCache: cache, rxDescriptors: rx, txDescriptors: tx, ringSize: ring)
    }

    func hugepages(_ node: Node, box: HWProfile.Box) throws -> HWProfile.Hugepages {
        let m = try mapping(node, "hugepages", allowed: ["enabled", "page_size", "pages_per_node", "no_huge_memory_mb"])
        let enabled = try bool(try m.required("enabled"), "hugepages.enabled")
        if !enabled {
            for key in ["page_size", "pages_per_node"] {
                if let n = m.optional(key) {
                    throw invalid(n, "hugepages.\(key) is set but hugepages.enabled is false; remove it or enable hugepages")
                }
            }
            let mb = try int(try m.required("no_huge_memory_mb"), "hugepages.no_huge_memory_mb", min: 64)
            return HWProfile.Hugepages(enabled: false, pageSizeKB: 2048, pagesPerNode: [:], noHugeMemoryMB: mb)
        }
        if let n = m.optional("no_huge_memory_mb") {
            throw invalid(n, "hugepages.no_huge_memory_mb only applies when hugepages.enabled is false")
        }
        let sizeNode = try m.required("page_size")
        let sizeName = try string(sizeNode, "hugepages.page_size")
        let sizeKB: Int
        switch sizeName.uppercased() {
        case "2M", "2MB", "2048KB": sizeKB = 2048
        case "1G", "1GB", "1048576KB": sizeKB = 1_048_576
        default: throw invalid(sizeNode, "hugepages.page_size '\(sizeName)' must be 2M or 1G")
        }
        let perNodeNode = try m.required("pages_per_node")
        guard let perNode = perNodeNode.mapping, !perNode.isEmpty else {
            throw invalid(perNodeNode, "hugepages.pages_per_node must map node ids to page counts, e.g. {0: 4}")
        }
        var pages: [Int: Int] = [:]
        for (k, v) in perNode {
            let id = try int(k, "hugepages.pages_per_node key", min: 0)
            if box.numaNodes[id] == nil { throw invalid(k, "hugepages.pages_per_node: node \(id) is not in box.numa_nodes") }
            pages[id] = try int(v, "hugepages.pages_per_node.\(id)", min: 0)
        }
        if pages.values.allSatisfy({ $0 == 0 }) {
            throw invalid(perNodeNode, "hugepages.pages_per_node reserves no page; set enabled: false to run with --no-huge")
        }
        return HWProfile.Hugepages(enabled: true, pageSizeKB: sizeKB, pagesPerNode: pages, noHugeMemoryMB: 0)
    }

    func eal(_ node: Node) throws -> HWProfile.EAL {
        let m = try mapping(node, "eal", allowed: ["file_prefix", "channels", "no_shconf"])
        let prefixNode = try m.required("file_prefix")
        let prefix = try string(prefixNode, "eal.file_prefix")
        if prefix.contains("/") || prefix.contains(where: \.isWhitespace) {
            throw invalid(prefixNode, "eal.file_prefix '\(prefix)' must be a plain name (it names files in /var/run/dpdk and hugetlbfs)")
        }
        let channels = try m.optional("channels").map { try int($0, "eal.channels", min: 1, max: 16) }
        let noShconf = try m.optional("no_shconf").map { try bool($0, "eal.no_shconf") } ?? false
        return HWProfile.EAL(filePrefix: prefix, channels: channels, noSharedConfig: noShconf)
    }

    func isolation(_ node: Node) throws -> HWProfile.Isolation {
        let keys = ["cores_online", "hot_isolated", "hot_nohz_full", "smt_sibling_free", "hugepages_free"]
        if let m = node.mapping, let nic = m["nic_numa"] {
            throw invalid(nic, "isolation.nic_numa cannot be configured: a hot core on another NUMA node than its NIC is always refused")
        }
        let m = try mapping(node, "isolation", allowed: keys)
        var e: [HWProfile.Expectation] = []
        for key in keys {
            let item = try m.required(key)
            let im = try mapping(item, "isolation.\(key)", allowed: ["expected", "enforce"])
            let expected = try bool(try im.required("expected"), "isolation.\(key).expected")
            let enforceNode = try im.required("enforce")
            let raw = try string(enforceNode, "isolation.\(key).enforce")
            guard let enforce = HWProfile.Enforce(rawValue: raw) else {
                throw invalid(enforceNode, "isolation.\(key).enforce '\(raw)' must be refuse or warn")
            }
            e.append(HWProfile.Expectation(expected: expected, enforce: enforce))
        }
        return HWProfile.Isolation(coresOnline: e[0], hotIsolated: e[1], hotNohzFull: e[2], smtSiblingFree: e[3], hugepagesFree: e[4])
    }

    // MARK: scalars

    func mapping(_ node: Node, _ path: String, allowed: [String]) throws -> KeyedMapping {
        guard let m = node.mapping else { throw invalid(node, "\(path) must be a mapping of keys") }
        var values: [String: Node] = [:]
        for (k, v) in m {
            guard let key = k.scalar?.string else { throw invalid(k, "\(path): keys must be plain names") }
            guard allowed.contains(key) else {
                throw HWProfileError(.unknownKey, file: file, line: k.mark?.line,
                                     "unknown key '\(key)' in \(path) (expected one of: \(allowed.joined(separator: ", ")))")
            }
            if !isNull(v) { values[key] = v }
        }
        return KeyedMapping(file: file, path: path, line: node.mark?.line, values: values)
    }

    func string(_ node: Node, _ path: String) throws -> String {
        guard let s = node.scalar?.string, !s.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw invalid(node, "\(path) must be a non-empty string")
        }
        return s
    }

    func int(_ node: Node, _ path: String, min: Int = Int.min, max: Int = Int.max) throws -> Int {
        guard let s = node.scalar?.string, let v = Int(s.trimmingCharacters(in: .whitespaces)) else {
            throw invalid(node, "\(path) must be an integer, found '\(node.scalar?.string ?? "a non-scalar")'")
        }
        guard v >= min && v <= max else {
            let range = max == Int.max ? "at least \(min)" : "between \(min) and \(max)"
            throw invalid(node, "\(path) is \(v); it must be \(range)")
        }
        return v
    }

    func bool(_ node: Node, _ path: String) throws -> Bool {
        switch node.scalar?.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw invalid(node, "\(path) must be true or false")
        }
    }

    func powerOfTwo(_ node: Node, _ path: String) throws -> Int {
        let v = try int(node, path, min: 2, max: 1 << 20)
        if v & (v - 1) != 0 { throw invalid(node, "\(path) is \(v); it must be a power of two (ring sizes are masks)") }
        return v
    }

    /// A CPU list as a kernel-style string ("0-3,8") or a bare integer.
    func cpuList(_ node: Node, _ path: String) throws -> [Int] {
        guard let s = node.scalar?.string, let cpus = CPUList.parseStrict(s) else {
            throw invalid(node, "\(path) must be a CPU list like \"0-3,8\"")
        }
        return cpus
    }

    /// A list of cores as a YAML sequence of integers or a kernel-style string; duplicates are
    /// kept so the role check can report them.
    func cpuSequence(_ node: Node, _ path: String) throws -> [Int] {
        if let seq = node.sequence { return try seq.enumerated().map { try int($0.element, "\(path)[\($0.offset)]", min: 0) } }
        return try cpuList(node, path)
    }

    func isNull(_ node: Node) -> Bool {
        guard let s = node.scalar else { return false }
        return s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    func invalid(_ node: Node, _ message: String) -> HWProfileError {
        HWProfileError(.invalidValue, file: file, line: node.mark?.line, message)
    }

    func conflict(_ node: Node, _ message: String) -> HWProfileError {
        HWProfileError(.conflict, file: file, line: node.mark?.line, message)
    }
}

/// A mapping whose keys were checked against the schema.
private struct KeyedMapping {
    let file: String
    let path: String
    let line: Int?
    let values: [String: Node]

    func optional(_ key: String) -> Node? { values[key] }

    func required(_ key: String) throws -> Node {
        guard let v = values[key] else {
            throw HWProfileError(.missingKey, file: file, line: line, "missing key '\(key)' in \(path)")
        }
        return v
    }
}

/// PCI addresses as sysfs names them: domain:bus:device.function, lower-case hex.
enum PCIAddress {
    /// The sysfs form of an address ("17:00.0" → "0000:17:00.0"), or nil when it is not one.
    static func normalize(_ s: String) -> String? {
        let t = s.trimmingCharacters(in: .whitespaces).lowercased()
        let full = t.filter { $0 == ":" }.count == 1 ? "0000:" + t : t
        let parts = full.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let devFn = parts[2].split(separator: ".", omittingEmptySubsequences: false)
        guard devFn.count == 2 else { return nil }
        let fields: [(Substring, Int)] = [(parts[0], 4), (parts[1], 2), (devFn[0], 2), (devFn[1], 1)]
        for (field, width) in fields {
            guard field.count == width, field.allSatisfy(\.isHexDigit) else { return nil }
        }
        return full
    }
}
