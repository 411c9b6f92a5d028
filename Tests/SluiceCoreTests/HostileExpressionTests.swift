import SluiceExpr
import SluiceSupport
import XCTest

/// Expressions built to exhaust the stack, the clock or memory: each must end in a clear error.
final class HostileExpressionTests: XCTestCase {
    private let record = EvaluationContext(value: .object([
        "value": .int(10), "flag": .bool(true), "big": .int(Int64.max), "blob": .string(String(repeating: "x", count: 10 << 20)),
    ]))

    private func parseError(_ source: String) -> ExpressionError? {
        do {
            _ = try Expression.parse(source)
            return nil
        } catch {
            return error
        }
    }

    /// The evaluation error of `source` on `record`, failing the test when it parses badly or succeeds.
    private func evaluationError(
        _ source: String, on context: EvaluationContext? = nil, file: StaticString = #filePath, line: UInt = #line
    ) -> EvaluationError? {
        do {
            let expression = try Expression.parse(source)
            let value = try expression.evaluate(context ?? record)
            XCTFail("\(source.prefix(60)) gave \(value.typeName)", file: file, line: line)
        } catch let error as EvaluationError {
            return error
        } catch {
            XCTFail("\(source.prefix(60)): \(error)", file: file, line: line)
        }
        return nil
    }

    func testTenThousandDeepNestingIsASyntaxError() {
        let n = 10_000
        let sources = [
            String(repeating: "(", count: n) + "value" + String(repeating: ")", count: n),
            String(repeating: "-", count: n) + "value",
            String(repeating: "not ", count: n) + "flag",
            String(repeating: "[", count: n) + String(repeating: "]", count: n),
            String(repeating: "abs(", count: n) + "value" + String(repeating: ")", count: n),
            String(repeating: "if(flag, 1, ", count: n) + "0" + String(repeating: ")", count: n),
            Array(repeating: "value", count: n).joined(separator: " + "),
            Array(repeating: "flag", count: n).joined(separator: " and "),
            Array(repeating: "value", count: n).joined(separator: " ?? "),
        ]
        for source in sources {
            let error = parseError(source)
            XCTAssertEqual(error?.message, "the expression is nested too deeply (more than 200 levels)", String(source.prefix(12)))
            XCTAssertLessThan(error?.offset ?? -1, source.utf8.count)
        }
        XCTAssertEqual(parseError(String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n))?.offset, 200)
    }

    /// Long but flat: a path of 10,000 names and 10,000 indexes parse and evaluate in linear time.
    func testTenThousandComponentPaths() throws {
        let path = try Expression.parse(Array(repeating: "a", count: 10_000).joined(separator: "."))
        XCTAssertEqual(path.fieldReferences.first?.path.count, 10_000)
        XCTAssertThrowsError(try path.evaluate(record))
        let indexes = try Expression.parse("value" + String(repeating: "[0]", count: 10_000))
        XCTAssertThrowsError(try indexes.evaluate(record))
    }

    func testHugeNumberLiterals() {
        XCTAssertEqual(parseError("1e400")?.message, "number 1e400 is too large")
        XCTAssertEqual(parseError("value + 99999999999999999999")?.message,
                       "integer 99999999999999999999 is too large (the limit is 9223372036854775807)")
        XCTAssertEqual(evaluationError("big + 1")?.message, "integer overflow in '+' (9223372036854775807 + 1)")
        XCTAssertEqual(evaluationError("-9223372036854775808 - 1")?.message,
                       "integer overflow in '-' (-9223372036854775808 - 1)")
        XCTAssertEqual(evaluationError("1e308 * 10")?.message, "number overflow in '*'")
        XCTAssertEqual(evaluationError("abs(-9223372036854775808)")?.message, "integer overflow in abs()")
        XCTAssertEqual(evaluationError("pow(2, 63)")?.message, "integer overflow in pow()")
        XCTAssertEqual(evaluationError("int(1e300)")?.message, "int() cannot convert 1e+300 to an integer")
    }

    /// Ten nested `replace` calls ask for a string of 10^12 bytes: an error once past 16 MiB.
    func testReplaceCannotExplode() {
        let thousand = String(repeating: "a", count: 1000)
        var source = "'aaaa'"
        for _ in 0..<4 { source = "replace(\(source), 'a', '\(thousand)')" }
        let error = evaluationError(source)
        XCTAssertEqual(error?.message, "replace() would be longer than 16 MiB")
        XCTAssertEqual(error?.offset, 8, "the third level (4 GB) fails, not the fourth")
    }

    /// A 10 MB field doubled is past the 16 MiB limit; used once it is fine.
    func testTenMegabyteStrings() throws {
        XCTAssertEqual(evaluationError("concat(blob, blob)")?.message, "concat() would be longer than 16 MiB")
        XCTAssertEqual(evaluationError("blob + '-' + blob")?.message, "'+' would be longer than 16 MiB")
        XCTAssertEqual(evaluationError("split(blob, '')")?.message, "split() would return more than 1048576 pieces")
        let commas = EvaluationContext(value: .object(["commas": .string(String(repeating: ",", count: 1_100_000))]))
        XCTAssertEqual(evaluationError("split(commas, ',')", on: commas)?.message, "split() would return more than 1048576 pieces")
        XCTAssertEqual(try Expression.parse("string(this)").evaluate(record).stringValue?.utf8.count, 10 << 20 + 60)
    }

    /// Found by the fuzzer: an unknown function inside an aggregate call passed `parse` and
    /// `AggregateProgram.validate` but failed `AggregateProgram.init`.
    func testUnknownFunctionInsideAggregateFailsAtParse() {
        let error = parseError("max(t(flag) + sum)")
        XCTAssertEqual(error?.message, "unknown function 't'")
        XCTAssertEqual(error?.offset, 4)
        XCTAssertEqual(parseError("sum(lenght(x))")?.message, "unknown function 'lenght' (did you mean 'length'?)")
        XCTAssertEqual(parseError("count(abs(1, 2))")?.message, "function 'abs' takes 1 argument, got 2")
    }

    /// Sums past Int64 go on as doubles; sums past the largest double are an error, not infinity
    /// (which JSON cannot hold), and leave the state as it was.
    func testAggregateOverflow() throws {
        let program = try AggregateProgram([(name: "s", expression: try Expression.parse("sum(big)"))])
        var state = program.makeState()
        try program.update(&state, with: record)
        try program.update(&state, with: record)
        XCTAssertEqual(try program.result(state)["s"], .double(2 * 9_223_372_036_854_775_807.0))

        let huge = EvaluationContext(value: .object(["x": .double(Double.greatestFiniteMagnitude)]))
        for function in ["sum", "avg"] {
            let program = try AggregateProgram([(name: "s", expression: try Expression.parse("\(function)(x)"))])
            var state = program.makeState()
            try program.update(&state, with: huge)
            XCTAssertThrowsError(try program.update(&state, with: huge), function)
            XCTAssertEqual(try program.result(state)["s"], .double(Double.greatestFiniteMagnitude), function)
        }
    }
}
