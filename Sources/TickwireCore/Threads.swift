// Thread placement for threads that the EAL did not create (cold threads, tests, the kernel
// backend's hot loop). EAL lcores are pinned by the EAL itself from --lcores.
import CShims

public enum ThreadPlacement {
    /// Pins the calling thread to `cpu` (pthread_setaffinity_np).
    public static func pinCurrentThread(to cpu: Int) throws(SystemError) {
        _ = try Syscall.shimChecked("pthread_setaffinity_np(cpu \(cpu))", tw_thread_pin_self(Int32(cpu)))
    }

    /// Names the calling thread as `ps -L`/`top -H` and /proc/self/task/*/comm show it
    /// (the kernel keeps 15 characters).
    public static func nameCurrentThread(_ name: String) throws(SystemError) {
        _ = try Syscall.shimChecked("pthread_setname_np(\(name))", tw_thread_set_name_self(name))
    }

    /// Lets the calling thread run on `cpus` again (after a pin: children started from it
    /// inherit its affinity).
    public static func setCurrentAffinity(_ cpus: [Int]) throws(SystemError) {
        let c = cpus.map(Int32.init)
        _ = try Syscall.shimChecked("pthread_setaffinity_np(\(cpus))",
                                    c.withUnsafeBufferPointer { tw_thread_set_affinity_self($0.baseAddress, Int32($0.count)) })
    }

    /// Lets thread `tid` of this process (its kernel id, as /proc/self/task lists it) run on
    /// `cpus` only.
    public static func setAffinity(tid: Int32, _ cpus: [Int]) throws(SystemError) {
        let c = cpus.map(Int32.init)
        _ = try Syscall.shimChecked("sched_setaffinity(tid \(tid), \(cpus))",
                                    c.withUnsafeBufferPointer { tw_thread_set_affinity_tid(tid, $0.baseAddress, Int32($0.count)) })
    }

    /// The CPUs the calling thread may run on.
    public static func currentAffinity() -> [Int] {
        var cpus = [Int32](repeating: 0, count: 1024)
        let rc = cpus.withUnsafeMutableBufferPointer { tw_thread_affinity_self($0.baseAddress, 1024) }
        guard case .success(let n) = Syscall.shim("pthread_getaffinity_np", rc) else { return [] }
        return cpus[0..<Int(n)].map(Int.init)
    }

    /// The CPU the calling thread runs on at this instant.
    public static var currentCPU: Int { Int(tw_current_cpu()) }
}

#if canImport(Glibc)
import Glibc
#endif

/// Signals a command handles. A parent may start us with them blocked (the mask is inherited
/// across fork and exec: a test runner's threads, a supervisor's), and a blocked SIGTERM would
/// leave a run that cannot be stopped: `handle` installs the handler and unblocks the signal on
/// the calling thread (the main thread, before the command's threads start, which inherit it).
public enum Signals {
    public static func handle(_ signals: [Int32], _ handler: @convention(c) (Int32) -> Void) {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for s in signals {
            signal(s, handler)
            sigaddset(&unblock, s)
        }
        _ = Syscall.shim("pthread_sigmask(SIG_UNBLOCK)", 0 - pthread_sigmask(SIG_UNBLOCK, &unblock, nil))
    }
}
