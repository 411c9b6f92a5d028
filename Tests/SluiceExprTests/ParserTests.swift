import SluiceExpr
import SluiceSupport
import XCTest

final class ParserTests: XCTestCase {
    func testLiterals() {
        XCTAssertEqual(eval("42"), .int(42))
        XCTAssertEqual(eval("-9223372036854775808"), .int(Int64.min))
        XCTAssertEqual(eval("9223372036854775807"), .int(Int64.max))
        XCTAssertEqual(eval("2.5"), .double(2.5))
        XCTAssertEqual(eval("1e3"), .double(1000))
        XCTAssertEqual(eval("1.5E-1"), .double(0.15))
        XCTAssertEqual(eval("'it\\'s'"), .string("it's"))
        XCTAssertEqual(eval("\"a\\n\\t\\\"b\\\\\""), .string("a\n\t\"b\\"))
        XCTAssertEqual(eval("'\\u00e9\\u{1F600}'"), .string("é😀"))
        XCTAssertEqual(eval("true"), .bool(true))
        XCTAssertEqual(eval("false"), .bool(false))
        XCTAssertEqual(eval("null"), .null)
        XCTAssertEqual(eval("[1, 'a', null, [true]]"), .array([.int(1), .string("a"), .null, .array([.bool(true)])]))
        XCTAssertEqual(eval("[]"), .array([]))
    }

    func testFieldPaths() {
        XCTAssertEqual(eval("value", sample), .int(10))
        XCTAssertEqual(eval("user.name", sample), .string("ann"))
        XCTAssertEqual(eval("user[\"x y\"]", sample), .int(7))
        XCTAssertEqual(eval("user['name']", sample), .string("ann"))
        XCTAssertEqual(eval("tags[0]", sample), .string("x"))
        XCTAssertEqual(eval("tags[-1]", sample), .string("y"))
        XCTAssertEqual(eval("this.value", sample), .int(10))
        XCTAssertEqual(eval("this", .int(3)), .int(3))
        XCTAssertEqual(eval("this[\"in\"]", .object(["in": .int(1)])), .int(1))
        XCTAssertEqual(eval("split('a,b', ',')[1]"), .string("b"))
        XCTAssertEqual(eval("(user).name", sample), .string("ann"))
    }

    func testPrecedence() {
        XCTAssertEqual(eval("1 + 2 * 3"), .int(7))
        XCTAssertEqual(eval("(1 + 2) * 3"), .int(9))
        XCTAssertEqual(eval("10 - 4 - 3"), .int(3))
        XCTAssertEqual(eval("-2 * 3"), .int(-6))
        XCTAssertEqual(eval("- (2 + 3)"), .int(-5))
        XCTAssertEqual(eval("--2"), .int(2))
        XCTAssertEqual(eval("1 + 2 == 3"), .bool(true))
        XCTAssertEqual(eval("not 1 == 2"), .bool(true))
        XCTAssertEqual(eval("true or false and false"), .bool(true))
        XCTAssertEqual(eval("(true or false) and false"), .bool(false))
        XCTAssertEqual(eval("!false && true || false"), .bool(true))
        XCTAssertEqual(eval("nothing ?? 1 + 2", sample), .int(3))  // ?? binds tighter than +
        XCTAssertEqual(eval("missing ?? 2 * 3", sample), .int(6))
        XCTAssertEqual(eval("1 + 2 in [3]"), .bool(true))
        XCTAssertEqual(eval("value > 5 and category in ['A', 'B']", sample), .bool(true))
        XCTAssertEqual(eval("category not in ['A', 'B']", sample), .bool(false))
        XCTAssertEqual(eval("not category in ['B']", sample), .bool(true))
    }

    func testSyntaxErrorOffsets() {
        let plus = syntaxError("category +")
        XCTAssertEqual(plus?.offset, 10)
        XCTAssertEqual(plus?.message, "expected an expression after '+'")

        let call = syntaxError("len(x")
        XCTAssertEqual(call?.offset, 5)
        XCTAssertEqual(call?.message, "expected ')' to close 'len('")

        let paren = syntaxError("(a + b")
        XCTAssertEqual(paren?.offset, 6)
        XCTAssertEqual(paren?.message, "expected ')' to close '('")

        XCTAssertEqual(syntaxError("a b")?.offset, 2)
        XCTAssertEqual(syntaxError("")?.offset, 0)
        XCTAssertEqual(syntaxError("a == ")?.message, "expected an expression after '=='")
        XCTAssertEqual(syntaxError("a = 1")?.message, "unexpected '='; use '==' to compare")
        XCTAssertEqual(syntaxError("a = 1")?.offset, 2)
        XCTAssertEqual(syntaxError("'abc")?.offset, 4)
        XCTAssertEqual(syntaxError("'a\\qb'")?.offset, 2)
        XCTAssertEqual(syntaxError("a.")?.message, "expected a field name after '.'")
        XCTAssertEqual(syntaxError("a[x]")?.offset, 2)
        XCTAssertEqual(syntaxError("[1, 2")?.offset, 5)
        XCTAssertEqual(syntaxError("f(1 2)")?.offset, 4)
        XCTAssertEqual(syntaxError("1 < 2 < 3")?.offset, 6)
        XCTAssertEqual(syntaxError("a # b")?.message, "unexpected character '#'")
        XCTAssertEqual(syntaxError("é + ")?.offset, 5)  // offsets are UTF-8 bytes
    }

