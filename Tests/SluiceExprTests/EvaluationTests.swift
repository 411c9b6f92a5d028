import SluiceExpr
import SluiceSupport
import XCTest

final class EvaluationTests: XCTestCase {
    func testArithmetic() {
        XCTAssertEqual(eval("value * 2", sample), .int(20))
        XCTAssertEqual(eval("value + price", sample), .double(12.5))
        XCTAssertEqual(eval("7 / 2"), .double(3.5))
        XCTAssertEqual(eval("6 / 3"), .double(2))
        XCTAssertEqual(eval("7 % 3"), .int(1))
        XCTAssertEqual(eval("-7 % 3"), .int(2))  // floored, like Python
        XCTAssertEqual(eval("7.5 % 2"), .double(1.5))
        XCTAssertEqual(eval("'ab' + 'cd'"), .string("abcd"))
        XCTAssertEqual(eval("-price", sample), .double(-2.5))
        XCTAssertEqual(eval("-9223372036854775807 - 1"), .int(Int64.min))
    }

    func testArithmeticErrors() {
        let division = evaluationError("value / (id - 1)", sample)
        XCTAssertEqual(division?.message, "division by zero")
        XCTAssertEqual(division?.offset, 6)
        XCTAssertEqual(evaluationError("1 % 0")?.message, "division by zero")
        XCTAssertEqual(evaluationError("1.5 / 0.0")?.message, "division by zero")
        let overflow = evaluationError("9223372036854775807 + 1")
        XCTAssertEqual(overflow?.offset, 20)
        XCTAssertEqual(overflow?.message.hasPrefix("integer overflow in '+'"), true)
        XCTAssertNotNil(evaluationError("4611686018427387904 * 2"))
        XCTAssertNotNil(evaluationError("-(-9223372036854775807 - 1)"))
        let type = evaluationError("category * 2", sample)
        XCTAssertEqual(type?.message, "cannot apply '*' to string and integer")
        XCTAssertEqual(type?.offset, 9)
        XCTAssertEqual(evaluationError("nothing + 1", sample)?.message, "cannot apply '+' to null and integer")
        XCTAssertEqual(evaluationError("-category", sample)?.message, "cannot apply '-' to string")
        XCTAssertEqual(evaluationError("1e300 * 1e300")?.message, "number overflow in '*'")
    }

    func testComparison() {
        XCTAssertEqual(eval("1 == 1.0"), .bool(true))
        XCTAssertEqual(eval("1 != 1.5"), .bool(true))
        XCTAssertEqual(eval("'a' == 'a'"), .bool(true))
        XCTAssertEqual(eval("null == null"), .bool(true))
        XCTAssertEqual(eval("nothing == 0", sample), .bool(false))
        XCTAssertEqual(eval("'1' == 1"), .bool(false))
        XCTAssertEqual(eval("[1, 2] == [1.0, 2]"), .bool(true))
        XCTAssertEqual(eval("user == user", sample), .bool(true))
        XCTAssertEqual(eval("2 < 2.5"), .bool(true))
        XCTAssertEqual(eval("2 <= 2"), .bool(true))
        XCTAssertEqual(eval("3 > 2.5"), .bool(true))
        XCTAssertEqual(eval("3 >= 4"), .bool(false))
        XCTAssertEqual(eval("9007199254740993 > 9007199254740992.0"), .bool(true))  // exact int/double
        XCTAssertEqual(eval("'apple' < 'banana'"), .bool(true))
        XCTAssertEqual(eval("1 in [1.0, 2]"), .bool(true))
        XCTAssertEqual(eval("category in [value, 'A']", sample), .bool(true))
        let mixed = evaluationError("category < 1", sample)
        XCTAssertEqual(mixed?.message, "cannot compare string and integer with '<'")
        XCTAssertEqual(mixed?.offset, 9)
        XCTAssertEqual(evaluationError("nothing > 1", sample)?.message, "cannot compare null and integer with '>'")
        XCTAssertEqual(evaluationError("1 in tags[0]", sample)?.message, "'in' needs an array on the right, got string")
        XCTAssertNotNil(syntaxError("1 in 'abc'"))
    }

