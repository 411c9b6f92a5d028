@testable import SluiceExpr
import SluiceSupport
import XCTest

/// The integer form of aggregate table rows (`IntFoldPlan`) against the general fold.
final class AggregateIntFoldTests: XCTestCase {
    private func program(_ entries: [(String, String)]) throws -> AggregateProgram {
        try AggregateProgram(entries.map { (name: $0.0, expression: try SluiceExpr.Expression.parse($0.1)) })
    }

    private let tutorial = [
        ("count", "count()"), ("sum", "sum(value)"), ("average", "avg(value)"), ("min", "min(value)"), ("max", "max(value)"),
        ("n", "count(value)"),
    ]

    /// Folds `values` both ways, record by record, and compares results and errors.
    private func check(_ values: [Value], file: StaticString = #filePath, line: UInt = #line) throws {
        let program = try program(tutorial)
        XCTAssertNotNil(AggregateTable(program: program).intFold, file: file, line: line)
        let table = AggregateTable(program: program)
        let row = table.appendRow()
        var state = program.makeState()
        for (index, value) in values.enumerated() {
            var expected: EvaluationError?
            do {
                try program.update(&state, with: EvaluationContext(value: .object(["value": value])))
            } catch {
                expected = error
            }
            var actual: EvaluationError?
            if case .int(let x) = value, index % 2 == 0, withUnsafePointer(to: x, { table.foldIntegers(row: row, $0) }) {
                actual = nil
            } else {
                do {
                    try [value].withUnsafeBufferPointer { (buffer) throws(EvaluationError) in try table.update(row: row, arguments: buffer) }
                } catch {
                    actual = error
                }
            }
            XCTAssertEqual(actual, expected, "record \(index)", file: file, line: line)
            XCTAssertEqual(try program.result(table.state(row: row)), try program.result(state), "record \(index)", file: file, line: line)
        }
    }

    func testIntegersNullsAndOverflow() throws {
        try check([.int(10), .null, .int(-3), .int(7), .int(7), .null])
        try check([.int(Int64.max), .int(1), .int(2)])  // the sum outgrows Int64: a double from then on
        try check([.int(Int64.min), .int(-1)])
        try check([.null, .null])
    }

    func testOtherValuesLeaveTheIntegerForm() throws {
        try check([.int(4), .double(2.5), .int(1), .int(9)])
        try check([.int(4), .string("x"), .int(1)])  // an error: nothing changes
        try check([.string("x"), .int(1), .int(2)])
        try check([.int(1), .double(1e308), .double(1e308), .int(1)])
    }

    func testStatesOfIntegerRows() throws {
        let program = try program(tutorial)
        let table = AggregateTable(program: program)
        let a = table.appendRow(), b = table.appendRow()
        for x: Int64 in [5, 1, 9] { XCTAssertTrue(withUnsafePointer(to: x) { table.foldIntegers(row: a, $0) }) }
        XCTAssertEqual(try program.result(table.state(row: a)), [
            "count": .int(3), "sum": .int(15), "average": .double(5.0), "min": .int(1), "max": .int(9), "n": .int(3),
        ])
        // merge and setState move a row to accumulators; the results stay the same.
        table.merge(row: b, with: table.state(row: a))
        XCTAssertEqual(try program.result(table.state(row: b)), try program.result(table.state(row: a)))
        XCTAssertFalse(withUnsafePointer(to: Int64(2)) { table.foldIntegers(row: b, $0) })
        table.setState(row: a, program.makeState())
        XCTAssertEqual(try program.result(table.state(row: a))["count"], .int(0))
        // Rows survive the buffer growing, and a removed row can be added again.
        for _ in 0..<20 { _ = table.appendRow() }
        table.removeLastRow()
        XCTAssertEqual(table.rowCount, 21)
        XCTAssertEqual(try program.result(table.state(row: b))["sum"], .int(15))
        table.removeAll()
        XCTAssertEqual(table.rowCount, 0)
    }

    func testProgramsWithOtherAggregatesKeepAccumulators() throws {
        XCTAssertNil(AggregateTable(program: try program([("first", "first(value)"), ("count", "count()")])).intFold)
        XCTAssertNotNil(AggregateTable(program: try program([("count", "count()")])).intFold)
    }
}
