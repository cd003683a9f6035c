import Foundation
import HostTuning
import TickwireCore
import Testing

@Suite struct ProfileTests {
    @Test(arguments: ["dev-vm.yaml", "colo-single-socket.yaml", "dual-socket-nic-node1.yaml"])
    func shippedProfilesLoad(name: String) throws {
        let p = try HWProfile.load(Paths.profile(name))
        #expect(!p.ports.isEmpty)
        #expect(!p.cores.housekeeping.isEmpty)
    }

    @Test func devVMProfileIsTheTwoCoreVM() throws {
        let p = try HWProfile.load(Paths.profile("dev-vm.yaml"))
        #expect(p.cores.hot == 1)
        #expect(p.cores.hot2 == nil)
        #expect(p.cores.housekeeping == [0])
        #expect(p.hugepages.enabled == false)
        #expect(p.ports.first?.device == .vdev("net_af_packet0,iface=tw0"))
        #expect(p.core(for: .hot) == 1)
        #expect(p.cores(for: .hot2).isEmpty)
        #expect(p.core(for: .housekeeping) == 0)
    }

    @Test func fixtureProfilesLoad() throws {
        let bad = try HWProfile.load(Paths.fixtureProfile("bad-numa.yaml"))
        #expect(bad.ports[0].numaNode == 1)
        #expect(bad.box.node(ofCPU: bad.cores.hot) == 0)
        _ = try HWProfile.load(Paths.fixtureProfile("tuned-box.yaml"))
    }

    private func loadError(_ yaml: String) -> HWProfileError? {
        do {
            _ = try HWProfile.parse(yaml: yaml, file: "t.yaml")
            return nil
        } catch let e as HWProfileError {
            return e
        } catch {
            return nil
        }
    }

    /// dev-vm.yaml's text with one substitution, so each error case differs from a valid profile
    /// by exactly the mistake under test.
    private func devVM(replacing old: String, with new: String) throws -> String {
        let text = try String(contentsOfFile: Paths.profile("dev-vm.yaml"), encoding: .utf8)
        #expect(text.contains(old), "dev-vm.yaml no longer contains \(old)")
        return text.replacingOccurrences(of: old, with: new)
    }

    @Test func missingFileIsReported() {
        #expect(throws: HWProfileError.self) { try HWProfile.load("/nonexistent/tw.yaml") }
        do {
            _ = try HWProfile.load("/nonexistent/tw.yaml")
        } catch let e as HWProfileError {
            #expect(e.kind == .fileNotFound)
            #expect(e.description.contains("/nonexistent/tw.yaml"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func syntaxErrorNamesTheLine() {
        let e = loadError("box:\n  name: x\n  numa_nodes: {0: \"0-1\"\ncores: [\n")
        #expect(e?.kind == .syntax)
        #expect(e?.line != nil)
        #expect(e?.description.hasPrefix("t.yaml:") == true)
    }

    @Test func unknownKeyIsRejectedWithItsLine() throws {
        let e = loadError(try devVM(replacing: "  hot2: null", with: "  hot3: 2"))
        #expect(e?.kind == .unknownKey)
        #expect(e?.message.contains("'hot3'") == true)
        #expect(e?.message.contains("hot2") == true)
        #expect(e?.line == 12)
    }

    @Test func missingKeyIsRejected() throws {
        let e = loadError(try devVM(replacing: "  file_prefix: tw-dev\n", with: ""))
        #expect(e?.kind == .missingKey)
        #expect(e?.message == "missing key 'file_prefix' in eal")
    }

    @Test func coreInTwoRolesIsAConflict() throws {
        let e = loadError(try devVM(replacing: "housekeeping: [0]", with: "housekeeping: [0, 1]"))
        #expect(e?.kind == .conflict)
        #expect(e?.message.contains("core 1 is listed as both hot and housekeeping") == true)
        let twice = loadError(try devVM(replacing: "housekeeping: [0]", with: "housekeeping: [0, 0]"))
        #expect(twice?.message.contains("core 0 is listed twice in housekeeping") == true)
        let hot2 = loadError(try devVM(replacing: "hot2: null", with: "hot2: 1"))
        #expect(hot2?.message.contains("core 1 is listed as both hot and hot2") == true)
    }

    @Test func badValuesAreRejected() throws {
        #expect(loadError(try devVM(replacing: "ring_size: 4096", with: "ring_size: 4000"))?.kind == .invalidValue)
        #expect(loadError(try devVM(replacing: "hot: 1 ", with: "hot: one "))?.kind == .invalidValue)
        #expect(loadError(try devVM(replacing: "enforce: warn}", with: "enforce: maybe}"))?.kind == .invalidValue)
        #expect(loadError(try devVM(replacing: "hot: 1 ", with: "hot: 7 "))?.message.contains("on no node") == true)
        let pci = loadError(try devVM(replacing: "vdev: net_null0", with: "pci: \"0000:17:00.0\"\n    numa_node: 0"))
        #expect(pci?.message.contains("hugepages.enabled is false") == true)
        let nic = loadError(try devVM(replacing: "  cores_online:", with: "  nic_numa: {expected: false, enforce: warn}\n  cores_online:"))
        #expect(nic?.message.contains("always refused") == true)
    }

    /// Per port, whether to ask for rx timestamps: auto by default, on or off when said, and
    /// anything else refused with its line.
    @Test func rxTimestampsArePerPort() throws {
        let text = try String(contentsOfFile: Paths.profile("dev-vm.yaml"), encoding: .utf8)
        #expect(try HWProfile.parse(yaml: text).ports.map(\.rxTimestamps) == [.auto, .auto])
        let off = try HWProfile.parse(yaml: text.replacingOccurrences(of: "vdev: net_null0", with: "vdev: net_null0\n    rx_timestamps: off"))
        #expect(off.ports[1].rxTimestamps == .off)
        let bad = loadError(try devVM(replacing: "vdev: net_null0", with: "vdev: net_null0\n    rx_timestamps: sometimes"))
        #expect(bad?.kind == .invalidValue && bad?.message.contains("not one of auto, on, off") == true, "\(String(describing: bad))")
    }

    @Test func pciAddressesAreNormalized() throws {
        let text = try String(contentsOfFile: Paths.profile("colo-single-socket.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "\"0000:17:00.0\"", with: "\"17:00.0\"")
        let p = try HWProfile.parse(yaml: text)
        #expect(p.ports[0].pciAddress == "0000:17:00.0")
    }
}
