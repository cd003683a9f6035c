import TickwireCore
import Foundation
import HostTuning
import Testing

@Suite struct TuneCheckTests {
    @Test func tunedBoxPassesEveryCheck() throws {
        let results = TuneCheck.run(sysroot: Paths.fixture("tuned"))
        #expect(results.map(\.name) == TuneCheck.checkNames)
        let notPassing = results.filter { $0.status != .pass }
        #expect(notPassing.isEmpty, "\(notPassing)")
    }

    @Test func tunedBoxPassesWithItsProfileIncludingNICNode() throws {
        let profile = try HWProfile.load(Paths.fixtureProfile("tuned-box.yaml"))
        let results = TuneCheck.run(sysroot: Paths.fixture("tuned"), profile: profile)
        #expect(results.allSatisfy { $0.status == .pass }, "\(results.filter { $0.status != .pass })")
        let nic = try #require(results.first { $0.name == "nic_numa" })
        #expect(nic.found.contains("0000:17:00.0: node 0"))
        #expect(results.first { $0.name == "isolcpus" }?.found.contains("(profile)") == true)
    }

    @Test func untunedBoxFailsExactlyTheExpectedChecks() {
        let results = TuneCheck.run(sysroot: Paths.fixture("untuned"))
        let failed = Set(results.filter { $0.status == .fail }.map(\.name))
        let warned = Set(results.filter { $0.status == .warn }.map(\.name))
        #expect(failed == [
            "isolcpus", "nohz_full", "rcu_nocbs", "irqaffinity", "irq_affinity", "irqbalance", "cpu_governor",
            "cstates", "max_cstate", "thp_enabled", "thp_defrag", "hugepages", "timer_migration", "nmi_watchdog",
            "numa_balancing",
        ])
        #expect(warned == ["swappiness", "stat_interval", "smt_siblings"])
        for r in results where r.status != .pass { #expect(!r.remedy.isEmpty, "\(r.name) has no remedy") }
    }

    @Test func untunedBoxDefaultsHotToLastOnlineCoreAndSaysSo() throws {
        let results = TuneCheck.run(sysroot: Paths.fixture("untuned"))
        let iso = try #require(results.first { $0.name == "isolcpus" })
        #expect(iso.found.contains("hot 3 (last online core"))
        let irqs = try #require(results.first { $0.name == "irq_affinity" })
        #expect(irqs.found.hasSuffix("0,24,25"))
        let smt = try #require(results.first { $0.name == "smt_siblings" })
        #expect(smt.found.contains("3↔1"))
    }

    @Test func missingFilesAreFindingsNotCrashes() {
        let results = TuneCheck.run(sysroot: Paths.fixture("missing"))
        #expect(results.map(\.name) == TuneCheck.checkNames)
        for r in results where r.name != "nic_numa" {
            #expect(r.status != .pass, "\(r.name) passed on an empty sysroot")
            #expect(r.found.contains("missing: "), "\(r.name): \(r.found)")
        }
    }

    @Test func missingSysrootWithAProfileDoesNotCrash() throws {
        let profile = try HWProfile.load(Paths.profile("dual-socket-nic-node1.yaml"))
        let results = TuneCheck.run(sysroot: Paths.fixture("missing"), profile: profile)
        #expect(results.count == TuneCheck.checkNames.count)
        let nic = try #require(results.first { $0.name == "nic_numa" })
        #expect(nic.status == .fail)
        #expect(nic.found.contains("missing: "))
        // A sysroot that does not exist at all is just as empty.
        #expect(TuneCheck.run(sysroot: "/nonexistent-tw-sysroot").count == TuneCheck.checkNames.count)
    }

    @Test func realHostDoesNotCrash() {
        let results = TuneCheck.run(sysroot: "/")
        #expect(!results.isEmpty)
        #expect(results.map(\.name) == TuneCheck.checkNames)
    }

    @Test func jsonHasExactlyTheContractKeys() throws {
        let json = try TuneCheck.json(TuneCheck.run(sysroot: Paths.fixture("untuned")))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Array(object.keys) == ["checks"])
        let checks = try #require(object["checks"] as? [[String: Any]])
        #expect(checks.count == TuneCheck.checkNames.count)
        for c in checks {
            #expect(Set(c.keys) == ["name", "status", "found", "expected", "remedy"])
            #expect(["pass", "warn", "fail"].contains(c["status"] as? String ?? ""))
        }
        #expect(json.hasPrefix("{\"checks\":[{\"expected\":"))
    }

    @Test func tableHasOneRowPerCheckRemediesAndSummary() {
        let results = TuneCheck.run(sysroot: Paths.fixture("untuned"))
        let lines = TuneCheck.table(results).split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("STATUS NAME") == true)
        #expect(lines.last == "20 checks: 2 pass, 3 warn, 15 fail")
        let fixLines = lines.filter { $0.contains("fix: ") }
        #expect(fixLines.count == 18)
        // FOUND starts in the same column on every row.
        let rows = lines.filter { $0.hasPrefix("PASS") || $0.hasPrefix("WARN") || $0.hasPrefix("FAIL") }
        let column = lines[0].range(of: "FOUND").map { lines[0].distance(from: lines[0].startIndex, to: $0.lowerBound) }
        for row in rows {
            let idx = row.index(row.startIndex, offsetBy: (column ?? 0) - 1)
            #expect(row[idx] == " " && row[row.index(after: idx)] != " ", "\(row)")
        }
    }

    @Test func cpuListRoundTrips() {
        #expect(CPUList.parse("0-3,8,10-11") == [0, 1, 2, 3, 8, 10, 11])
        #expect(CPUList.format([11, 0, 1, 2, 3, 8, 10]) == "0-3,8,10-11")
        #expect(CPUList.parseStrict("1,x") == nil)
        #expect(CPUList.parseMask("f") == [0, 1, 2, 3])
        #expect(CPUList.parseMask("1,00000003") == [0, 1, 32])
        #expect(CPUList.formatMask([0, 1, 32]) == "1,00000003")
        #expect(CPUList.formatMask([0, 1]) == "3")
    }
}
