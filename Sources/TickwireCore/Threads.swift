// Thread placement for threads that the EAL did not create (cold threads, tests, the kernel
// backend's hot loop). EAL lcores are pinned by the EAL itself from --lcores.
import CShims

public enum ThreadPlacement {
    /// Pins the calling thread to `cpu` (pthread_setaffinity_np).
    public static func pinCurrentThread(to cpu: Int) throws(SystemError) {
        let rc = tw_thread_pin_self(Int32(cpu))
        if rc != 0 {
            throw SystemError(call: "pthread_setaffinity_np(cpu \(cpu))", errno: -rc,
                              reason: String(cString: strerror(-rc)))
        }
    }

    /// Names the calling thread as `ps -L`/`top -H` and /proc/self/task/*/comm show it
    /// (the kernel keeps 15 characters).
    public static func nameCurrentThread(_ name: String) throws(SystemError) {
        let rc = tw_thread_set_name_self(name)
        if rc != 0 {
            throw SystemError(call: "pthread_setname_np(\(name))", errno: -rc,
                              reason: String(cString: strerror(-rc)))
        }
    }

    /// Lets the calling thread run on `cpus` again (after a pin: children started from it
    /// inherit its affinity).
    public static func setCurrentAffinity(_ cpus: [Int]) throws(SystemError) {
        let c = cpus.map(Int32.init)
        let rc = c.withUnsafeBufferPointer { tw_thread_set_affinity_self($0.baseAddress, Int32($0.count)) }
        if rc != 0 {
            throw SystemError(call: "pthread_setaffinity_np(\(cpus))", errno: -rc, reason: String(cString: strerror(-rc)))
        }
    }

    /// The CPUs the calling thread may run on.
    public static func currentAffinity() -> [Int] {
        var cpus = [Int32](repeating: 0, count: 1024)
        let n = cpus.withUnsafeMutableBufferPointer { tw_thread_affinity_self($0.baseAddress, 1024) }
        return n < 0 ? [] : cpus[0..<Int(n)].map(Int.init)
    }

    /// The CPU the calling thread runs on at this instant.
    public static var currentCPU: Int { Int(tw_current_cpu()) }
}

#if canImport(Glibc)
import Glibc
#endif
