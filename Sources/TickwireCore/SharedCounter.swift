// A number a cold thread publishes and the hot loop reads (or the other way round) without a
// lock: one atomic UInt64 on its own cache line. A value type around a pointer, so reading it
// from the hot loop costs no reference counting; whoever creates it calls `destroy()` once.
public import Atomics

public struct SharedCounter: @unchecked Sendable {
    @usableFromInline let cell: UnsafeAtomic<UInt64>
    let block: UnsafeMutableRawPointer

    public init(_ value: UInt64 = 0) {
        block = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 128)
        cell = UnsafeAtomic(at: block.bindMemory(to: UInt64.AtomicRepresentation.self, capacity: 1))
        cell.store(value, ordering: .relaxed)
    }

    public func destroy() { block.deallocate() }

    @inlinable public func load() -> UInt64 { cell.load(ordering: .acquiring) }
    @inlinable public func store(_ value: UInt64) { cell.store(value, ordering: .releasing) }
}
