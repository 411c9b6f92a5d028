import SluiceExpr
import SluiceSupport
import XCTest

final class TypeInferenceTests: XCTestCase {
    /// `{id: integer, value: number, category: string (enum A, B), score: integer or null,
    /// flag: boolean, tags: [string], customer: {name: string}}`, fields closed.
    private let record: JSONType = {
        func field(_ name: String, _ kinds: JSONKinds) -> JSONProperty {
            JSONProperty(name: name, type: .of(kinds, origin: "schema: #/properties/\(name)"), required: true)
        }
        var category = field("category", .string)
        category.type.allowedValues = [.string("A"), .string("B")]
        let customer = JSONType(
            kinds: .object, properties: [JSONProperty(name: "name", type: .of(.string), required: true)],
            origin: "schema: #/properties/customer")
        return JSONType(kinds: .object, properties: [
            field("id", .integer), field("value", .numeric), category, field("score", [.integer, .null]),
            field("flag", .boolean), JSONProperty(name: "tags", type: JSONType(kinds: .array, items: .of(.string)), required: false),
            JSONProperty(name: "customer", type: customer, required: true),
        ])
    }()

    private func infer(_ source: String, on record: JSONType? = nil) throws -> TypeInference {
        try Expression.parse(source).inferType(record: record ?? self.record)
    }

    private func kinds(_ source: String) throws -> JSONKinds {
        let inference = try infer(source)
        XCTAssertEqual(inference.issues.map(\.message), [], source)
        return inference.type.kinds
    }

    private func issues(_ source: String) throws -> [String] {
        try infer(source).issues.map { "\($0.offset) \($0.severity.rawValue) \($0.code): \($0.message)" }
    }

    func testResultTypes() throws {
        XCTAssertEqual(try kinds("id * 2"), .integer)
        XCTAssertEqual(try kinds("id / 2"), .number)
        XCTAssertEqual(try kinds("id + value"), .numeric)
        XCTAssertEqual(try kinds("id + 1.5"), .number)
        XCTAssertEqual(try kinds("id % 3"), .integer)
        XCTAssertEqual(try kinds("category + \"x\""), .string)
        XCTAssertEqual(try kinds("now()"), .integer)
        XCTAssertEqual(try kinds("lower(category)"), .string)
        XCTAssertEqual(try kinds("key()"), [.string, .null])
        XCTAssertEqual(try kinds("score ?? 0"), .integer)
        XCTAssertEqual(try kinds("if(flag, 1, \"x\")"), [.integer, .string])
        XCTAssertEqual(try kinds("split(category, \",\")[0]"), .string)
        XCTAssertEqual(try kinds("tags[0]"), .string)
        XCTAssertEqual(try kinds("customer.name"), .string)
        XCTAssertEqual(try kinds("[1, 2.5]"), .array)
        XCTAssertEqual(try kinds("abs(id)"), .integer)
        XCTAssertEqual(try kinds("round(value)"), .numeric)
        XCTAssertEqual(try kinds("value > 1 and not flag"), .boolean)
    }

    func testAggregateResultTypes() throws {
        XCTAssertEqual(try kinds("count()"), .integer)
        XCTAssertEqual(try kinds("sum(id)"), .integer)
        XCTAssertEqual(try kinds("sum(value)"), .numeric)
        XCTAssertEqual(try kinds("avg(id)"), .number)
        XCTAssertEqual(try kinds("avg(score)"), [.number, .null])
        XCTAssertEqual(try kinds("min(category)"), .string)
        XCTAssertEqual(try kinds("max(id)"), .integer)
        XCTAssertEqual(try kinds("sum(id) / count()"), .number)
        XCTAssertEqual(try kinds("count_distinct(category)"), .integer)
    }

    func testUnknownRecordsAllowEverything() throws {
        for source in ["anything.at.all * 2", "x + y", "not z", "sum(q)", "a[3].b < \"x\"", "this == 1"] {
            XCTAssertEqual(try infer(source, on: .any).issues.map(\.message), [], source)
        }
        XCTAssertEqual(try infer("x * 2", on: .any).type.kinds, .numeric)
    }

