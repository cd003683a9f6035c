import Testing
@testable import Training

@Suite struct RecorderTests {
    @Test func aucOfKnownOrderings() {
        #expect(rocAUC([(0.1, 0), (0.2, 0), (0.8, 1), (0.9, 1)]) == 1)
        #expect(rocAUC([(0.9, 0), (0.8, 0), (0.2, 1), (0.1, 1)]) == 0)
        #expect(rocAUC([(0.5, 0), (0.5, 1)]) == 0.5, "ties count half")
    }
}
