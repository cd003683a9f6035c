import ArgumentParser
import Foundation

@main
struct Tickwire: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickwire",
        abstract: "Tickwire: a kernel-bypass tick-to-trade appliance (DPDK + Swift).",
        subcommands: [Doctor.self, Replay.self, Gen.self, RecordFeatures.self, BacktestCommand.self, TCACommand.self, Bench.self, ExchangeCommand.self, GatewayCommand.self, DemoCommand.self, RunCommand.self, LatencyCommand.self, Tune.self, NetCheck.self, ValidateCommand.self, EventsCommand.self]
    )
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks of the hot path's parts.",
        subcommands: [BenchIO.self, BenchBook.self, BenchGateway.self, BenchT2T.self, BenchInfer.self]
    )
}

/// Prints an Encodable as one line of JSON with snake_case keys (the stable keys of the contract).
func printJSON<T: Encodable>(_ value: T) {
    let enc = JSONEncoder()
    enc.keyEncodingStrategy = .convertToSnakeCase
    enc.outputFormatting = [.sortedKeys]
    if let data = try? enc.encode(value), let s = String(data: data, encoding: .utf8) {
        print(s)
    }
}

/// A clean exit with a message on stderr for errors the user can act on.
struct UserFacingError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data(("tickwire: " + message + "\n").utf8))
    return ExitCode.failure
}
