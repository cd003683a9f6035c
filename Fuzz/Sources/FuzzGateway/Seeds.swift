import Foundation

/// Scripts of honest sessions (see `Script.step` for the opcodes): orders entered and answered,
/// partial and full fills at the limit, cancels, replaces, heartbeats and a reconnect.
func writeSeeds(to dir: String) -> Int32 {
    func u16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    var seeds: [String: [UInt8]] = [:]
    for (name, config) in [("v42", UInt8(2)), ("v50", UInt8(3))] {
        var s: [UInt8] = [config]
        // Three buys and a sell at $10 (price 90,000 + 10,000), 100..400 shares.
        for k in 0..<4 { s += [0, UInt8(k % 3), k == 3 ? 1 : 0] + u16(100 * (k + 1) - 1) + u16(10_000) }
        s += [9]                                   // a heartbeat
        s += [3, 1, 0, 4, 0, 0, 7]                 // order 0: half its leaves executed at its price
        s += [3, 1, 1, 2, 0, 0, 8]                 // order 1: all of its leaves
        s += [1, 2, 0]                             // cancel order 2
        s += [2, 3] + u16(49) + u16(10_050)        // replace order 3
        s += [7] + u16(2)                          // 2 ms pass
        s += [8, 1]                                // reconnect; the replay ends at a heartbeat
        s += [0, 1, 2] + u16(9) + u16(9_000)       // an IOC
        seeds["honest-\(name)"] = s
        // The same, then a lie: an execution beyond the open shares.
        seeds["overfill-\(name)"] = s + [3, 1, 0, 3, 0, 0, 9]
    }
    do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, bytes) in seeds { try Data(bytes).write(to: URL(fileURLWithPath: dir).appendingPathComponent(name)) }
    } catch {
        print("cannot write seeds: \(error)")
        return 1
    }
    return 0
}
