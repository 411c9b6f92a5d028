@testable import SluiceExpr
import SluiceSupport
import XCTest

final class AggregateTests: XCTestCase {
    private func program(_ entries: [(String, String)], file: StaticString = #filePath, line: UInt = #line) throws -> AggregateProgram {
        try AggregateProgram(entries.map { (name: $0.0, expression: try SluiceExpr.Expression.parse($0.1)) })
    }

    private func feed(_ program: AggregateProgram, _ values: [Value], into state: inout AggregateState) throws {
        for value in values {
            try program.update(&state, with: EvaluationContext(value: .object(["value": value, "category": .string("A")])))
        }
    }

    private let tutorial = [
        ("count", "count()"), ("sum", "sum(value)"), ("average", "avg(value)"), ("min", "min(value)"), ("max", "max(value)"),
    ]

    func testTutorialAggregates() throws {
        let program = try program(tutorial)
        XCTAssertEqual(program.names, ["count", "sum", "average", "min", "max"])
        var state = program.makeState()
        try feed(program, [.int(10), .int(20), .null, .double(4.5)], into: &state)
        let result = try program.result(state)
        XCTAssertEqual(result.keys, ["count", "sum", "average", "min", "max"])
        XCTAssertEqual(result["count"], .int(4))
        XCTAssertEqual(result["sum"], .double(34.5))
        XCTAssertEqual(result["average"], .double(11.5))
        XCTAssertEqual(result["min"], .double(4.5))
        XCTAssertEqual(result["max"], .int(20))
    }

    func testEmptyAndFreshStates() throws {
        let program = try program(tutorial + [("first", "first(value)"), ("distinct", "count_distinct(value)")])
        let empty = try program.result(program.makeState())
        XCTAssertEqual(empty["count"], .int(0))
        XCTAssertEqual(empty["sum"], .int(0))
        XCTAssertEqual(empty["average"], .null)
        XCTAssertEqual(empty["min"], .null)
        XCTAssertEqual(empty["first"], .null)
        XCTAssertEqual(empty["distinct"], .int(0))
        // A default-initialised state behaves as a fresh one.
        var state = AggregateState()
        try feed(program, [.int(3)], into: &state)
        XCTAssertEqual(try program.result(state)["sum"], .int(3))
    }

    func testOtherAggregates() throws {
        let program = try program([
            ("n", "count(value)"), ("first", "first(value)"), ("last", "last(value)"),
            ("distinct", "count_distinct(value)"), ("low", "min(value)"), ("records", "count()"),
        ])
        var state = program.makeState()
        try feed(program, [.null, .string("b"), .string("a"), .null, .string("b"), .string("c"), .null], into: &state)
        XCTAssertEqual(try program.result(state), [
            "n": .int(4), "first": .string("b"), "last": .string("c"), "distinct": .int(3), "low": .string("a"), "records": .int(7),
        ])
        var numbers = program.makeState()
        try feed(program, [.int(1), .double(1.0), .int(2)], into: &numbers)
        XCTAssertEqual(try program.result(numbers)["distinct"], .int(2))
    }

    func testCompositeExpressionsShareAccumulators() throws {
        let program = try program([("average", "sum(value) / count()"), ("sum", "sum( value )"), ("spread", "max(value) - min(value)"), ("label", "concat('n=', count())")])
        var state = program.makeState()
        try feed(program, [.int(2), .int(4), .int(9)], into: &state)
        XCTAssertEqual(try program.result(state), ["average": .double(5), "sum": .int(15), "spread": .int(7), "label": .string("n=3")])
        // count(), sum(value), max(value), min(value): four accumulators.
        guard case .array(let slots) = state.encoded() else { return XCTFail("not an array") }
        XCTAssertEqual(slots.count, 4)
    }

    func testSumOverflowSwitchesToDouble() throws {
        let program = try program([("sum", "sum(value)")])
        var state = program.makeState()
        try feed(program, [.int(Int64.max), .int(1)], into: &state)
        XCTAssertEqual(try program.result(state)["sum"], .double(Double(Int64.max) + 1))
    }