    func testIntegerOverflowIsASyntaxError() {
        let error = syntaxError("x + 9223372036854775808")
        XCTAssertEqual(error?.offset, 4)
        XCTAssertEqual(error?.message.hasPrefix("integer 9223372036854775808 is too large"), true)
        XCTAssertNotNil(syntaxError("99999999999999999999999"))
        XCTAssertNotNil(syntaxError("1e999"))
    }

    func testHostileNestingIsAnErrorNotACrash() {
        XCTAssertNotNil(syntaxError(String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)))
        XCTAssertNotNil(syntaxError(String(repeating: "-", count: 100_000) + "1"))
        XCTAssertNotNil(syntaxError(String(repeating: "not ", count: 100_000) + "true"))
        XCTAssertNotNil(syntaxError("1" + String(repeating: " + 1", count: 100_000)))
        XCTAssertEqual(eval("1" + String(repeating: " + 1", count: 150)), .int(151))
    }

    func testUnknownFunctionAndArity() {
        let unknown = syntaxError("lenght(name)")
        XCTAssertEqual(unknown?.message, "unknown function 'lenght' (did you mean 'length'?)")
        XCTAssertEqual(unknown?.offset, 0)
        XCTAssertEqual(syntaxError("1 + len(x)")?.message, "unknown function 'len' (did you mean 'length'?)")
        XCTAssertEqual(syntaxError("1 + len(x)")?.offset, 4)
        XCTAssertEqual(syntaxError("frobnicate(x)")?.message, "unknown function 'frobnicate'")
        XCTAssertEqual(syntaxError("substr(x)")?.message, "function 'substr' takes 2 or 3 arguments, got 1")
        XCTAssertEqual(syntaxError("lower(a, b)")?.message, "function 'lower' takes 1 argument, got 2")
        XCTAssertEqual(syntaxError("now(1)")?.message, "function 'now' takes no arguments, got 1")
        XCTAssertEqual(syntaxError("concat()")?.message, "function 'concat' takes at least 1 argument, got 0")
        XCTAssertEqual(syntaxError("has(1)")?.message, "has() needs a field path, such as has(a.b)")
    }

    func testFieldReferences() throws {
        let expression = try SluiceExpr.Expression.parse("a.b + c[\"x y\"] * len0 ?? sum(d[0].e) + has(f)")
        XCTAssertEqual(expression.fieldReferences.map(\.path), [["a", "b"], ["c", "x y"], ["len0"], ["d"], ["f"]])
        XCTAssertEqual(expression.fieldReferences.map(\.offset), [0, 6, 17, 29, 43])
        XCTAssertEqual(expression.fieldReferences.map(\.length), [3, 8, 4, 6, 1])
        XCTAssertTrue(expression.containsAggregate)
        XCTAssertEqual(try SluiceExpr.Expression.parse("this").fieldReferences, [])
    }

    func testReferencesOnlyPath() throws {
        XCTAssertEqual(try SluiceExpr.Expression.parse("category").referencesOnlyPath, ["category"])
        XCTAssertEqual(try SluiceExpr.Expression.parse(" a.b ").referencesOnlyPath, ["a", "b"])
        XCTAssertEqual(try SluiceExpr.Expression.parse("a[\"x y\"]").referencesOnlyPath, ["a", "x y"])
        XCTAssertNil(try SluiceExpr.Expression.parse("a[0]").referencesOnlyPath)
        XCTAssertNil(try SluiceExpr.Expression.parse("lower(a)").referencesOnlyPath)
        XCTAssertNil(try SluiceExpr.Expression.parse("this").referencesOnlyPath)
    }

    func testAggregatesInPlainExpressions() throws {
        XCTAssertFalse(try SluiceExpr.Expression.parse("value * 2").containsAggregate)
        let nested = syntaxError("sum(count())")
        XCTAssertEqual(nested?.offset, 4)
        XCTAssertEqual(nested?.message, "aggregate function 'count' cannot be nested inside 'sum'")
        let error = evaluationError("1 + sum(value)", sample)
        XCTAssertEqual(error?.offset, 4)
        XCTAssertEqual(error?.message, "aggregate function 'sum' can only be used in `aggregates:`")
        XCTAssertEqual(evaluationError("if(false, max(value), 1)", sample)?.offset, 10)
    }
}
