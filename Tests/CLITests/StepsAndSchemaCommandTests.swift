import Foundation
import SluiceSupport
import XCTest

final class StepsAndSchemaCommandTests: XCTestCase {
    func testStepsListsEveryStep() throws {
        let result = try SluiceBinary.run(["steps"])
        XCTAssertEqual(result.status, 0)
        for name in ["filter", "map", "select", "drop", "to", "aggregate", "window"] {
            XCTAssertTrue(result.stdout.contains("\n  \(name) "), name)
        }
    }

    func testStepReference() throws {
        let result = try SluiceBinary.run(["steps", "window"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.hasPrefix("window: "))
        XCTAssertTrue(result.stdout.contains("NAME"))
        XCTAssertTrue(result.stdout.contains("tumbling | hopping | sliding | session"))
        XCTAssertTrue(result.stdout.contains("Example:\n  - window:"))
    }

    func testUnknownStepSuggestsAndExitsTwo() throws {
        let result = try SluiceBinary.run(["steps", "fliter"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("unknown step 'fliter' (did you mean 'filter'?)"), result.stderr)
    }

    func testSchemaIsJSON() throws {
        let result = try SluiceBinary.run(["schema"])
        XCTAssertEqual(result.status, 0)
        let schema = try JSON.parse(result.stdout)
        XCTAssertEqual(schema.objectValue?["$schema"], .string("http://json-schema.org/draft-07/schema#"))
        XCTAssertNotNil(schema.objectValue?["definitions"]?.objectValue?["step-window"])
    }
}
