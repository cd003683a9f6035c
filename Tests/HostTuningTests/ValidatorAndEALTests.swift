import HostTuning
import Testing

@Suite struct ValidatorTests {
    @Test func badNUMAIsRefusedNamingCoreNICAndNodes() throws {
        let p = try HWProfile.load(Paths.fixtureProfile("bad-numa.yaml"))
        // The empty sysroot: the host cannot tell, so the profile's own layout is used.
        let findings = ProfileValidator.validate(p, host: HostSnapshot.read(sysroot: Paths.fixture("missing")))
        let numa = try #require(findings.first { $0.check == "nic_numa" })
        #expect(numa.severity == .refuse)
        #expect(numa.message.contains("hot core 2 is on NUMA node 0"))
        #expect(numa.message.contains("0000:af:00.0"))
        #expect(numa.message.contains("NUMA node 1"))
        #expect(numa.remedy.contains("node 1"))
        #expect(numa.remedy.contains("16-31"))
        #expect(ProfileValidator.refuses(findings))
    }

    @Test func hostNodeOverridesProfileAndStillRefuses() throws {
        var p = try HWProfile.load(Paths.fixtureProfile("tuned-box.yaml"))
        // The profile claims node 0; the host says the device is on node 1.
        var host = HostSnapshot(sysroot: "/", presentCPUs: [0, 1, 2, 3], onlineCPUs: [0, 1, 2, 3], isolatedCPUs: [2, 3],
                                nohzFullCPUs: [2, 3], cpuNode: [0: 0, 1: 0, 2: 0, 3: 0],
                                threadSiblings: [2: [2], 3: [3]], pciNumaNode: ["0000:17:00.0": 1],
                                hugepages: [.init(sizeKB: 1_048_576, node: 0, total: 4, free: 4)])
        host.pciDevices = ["0000:17:00.0"]
        host.pciDriver = ["0000:17:00.0": "vfio-pci"]
        let findings = ProfileValidator.validate(p, host: host)
        #expect(Set(findings.map(\.check)) == ["nic_numa_declared", "nic_numa"])
        p.isolation.hotIsolated = .init(expected: true, enforce: .warn)
        #expect(ProfileValidator.refuses(ProfileValidator.validate(p, host: host)))
    }

    @Test func tunedBoxAcceptsItsProfile() throws {
        let p = try HWProfile.load(Paths.fixtureProfile("tuned-box.yaml"))
        let findings = ProfileValidator.validate(p, host: HostSnapshot.read(sysroot: Paths.fixture("tuned")))
        #expect(findings.isEmpty, "\(findings)")
    }

    @Test func untunedBoxRefusesTheTunedProfileForEachReason() throws {
        let p = try HWProfile.load(Paths.fixtureProfile("tuned-box.yaml"))
        let host = HostSnapshot.read(sysroot: Paths.fixture("untuned"))
        let findings = ProfileValidator.validate(p, host: host)
        // The untuned box has no NIC at the profile's address either.
        #expect(Set(findings.map(\.check)) == ["hot_isolated", "hot_nohz_full", "smt_sibling_free", "hugepages_free", "nic_driver"])
        #expect(findings.allSatisfy { $0.severity == .refuse })
        // hot 2's sibling is 0 and hot 3's is 1: both housekeeping.
        #expect(findings.filter { $0.check == "smt_sibling_free" }.count == 2)
    }

    /// A port bound to the kernel's own driver (ice) or to none cannot be taken by the ice PMD:
    /// refused with the bind command; an mlx5 port keeps mlx5_core (bifurcated).
    @Test func nicDriverBindingIsChecked() throws {
        let p = try HWProfile.load(Paths.fixtureProfile("tuned-box.yaml"))
        var host = HostSnapshot.read(sysroot: Paths.fixture("tuned"))
        #expect(host.pciDriver["0000:17:00.0"] == "vfio-pci")
        #expect(!ProfileValidator.validate(p, host: host).contains { $0.check == "nic_driver" })
        host.pciDriver["0000:17:00.0"] = "ice"
        let f = try #require(ProfileValidator.validate(p, host: host).first { $0.check == "nic_driver" })
        #expect(f.severity == .refuse && f.message.contains("bound to ice") && f.remedy.contains("dpdk-devbind.py --bind=vfio-pci 0000:17:00.0"))
        host.pciDriver["0000:17:00.0"] = nil
        #expect(ProfileValidator.validate(p, host: host).contains { $0.check == "nic_driver" && $0.message.contains("no driver") })
        #expect(ProfileValidator.acceptableDrivers(pmd: "mlx5") == ["mlx5_core"])
    }

