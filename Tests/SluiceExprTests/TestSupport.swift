import SluiceExpr
import SluiceSupport
import XCTest

/// Parses and evaluates `source` against `value`, failing the test on any error.
func eval(_ source: String, _ value: Value = .object([:]), file: StaticString = #filePath, line: UInt = #line) -> Value? {
    do {
        return try SluiceExpr.Expression.parse(source).evaluate(EvaluationContext(value: value))
    } catch {
        XCTFail("\(source): \(error)", file: file, line: line)
        return nil
    }
}

/// The syntax error for `source`, or nil (and a test failure) when it parses.
func syntaxError(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> ExpressionError? {
    do throws(ExpressionError) {
        _ = try SluiceExpr.Expression.parse(source)
        XCTFail("\(source) parsed", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

/// The evaluation error for `source` on `value`, or nil (and a test failure) when it succeeds.
func evaluationError(_ source: String, _ value: Value = .object([:]), file: StaticString = #filePath, line: UInt = #line) -> EvaluationError? {
    let expression: SluiceExpr.Expression
    do {
        expression = try SluiceExpr.Expression.parse(source)
    } catch {
        XCTFail("\(source): \(error)", file: file, line: line)
        return nil
    }
    do throws(EvaluationError) {
        let result = try expression.evaluate(EvaluationContext(value: value))
        XCTFail("\(source) gave \(result)", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

let sample: Value = .object([
    "id": .int(1), "value": .int(10), "price": .double(2.5), "category": .string("A"),
    "name": .string("  Widget  "), "tags": .array([.string("x"), .string("y")]),
    "user": .object(["name": .string("ann"), "x y": .int(7), "address": .null]),
    "nothing": .null, "flag": .bool(true),
])
