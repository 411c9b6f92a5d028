import Foundation
import SluiceCore
import XCTest

/// Each `Fixtures/bad/NAME.yaml` is validated and its report compared with `NAME.expected`, the
/// exact text `sluice validate NAME.yaml` prints from that folder. Run with
/// `SLUICE_UPDATE_GOLDEN=1` to rewrite the expected files after a deliberate change.
final class GoldenTests: XCTestCase {
    func testBadPipelinesGiveTheirExpectedDiagnostics() throws {
        for (name, diagnostics) in try GoldenFixtures.check(SpecFixtures.bad, minimumCount: 6) {
            XCTAssertTrue(diagnostics.contains { $0.severity == .error }, "\(name) should have errors")
        }
    }
}