    @Test func enforceWarnOnlyWarns() throws {
        var p = try HWProfile.load(Paths.fixtureProfile("tuned-box.yaml"))
        p.isolation.hotIsolated.enforce = .warn
        let host = HostSnapshot.read(sysroot: Paths.fixture("untuned"))
        let iso = try #require(ProfileValidator.validate(p, host: host).first { $0.check == "hot_isolated" })
        #expect(iso.severity == .warn)
        p.isolation.hotIsolated.expected = false
        #expect(!ProfileValidator.validate(p, host: host).contains { $0.check == "hot_isolated" })
    }

    @Test func offlineOrAbsentCoresAreFound() throws {
        let p = try HWProfile.load(Paths.profile("colo-single-socket.yaml"))
        let host = HostSnapshot(sysroot: "/", presentCPUs: [0, 1, 2], onlineCPUs: [0, 1], cpuNode: [0: 0, 1: 0, 2: 0])
        let online = ProfileValidator.validate(p, host: host).filter { $0.check == "cores_online" }
        #expect(online.map(\.message).contains { $0.contains("hot core 2 is offline") })
        #expect(online.map(\.message).contains { $0.contains("hot2 core 3 does not exist") })
    }

    @Test func devVMValidatesOnThisHostWithoutRefusal() throws {
        let p = try HWProfile.load(Paths.profile("dev-vm.yaml"))
        let findings = ProfileValidator.validate(p, host: HostSnapshot.read())
        #expect(findings.allSatisfy { $0.severity == .warn })
    }
}

@Suite struct EALAndCommandLineTests {
    @Test func devVMRunsWithoutHugepagesOrPCI() throws {
        let args = EALArguments.build(try HWProfile.load(Paths.profile("dev-vm.yaml")))
        #expect(args.contains("--no-huge"))
        #expect(args.contains("--no-pci"))
        #expect(args.contains("--no-shconf"))
        #expect(args.joined(separator: " ").contains("--no-huge -m 256"))
        #expect(args.joined(separator: " ").contains("--vdev net_af_packet0,iface=tw0"))
        #expect(args.joined(separator: " ").contains("--lcores 0@0,1@1"))
        #expect(!args.contains("--socket-mem"))
        #expect(!args.contains("-a"))
    }

    @Test func dualSocketUsesNode1MemoryAndItsNIC() throws {
        let args = EALArguments.build(try HWProfile.load(Paths.profile("dual-socket-nic-node1.yaml")))
        let line = args.joined(separator: " ")
        #expect(line.contains("-a 0000:af:00.0"))
        #expect(line.contains("--socket-mem 0,4096"))
        #expect(line.contains("--lcores 0@16,1@18,2@19"))
        #expect(line.contains("-n 8"))
        #expect(line.contains("--file-prefix tw"))
        #expect(!args.contains("--no-pci"))
        #expect(!args.contains("--no-huge"))
    }

    @Test func commandLineForColo() throws {
        let line = TuneCommandLine.generate(try HWProfile.load(Paths.profile("colo-single-socket.yaml")))
        for part in ["isolcpus=managed_irq,domain,2-3", "nohz_full=2-3", "rcu_nocbs=2-3", "irqaffinity=0-1",
                     "intel_idle.max_cstate=0", "processor.max_cstate=1", "transparent_hugepage=never",
                     "default_hugepagesz=1G", "hugepagesz=1G", "hugepages=4", "nosoftlockup", "nmi_watchdog=0",
                     "skew_tick=1", "tsc=reliable", "mce=ignore_ce", "audit=0"]
        {
            #expect(line.split(separator: " ").contains(Substring(part)), "missing \(part)")
        }
        #expect(!line.contains("idle=poll"))
    }

    @Test func commandLinePlacesPagesPerNodeOnDualSocket() throws {
        let line = TuneCommandLine.generate(try HWProfile.load(Paths.profile("dual-socket-nic-node1.yaml")))
        #expect(line.contains("hugepages=1:4"))
        #expect(line.contains("irqaffinity=0-1,16"))
        let dev = TuneCommandLine.generate(try HWProfile.load(Paths.profile("dev-vm.yaml")))
        #expect(!dev.contains("hugepages="))
    }
}