    func testLogic() {
        XCTAssertEqual(eval("flag and value > 1", sample), .bool(true))
        XCTAssertEqual(eval("false and missing", sample), .bool(false))  // short-circuit
        XCTAssertEqual(eval("true or missing", sample), .bool(true))
        XCTAssertEqual(eval("not flag", sample), .bool(false))
        let and = evaluationError("flag and value", sample)
        XCTAssertEqual(and?.message, "'and' needs boolean operands, got integer")
        XCTAssertEqual(and?.offset, 9)
        XCTAssertEqual(evaluationError("value or true", sample)?.offset, 0)
        XCTAssertEqual(evaluationError("not value", sample)?.message, "'not' needs boolean operands, got integer")
    }

    func testMissingFieldsAndNulls() {
        let missing = evaluationError("value + user.age", sample)
        XCTAssertEqual(missing?.message, "field 'user.age' is missing")
        XCTAssertEqual(missing?.offset, 8)
        XCTAssertEqual(evaluationError("a.b", sample)?.message, "field 'a' is missing")
        XCTAssertEqual(evaluationError("user.address.city", sample)?.message, "field 'user.address.city' is missing ('user.address' is null)")
        XCTAssertEqual(evaluationError("category.x", sample)?.message, "field 'category.x' is missing ('category' is a string, not an object)")
        XCTAssertEqual(evaluationError("tags[5]", sample)?.message, "field 'tags[5]' is missing ('tags' has 2 elements)")
        XCTAssertEqual(evaluationError("x", .string("raw"))?.message, "field 'x' is missing (the record value is a string, not an object)")
        XCTAssertEqual(eval("nothing", sample), .null)
        XCTAssertEqual(eval("user.address", sample), .null)
        XCTAssertEqual(eval("user.age ?? 0", sample), .int(0))
        XCTAssertEqual(eval("user.address.city ?? 'none'", sample), .string("none"))
        XCTAssertEqual(eval("nothing ?? 'dflt'", sample), .string("dflt"))
        XCTAssertEqual(eval("value ?? 0", sample), .int(10))
        XCTAssertEqual(eval("a ?? b ?? 3", sample), .int(3))
        XCTAssertEqual(eval("tags[9] ?? 'none'", sample), .string("none"))
        XCTAssertEqual(eval("coalesce(a, nothing, user.name)", sample), .string("ann"))
        XCTAssertEqual(eval("coalesce(a, nothing)", sample), .null)
        XCTAssertEqual(eval("has(user.name)", sample), .bool(true))
        XCTAssertEqual(eval("has(user.age)", sample), .bool(false))
        XCTAssertEqual(eval("has(nothing)", sample), .bool(true))
        XCTAssertEqual(evaluationError("(a + 1) ?? 0", sample)?.message, "field 'a' is missing")
    }

    func testMetadataFunctions() throws {
        let context = EvaluationContext(
            value: sample, key: .string("k1"), timestamp: 1_736_990_000_000, now: 42,
            topic: "input-topic", partition: 3, offset: 99,
            headers: [Header("trace", "a"), Header("trace", "b"), Header(name: "empty", value: nil)])
        func run(_ source: String) throws -> Value { try SluiceExpr.Expression.parse(source).evaluate(context) }
        XCTAssertEqual(try run("now()"), .int(42))
        XCTAssertEqual(try run("key()"), .string("k1"))
        XCTAssertEqual(try run("timestamp()"), .int(1_736_990_000_000))
        XCTAssertEqual(try run("topic()"), .string("input-topic"))
        XCTAssertEqual(try run("partition()"), .int(3))
        XCTAssertEqual(try run("offset()"), .int(99))
        XCTAssertEqual(try run("header('trace')"), .string("b"))
        XCTAssertEqual(try run("header('empty')"), .null)
        XCTAssertEqual(try run("header('absent')"), .null)
    }

    func testEvaluateCondition() throws {
        let filter = try SluiceExpr.Expression.parse("value > 0")
        XCTAssertTrue(try filter.evaluateCondition(EvaluationContext(value: sample)))
        let notBool = try SluiceExpr.Expression.parse("value")
        XCTAssertThrowsError(try notBool.evaluateCondition(EvaluationContext(value: sample)))
    }

    func testConcurrentEvaluation() async throws {
        let expression = try SluiceExpr.Expression.parse("value * 2 + length(category)")
        let results = await withTaskGroup(of: Value?.self) { group in
            for i in 0..<8 {
                group.addTask {
                    try? expression.evaluate(EvaluationContext(value: .object(["value": .int(Int64(i)), "category": .string("ab")])))
                }
            }
            var all: [Value?] = []
            for await result in group { all.append(result) }
            return all
        }
        XCTAssertEqual(Set(results.compactMap { $0 }), Set((0..<8).map { Value.int(Int64($0) * 2 + 2) }))
    }
}
