import OrderEntry
import Testing
import TickwireCore

@Suite struct OrderStoreTests {
    /// Executions travel along a replace chain, and a replace the venue answers by taking the
    /// order out (its size no more than what executed) closes the replacement as rejected.
    @Test func chainExecutionsAndAReplaceThatTakesTheOrderOut() {
        let s = OrderStore(capacity: 64)
        let l = StockLocate(rawValue: 1)
        #expect(s.new(id: 1, locate: l, side: .sell, price: Price(rawValue: 100), quantity: 1_000))
        s.accepted(id: 1, venueRef: OrderRef(rawValue: 11), shares: 1_000)
        #expect(s.executed(id: 1, shares: 300, price: Price(rawValue: 100)))
        #expect(s.new(id: 2, locate: l, side: .sell, price: Price(rawValue: 200), quantity: 500, replaces: 1))
        s.replaceSent(old: 1, new: 2)
        #expect(s.executed(id: 1, shares: 100, price: Price(rawValue: 100)), "a fill of the old order in flight")
        s.replaced(old: 1, new: 2, venueRef: OrderRef(rawValue: 12), shares: 400, price: Price(rawValue: 200))
        #expect(s.order(2)?.chainFilled == 400 && s.order(2)?.leaves == 400)
        #expect(s.executed(id: 2, shares: 50, price: Price(rawValue: 200)))
        // The next replace carries 400 + 50 executed; the venue takes the order out instead.
        #expect(s.new(id: 3, locate: l, side: .sell, price: Price(rawValue: 300), quantity: 10, replaces: 2))
        s.replaceSent(old: 2, new: 3)
        s.canceled(id: 2, decrement: 350)
        #expect(s.order(2)?.status == .canceled)
        #expect(s.order(3)?.status == .rejected, "the replacement will never be accepted")
        #expect(s.openCount == 0)
        #expect(s.counters.violations == 0)
    }
}
