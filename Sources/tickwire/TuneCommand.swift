// `tune`: host tuning for the hot path, from a hardware profile. Depends only on ArgumentParser,
// Foundation and HostTuning, so the file can be added as is to the main CLI (`Tune.self` in
// Tickwire's subcommands) and to this package's stand-alone `tune-cli`.
import ArgumentParser
import Foundation
import HostTuning

struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Check, plan and apply host tuning for the hot path from a hardware profile (hw-profiles/*.yaml).",
        subcommands: [Check.self, Apply.self, Cmdline.self, EAL.self, Validate.self]
    )
}

/// Prints `tickwire: MESSAGE` on stderr for an error the user can act on; throw the result.
func tuneFail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data(("tickwire: " + message + "\n").utf8))
    return ExitCode.failure
}

/// Loads a profile or turns its error (file, line, what is wrong) into a clean exit.
func tuneLoadProfile(_ path: String) throws -> HWProfile {
    do {
        return try HWProfile.load(path)
    } catch let error as HWProfileError {
        throw tuneFail(error.description)
    }
}

extension Tune {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report every host setting that affects hot-path latency (read-only).",
            discussion: "Exits 0 after printing (it is a report) unless --strict is given and a check failed."
        )

        @Option(help: "Hardware profile; without it the hot cores are the isolated set, else the last online core.")
        var profile: String?

        @Option(help: "Directory standing for / (a copy of another box's /proc and /sys).")
        var sysroot: String = "/"

        @Flag(help: "Print {\"checks\":[...]} instead of the table.")
        var json = false

        @Flag(help: "Exit non-zero when any check fails.")
        var strict = false

        func run() throws {
            let p = try profile.map(tuneLoadProfile)
            let results = TuneCheck.run(sysroot: sysroot, profile: p)
            if json {
                print(try TuneCheck.json(results))
            } else {
                print(TuneCheck.table(results))
            }
            if strict && TuneCheck.hasFailures(results) { throw ExitCode.failure }
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the run-time knobs (governor, C-states, THP, IRQ affinity, sysctls); boot parameters need `tune cmdline`.",
            discussion: "Failed writes are reported and skipped (EIO on managed IRQs is normal). Nothing here survives a reboot."
        )

        @Flag(help: "Print the writes without performing them.")
        var dryRun = false

        @Option(help: "Hardware profile (hot and housekeeping cores); without it the isolated set is hot.")
        var profile: String?

        @Option(help: "Directory standing for /.")
        var sysroot: String = "/"

        @Flag(help: "Print one JSON object: {\"dry_run\":..,\"writes\":[{\"path\",\"value\",\"reason\",\"error\"}]}.")
        var json = false

        struct Report: Encodable {
            struct Entry: Encodable {
                var path: String
                var value: String
                var reason: String
                var error: String?
            }
            var dryRun: Bool
            var writes: [Entry]
        }

        func run() throws {
            let p = try profile.map(tuneLoadProfile)
            let plan = TuneApply.plan(sysroot: sysroot, profile: p)
            let outcomes = TuneApply.execute(plan, dryRun: dryRun, log: json ? { _ in } : { print($0) })
            if json {
                let enc = JSONEncoder()
                enc.keyEncodingStrategy = .convertToSnakeCase
                enc.outputFormatting = [.sortedKeys]
                let r = Report(dryRun: dryRun, writes: outcomes.map {
                    Report.Entry(path: $0.write.path, value: $0.write.value, reason: $0.write.reason, error: $0.error)
                })
                if let d = try? enc.encode(r), let text = String(data: d, encoding: .utf8) { print(text) }
                return
            }
            if plan.isEmpty {
                print("nothing to change")
                return
            }
            let failed = outcomes.filter { $0.error != nil }.count
            print(dryRun ? "\(plan.count) write(s) planned (dry run)" : "\(plan.count - failed) written, \(failed) failed")
        }
    }

    struct Cmdline: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the kernel command line the profile needs.")

        @Option(help: "Hardware profile.")
        var profile: String

        @Flag(help: "One parameter a line, with the reason for it.")
        var explain = false

        func run() throws {
            let p = try tuneLoadProfile(profile)
            if explain {
                let params = TuneCommandLine.parameters(p)
                let width = params.map(\.text.count).max() ?? 0
                for k in params { print(k.text + String(repeating: " ", count: width - k.text.count) + "  # " + k.reason) }
            } else {
                print(TuneCommandLine.generate(p))
            }
        }
    }

    struct EAL: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "eal", abstract: "Print the DPDK EAL arguments for the profile (shell-quoted).")

        @Option(help: "Hardware profile.")
        var profile: String

        func run() throws {
            let p = try tuneLoadProfile(profile)
            print(EALArguments.build(p).map(tuneShellQuote).joined(separator: " "))
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a profile against this box; exits non-zero when the profile is refused here."
        )

        @Option(help: "Hardware profile.")
        var profile: String

        @Option(help: "Directory standing for /.")
        var sysroot: String = "/"

        func run() throws {
            let p = try tuneLoadProfile(profile)
            let findings = ProfileValidator.validate(p, host: HostSnapshot.read(sysroot: sysroot))
            for f in findings {
                print("\(f.severity.rawValue.uppercased()) \(f.check): \(f.message)")
                print("       fix: \(f.remedy)")
            }
            let refused = findings.filter { $0.severity == .refuse }.count
            if refused > 0 {
                throw tuneFail("profile \(p.box.name) refused on this box: \(refused) refusing finding(s)")
            }
            print("ok: profile \(p.box.name) accepted (\(findings.count) warning(s))")
        }
    }
}

/// Quotes an argument for a POSIX shell when it holds anything but safe characters ("0@(0-1)").
func tuneShellQuote(_ s: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:=@/+")
    if !s.isEmpty && s.allSatisfy({ safe.contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
