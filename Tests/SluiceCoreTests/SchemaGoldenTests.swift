import Foundation
import SluiceCore
import SluiceSupport
import XCTest

/// Each `Fixtures/schema/NAME.yaml` is validated against the JSON Schema files next to it and its
/// report compared with `NAME.expected`: the exact text `sluice validate NAME.yaml` prints from
/// that folder (file, line, column, severity, message with the schema path, code). Run with
/// `SLUICE_UPDATE_GOLDEN=1` to rewrite the expected files after a deliberate change.
final class SchemaGoldenTests: XCTestCase {
    static let folder = SpecFixtures.root.appendingPathComponent("Tests/SluiceCoreTests/Fixtures/schema")

    func testSchemaDiagnosticsMatchTheirExpectedReports() throws {
        for (name, diagnostics) in try GoldenFixtures.check(Self.folder, minimumCount: 10) {
            if name == "clean.yaml" {
                XCTAssertEqual(rendered(diagnostics), "", "clean.yaml should type-check")
            } else {
                XCTAssertFalse(diagnostics.isEmpty, "\(name) should have diagnostics")
            }
            // Every diagnostic points into the pipeline file.
            for diagnostic in diagnostics {
                XCTAssertEqual(diagnostic.location?.file, name, diagnostic.description)
                XCTAssertGreaterThan(diagnostic.location?.line ?? 0, 1, diagnostic.description)
            }
        }
    }

    /// Type errors name the schema path of the field involved.
    func testTypeErrorsNameTheSchemaPath() {
        let (_, diagnostics) = load("arithmetic.yaml")
        let first = diagnostics.first { $0.code == "type-mismatch" }
        XCTAssertEqual(
            first?.message, "'category' is a string (schema: #/properties/category); cannot use it in '*'")
        XCTAssertEqual(first.flatMap(\.location).map { "\($0.line):\($0.column)" }, "9:26")
    }

    /// The JSON report carries the same file, line, column and message.
    func testJSONReportCarriesLocationsAndSchemaPaths() throws {
        let (_, diagnostics) = load("aggregates.yaml")
        let report = try JSON.parse(Array(ValidationReport(files: [("aggregates.yaml", diagnostics)]).render(.json).utf8))
        guard case .array(let items) = report, case .object(let first)? = items.first else {
            return XCTFail("expected an array of diagnostics")
        }
        XCTAssertEqual(first["file"], .string("aggregates.yaml"))
        XCTAssertEqual(first["line"], .int(13))
        XCTAssertEqual(first["column"], .int(20))
        XCTAssertEqual(first["code"], .string("type-mismatch"))
        XCTAssertEqual(first["message"]?.stringValue?.contains("(schema: #/properties/order_id)"), true)
    }

    private func load(_ name: String) -> (spec: PipelineSpec?, diagnostics: [Diagnostic]) {
        let url = Self.folder.appendingPathComponent(name)
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return PipelineLoader.load(text: text, file: name, baseDirectory: Self.folder.path)
    }
}