    func testErrorsLeaveTheStateUnchanged() throws {
        let program = try program(tutorial)
        var state = program.makeState()
        try feed(program, [.int(5)], into: &state)
        let before = state
        XCTAssertThrowsError(try feed(program, [.string("x")], into: &state)) { error in
            XCTAssertEqual((error as? EvaluationError)?.message, "sum() needs numbers, got string")
            XCTAssertEqual((error as? EvaluationError)?.offset, 4)
        }
        XCTAssertEqual(state, before)
        XCTAssertThrowsError(try program.update(&state, with: EvaluationContext(value: .object([:])))) { error in
            XCTAssertEqual((error as? EvaluationError)?.message, "field 'value' is missing")
        }
        XCTAssertEqual(state, before)
        let strings = try self.program([("low", "min(value)")])
        var mixed = strings.makeState()
        try feed(strings, [.string("a")], into: &mixed)
        XCTAssertThrowsError(try feed(strings, [.int(1)], into: &mixed))
        XCTAssertEqual(try strings.result(mixed)["low"], .string("a"))
    }

    func testMerge() throws {
        let program = try program(tutorial + [("first", "first(value)"), ("last", "last(value)"), ("distinct", "count_distinct(value)")])
        var earlier = program.makeState(), later = program.makeState(), all = program.makeState()
        try feed(program, [.int(3), .int(8)], into: &earlier)
        try feed(program, [.int(1), .int(3), .int(5)], into: &later)
        try feed(program, [.int(3), .int(8), .int(1), .int(3), .int(5)], into: &all)
        let merged = program.merge(earlier, later)
        XCTAssertEqual(try program.result(merged), try program.result(all))
        XCTAssertEqual(try program.result(merged)["first"], .int(3))
        XCTAssertEqual(try program.result(merged)["last"], .int(5))
        XCTAssertEqual(try program.result(program.merge(program.makeState(), later)), try program.result(later))
        XCTAssertEqual(try program.result(program.merge(earlier, AggregateState())), try program.result(earlier))
    }

    func testEncodingRoundTrips() throws {
        let program = try program(tutorial + [("first", "first(value)"), ("distinct", "count_distinct(value)"), ("n", "count(value)")])
        var state = program.makeState()
        try feed(program, [.int(3), .double(2.5), .null], into: &state)
        let encoded = state.encoded()
        XCTAssertEqual(AggregateState(encoded: encoded), state)
        XCTAssertEqual(try program.result(XCTUnwrap(AggregateState(encoded: encoded))), try program.result(state))
        var strings = try self.program([("low", "min(value)"), ("d", "count_distinct(value)")]).makeState()
        try feed(try self.program([("low", "min(value)"), ("d", "count_distinct(value)")]), [.string("q"), .string("p")], into: &strings)
        XCTAssertEqual(AggregateState(encoded: strings.encoded()), strings)
        XCTAssertNil(AggregateState(encoded: .string("nope")))
        XCTAssertNil(AggregateState(encoded: .array([.array([.string("zz"), .int(1)])])))
    }

    func testCompileErrors() throws {
        XCTAssertThrowsError(try program([("count", "count()"), ("x", "value * 2")])) { error in
            XCTAssertEqual(error as? ExpressionError, ExpressionError("'x' has no aggregate function; use it in map instead", offset: 0))
        }
        XCTAssertThrowsError(try program([("x", "sum(value) + value")])) { error in
            XCTAssertEqual((error as? ExpressionError)?.offset, 13)
        }
        XCTAssertThrowsError(try program([("x", "count() + offset()")]))
        let outside = try SluiceExpr.Expression.parse("max(value) - value")
        XCTAssertThrowsError(try AggregateProgram.validate(outside, name: "x")) { error in
            XCTAssertEqual(error as? ExpressionError, ExpressionError("'value' must be inside an aggregate function, such as last(value)", offset: 13))
        }
        XCTAssertNoThrow(try AggregateProgram.validate(SluiceExpr.Expression.parse("round(avg(value), 2)"), name: "x"))
    }

    func testStateIsSmall() throws {
        let program = try program(tutorial)
        var state = program.makeState()
        try feed(program, [.int(10), .int(20)], into: &state)
        XCTAssertEqual(state.slots.count, 5)
        // One pointer inline; five accumulators of 24 bytes after a 32-byte array header on the heap.
        XCTAssertEqual(MemoryLayout<AggregateState>.size, 8)
        XCTAssertLessThanOrEqual(MemoryLayout<Accumulator>.stride, 24)
        XCTAssertLessThanOrEqual(8 + 32 + 5 * MemoryLayout<Accumulator>.stride, 256)
    }
}