    func testUnknownFieldsCarryWhatCallersNeed() throws {
        let inference = try infer("value > 0 and customer.nmae == categroy")
        let unknown = inference.issues.compactMap(\.unknownField)
        XCTAssertEqual(unknown.map(\.text), ["customer.nmae", "categroy"])
        XCTAssertEqual(unknown.map(\.name), ["nmae", "categroy"])
        XCTAssertEqual(unknown.map(\.parentText), ["customer", ""])
        XCTAssertEqual(unknown.map(\.isTopLevel), [false, true])
        XCTAssertEqual(unknown[0].parent.properties.map(\.name), ["name"])
        XCTAssertEqual(inference.issues.map(\.offset), [14, 31])
    }

    func testTypeMismatchesPointAtTheOperand() throws {
        XCTAssertEqual(try issues("value * category"), [
            "8 error type-mismatch: 'category' is a string (schema: #/properties/category); cannot use it in '*'",
        ])
        XCTAssertEqual(try issues("category + 1"), [
            "0 error type-mismatch: cannot apply '+' to 'category' (a string, schema: #/properties/category) and 1 (an integer)",
        ])
        XCTAssertEqual(try issues("1 < category"), [
            "4 error type-mismatch: cannot compare 1 (an integer) with 'category' (a string, schema: #/properties/category) using '<'",
        ])
        XCTAssertEqual(try issues("sum(category)"), [
            "4 error type-mismatch: 'category' is a string (schema: #/properties/category); sum() needs a number",
        ])
        XCTAssertEqual(try issues("flag and id"), [
            "9 error type-mismatch: 'id' is an integer (schema: #/properties/id); 'and' needs true or false",
        ])
        XCTAssertEqual(try issues("substring(category, \"2\")"), [
            "20 error type-mismatch: \"2\" is a string; substring() needs a number as argument 2",
        ])
        XCTAssertEqual(try issues("category.x"), [
            "0 error type-mismatch: 'category' is a string (schema: #/properties/category); it has no field 'x'",
        ])
    }

    func testNullableOperandsAreWarnings() throws {
        XCTAssertEqual(try issues("score * 2"), [
            "0 warning possible-type-mismatch: 'score' may be null (schema: #/properties/score); '*' fails on that and the record becomes an error record",
        ])
        XCTAssertEqual(try issues("(score ?? 0) * 2"), [])
        XCTAssertEqual(try issues("coalesce(score, 1) > 0"), [])
        XCTAssertEqual(try issues("sum(score)"), [], "aggregates skip nulls")
    }

    func testEqualityAcrossKindsIsAWarning() throws {
        XCTAssertEqual(try issues("id == \"1\""), [
            "0 warning incompatible-comparison: 'id' (an integer, schema: #/properties/id) and \"1\" (a string) are never equal: '==' is always false",
        ])
        XCTAssertEqual(try issues("category != \"C\""), [
            "12 warning incompatible-comparison: 'category' is one of \"A\", \"B\" (schema: #/properties/category), never \"C\": '!=' is always true",
        ])
        XCTAssertEqual(try issues("id == 1.0 or category == \"A\" or score != null"), [])
    }

    func testConditions() throws {
        let record = self.record
        func condition(_ source: String) throws -> [String] {
            try Expression.parse(source).inferCondition(record: record, role: "a filter condition").issues.map(\.message)
        }
        XCTAssertEqual(try condition("category"), [
            "'category' is a string (schema: #/properties/category); a filter condition must be true or false",
        ])
        XCTAssertEqual(try condition("lower(category)"), [
            "'lower(category)' is a string; a filter condition must be true or false",
        ])
        XCTAssertEqual(try condition("flag"), [])
        XCTAssertEqual(try condition("has(score) and score > 1").count, 1, "has() does not narrow the type")
    }

    func testKindDescriptions() {
        XCTAssertEqual(JSONKinds.string.description, "a string")
        XCTAssertEqual(JSONKinds.numeric.description, "a number")
        XCTAssertEqual(JSONKinds([.integer, .null]).description, "an integer or null")
        XCTAssertEqual(JSONKinds([.boolean, .string, .array]).description, "a boolean, a string or an array")
        XCTAssertEqual(JSONKinds.all.description, "anything")
    }
}
