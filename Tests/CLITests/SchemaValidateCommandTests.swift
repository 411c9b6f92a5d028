import Foundation
import XCTest

/// `sluice validate` on pipelines with record schemas prints exactly the schema golden files.
final class SchemaValidateCommandTests: XCTestCase {
    private let folder = SluiceBinary.root.appendingPathComponent("Tests/SluiceCoreTests/Fixtures/schema")

    func testSchemaGoldenFilesMatchTheCommandOutput() throws {
        for name in ["unknown-fields", "arithmetic", "aggregates", "step-flow", "event-time-type"] {
            let result = try SluiceBinary.run(["validate", name + ".yaml"], in: folder)
            let expected = try String(contentsOf: folder.appendingPathComponent(name + ".expected"), encoding: .utf8)
            XCTAssertEqual(result.status, 1, name)
            XCTAssertEqual(result.stdout, expected, name)
        }
    }

    func testWarningsAloneDoNotFailValidation() throws {
        let result = try SluiceBinary.run(["validate", "nullable.yaml"], in: folder)
        XCTAssertEqual(result.status, 0, result.stdout)
        XCTAssertTrue(result.stdout.hasSuffix("nullable.yaml: 2 warnings\n"), result.stdout)
    }

    func testGitHubAnnotationsCarryTheSchemaPath() throws {
        let result = try SluiceBinary.run(["validate", "--format", "github", "arithmetic.yaml"], in: folder)
        XCTAssertEqual(result.status, 1)
        let first = result.stdout.split(separator: "\n").first.map(String.init)
        XCTAssertEqual(
            first,
            "::error file=arithmetic.yaml,line=9,col=26::'category' is a string (schema: #/properties/category); cannot use it in '*' [type-mismatch]")
    }
}
