import Foundation
import SluiceCore
import XCTest

/// Each `Fixtures/bad/NAME.yaml` is validated and its report compared with `NAME.expected`, the
/// exact text `sluice validate NAME.yaml` prints from that folder. Run with
/// `SLUICE_UPDATE_GOLDEN=1` to rewrite the expected files after a deliberate change.
final class GoldenTests: XCTestCase {
    func testBadPipelinesGiveTheirExpectedDiagnostics() throws {
        let folder = SpecFixtures.bad
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 6)
        let update = ProcessInfo.processInfo.environment["SLUICE_UPDATE_GOLDEN"] == "1"
        for name in files {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let diagnostics = PipelineLoader.load(text: text, file: name, baseDirectory: folder.path).diagnostics
            let actual = ValidationReport(files: [(name, diagnostics)]).render(.text)
            let expectedURL = folder.appendingPathComponent(name.replacingOccurrences(of: ".yaml", with: ".expected"))
            if update {
                try actual.write(to: expectedURL, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try? String(contentsOf: expectedURL, encoding: .utf8)
            XCTAssertEqual(actual, expected ?? "(no \(expectedURL.lastPathComponent))", name)
            XCTAssertTrue(diagnostics.contains { $0.severity == .error }, "\(name) should have errors")
        }
    }
}
