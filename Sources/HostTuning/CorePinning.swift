// Pinning for threads the EAL does not create (the hot loop when it is not an lcore, the
// telemetry and journal threads, the control plane, tests). Everything must be pinned
// explicitly or the scheduler may put it on a hot core the moment that core looks idle.
// The affinity calls themselves live in the C shim (CPU_SET is a macro Swift cannot call).
import CShims
import TickwireCore

/// A failed affinity call, with the errno text the kernel gave.
public struct CorePinningError: Error, Sendable, Equatable, CustomStringConvertible {
    public let core: Int
    public let errno: Int32
    public let reason: String

    public var description: String { "cannot pin thread to core \(core): \(reason) (errno \(errno))" }
}

public enum CorePinning {
    /// CPUs representable in a glibc cpu_set_t.
    public static let maxCores = 1024

    /// Pins the calling thread to one core. Fails with EINVAL when the core is offline, absent or
    /// outside the process's cpuset (e.g. a container limited to other CPUs).
    public static func pinCurrentThread(toCore core: Int) throws {
        guard core >= 0 && core < maxCores else {
            throw CorePinningError(core: core, errno: 22, reason: "core \(core) is outside 0..<\(maxCores)")
        }
        do {
            try ThreadPlacement.pinCurrentThread(to: core)
        } catch {
            throw CorePinningError(core: core, errno: error.errno, reason: error.reason)
        }
    }

    /// Pins the calling thread to the first core of `role` in `profile`.
    public static func pinCurrentThread(role: ThreadRole, profile: HWProfile) throws {
        guard let core = profile.core(for: role) else {
            throw CorePinningError(core: -1, errno: 22, reason: "the profile has no core for role \(role.rawValue)")
        }
        try pinCurrentThread(toCore: core)
    }

    /// The CPUs the calling thread may run on (empty if the call fails).
    public static func currentAffinity() -> [Int] { ThreadPlacement.currentAffinity() }

    /// The calling thread's kernel id (what /proc/self/task/TID names).
    public static func currentThreadID() -> Int? { Int(tw_gettid()) }
}
