// Paths of the shipped profiles and the fixture sysroots, relative to this file so the tests run
// from any working directory without copying resources.
import Foundation

enum Paths {
    /// Tests/HostTuningTests
    static let testsDir: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
    /// The package root.
    static let packageRoot: String = URL(fileURLWithPath: testsDir).deletingLastPathComponent().deletingLastPathComponent().path

    static func fixture(_ name: String) -> String { testsDir + "/Fixtures/" + name }
    static func profile(_ name: String) -> String { packageRoot + "/hw-profiles/" + name }
    static func fixtureProfile(_ name: String) -> String { testsDir + "/Fixtures/profiles/" + name }
}
