import Foundation
@testable import SluiceCore
import SluiceExpr
import SluiceSupport
import XCTest

final class TypeCheckTests: XCTestCase {
    /// The record type after each step of a valid pipeline file, as `name: kinds` lines.
    private func stepTypes(_ path: URL) throws -> [[String]] {
        let spec = try XCTUnwrap(PipelineLoader.load(file: path.path).spec, path.lastPathComponent)
        var checker = TypeChecker(origins: [:], fieldLists: [:])
        checker.check(source: spec.source, eventTimeLocation: nil, steps: spec.steps, sinks: spec.sinks)
        XCTAssertEqual(checker.diagnostics.all.map(\.description), [])
        return checker.stepTypes.map { type in
            type?.properties.map { "\($0.name): \($0.type.kinds.description)" } ?? []
        }
    }

    func testSeedProcessorTypes() throws {
        let types = try stepTypes(SpecFixtures.pipelines.appendingPathComponent("seed-processor.yaml"))
        XCTAssertEqual(types[0], [
            "id: an integer", "timestamp: an integer", "value: an integer", "category: a string",
            "processed_value: an integer", "processed_at: an integer",
        ])
        XCTAssertEqual(types[1], types[0], "to passes records on unchanged")
        XCTAssertEqual(types[2], ["category: a string", "count: an integer", "sum: an integer", "average: a number"])
    }

    func testWindowResultTypes() throws {
        let types = try stepTypes(SpecFixtures.pipelines.appendingPathComponent("category-windows.yaml"))
        XCTAssertEqual(types.last, [
            "category: a string", "window_start: an integer", "window_end: an integer", "count: an integer",
            "sum: an integer", "average: a number", "min: an integer", "max: an integer",
        ])
    }

    func testSchemaConversion() throws {
        let url = SchemaGoldenTests.folder.appendingPathComponent("order.schema.json")
        let type = SchemaTypes.type(of: try JSON.parse(Array(try Data(contentsOf: url))))
        XCTAssertEqual(type.kinds, .object)
        XCTAssertFalse(type.openFields, "listed properties are the complete set")
        XCTAssertEqual(type.field("amount")?.kinds, .numeric)
        XCTAssertEqual(type.field("quantity")?.kinds, .integer)
        XCTAssertEqual(type.field("created_ms")?.kinds, [.integer, .null])
        XCTAssertEqual(type.field("discount")?.kinds, [.integer, .number, .null], "nullable: true")
        XCTAssertEqual(type.field("status")?.allowedValues, [.string("new"), .string("paid"), .string("shipped")])
        XCTAssertEqual(type.field("tags")?.items?.origin, "schema: #/properties/tags/items")
        XCTAssertEqual(type.field("customer")?.field("tier")?.origin, "schema: #/properties/customer/properties/tier")
        XCTAssertNil(type.field("nope"))
        XCTAssertNil(type.field("customer")?.field("nope"))
        XCTAssertEqual(type.field("metrics")?.field("anything")?.origin, "schema: #/properties/metrics/additionalProperties")
        XCTAssertEqual(type.field("attributes")?.field("anything")?.isUnknown, true, "no properties: any field")
        XCTAssertTrue(SchemaTypes.isRequired(["amount"], in: type))
        XCTAssertFalse(SchemaTypes.isRequired(["customer", "name"], in: type), "customer itself is optional")
        XCTAssertEqual(SchemaTypes.escape("a/b~c"), "a~1b~0c")
    }

    func testSchemaKeywordsOutsideTheSubsetMeanAnything() {
        let schema: Value = .object([
            "properties": .object([
                "either": .object(["anyOf": .array([.object(["type": .string("string")])])]),
                "fixed": .object(["const": .int(3)]),
            ]),
            "additionalProperties": .bool(true),
        ])
        let type = SchemaTypes.type(of: schema)
        XCTAssertTrue(type.isUnknown, "no type keyword")
        XCTAssertTrue(type.field("either")?.isUnknown ?? false)
        XCTAssertEqual(type.field("fixed")?.kinds, .integer, "kinds of the const value")
        XCTAssertEqual(type.field("other")?.isUnknown, true, "additionalProperties: true")
    }

    func testWithoutASchemaNothingIsCheckedUntilTheFieldsAreKnown() {
        let text = SpecFixtures.pipeline(steps: """
              - filter: whatever * 2 > 1 and lower(x) == "a"
              - map: {set: {n: y * 2}}
              - filter: n > "a"
              - select: [n, z]
              - filter: z.q > 0 and w > 0
            """)
        XCTAssertEqual(SpecFixtures.load(text).diagnostics.map(\.description), [
            "test.yaml:7:13: error: cannot compare 'n' (a number, map step, line 6) with \"a\" (a string) using '>' [type-mismatch]",
            "test.yaml:9:25: error: unknown field 'w'; after the select step (line 8) records have: n, z [unknown-field]",
        ])
    }

    func testSelectAndDropItemsAreReportedAtTheirOwnPlace() {
        let text = """
            pipeline: t
            source:
              topics: [in]
              schema: ../schemas/tutorial-record.schema.json
            steps:
              - select:
                  - id
                  - vlaue
              - drop: [id, catgory]
            sinks: [{topic: out}]
            """
        XCTAssertEqual(SpecFixtures.load(text).diagnostics.map { "\($0.location?.line ?? 0):\($0.location?.column ?? 0)" }, [
            "8:9", "9:16",
        ])
    }
}
