import Foundation
import SluiceCore
import SluiceSupport
import XCTest

/// Where a plan puts its repartition topic (`EnginePlan.repartition`), and `keyed_by` validation.
final class RepartitionPlacementTests: XCTestCase {
    static let pipelines = DryRunTests.repository.appendingPathComponent("pipelines")

    private func plan(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) throws -> EnginePlan {
        let (spec, diagnostics) = PipelineLoader.load(text: yaml, file: "test.yaml", baseDirectory: Self.pipelines.path)
        return try EnginePlan(spec: try XCTUnwrap(spec, diagnostics.map(\.description).joined(separator: "\n"), file: file, line: line))
    }

    private func pipeline(source: String = "", steps: String) -> String {
        """
        pipeline: totals
        source:
          topics: [in]
        \(source.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        steps:
        \(steps.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        sinks:
          - topic: out
        """
    }

    private let aggregate = "- aggregate: {key: category, aggregates: {n: count()}}"

    func testAKeyOtherThanTheRecordKeyGetsARepartitionTopic() throws {
        let plan = try plan(pipeline(steps: "- filter: \"value > 0\"\n" + aggregate))
        XCTAssertEqual(plan.repartition, RepartitionPoint(step: 1))
        XCTAssertEqual(plan.repartitionTopic(group: "grp"), "grp-1-repartition")
        XCTAssertEqual(plan.group, "totals")
        XCTAssertEqual(plan.repartitionKey?.expression.source, "category")
        XCTAssertEqual(
            plan.repartitionDescription(group: "grp"),
            "repartition: records re-keyed by category through grp-1-repartition before step 2 (test.yaml:7:22)")
    }

    func testKeyedByTheSameExpressionNeedsNone() throws {
        XCTAssertNil(try plan(pipeline(source: "keyed_by: category", steps: aggregate)).repartition)
        // Compared without whitespace.
        let spaced = "- aggregate: {key: \"concat( category , 'x')\", aggregates: {n: count()}}"
        XCTAssertNil(try plan(pipeline(source: "keyed_by: \"concat(category,'x')\"", steps: spaced)).repartition)
        XCTAssertNil(try plan(pipeline(source: "keyed_by: category", steps: aggregate)).repartitionTopic(group: "g"))
        // Keyed by something else.
        XCTAssertEqual(try plan(pipeline(source: "keyed_by: id", steps: aggregate)).repartition?.step, 0)
    }

    func testAnEarlierStepChangingTheKeyedFieldsNeedsOne() throws {
        let keyed = "keyed_by: category"
        XCTAssertEqual(try plan(pipeline(source: keyed, steps: "- map: {set: {category: upper(category)}}\n" + aggregate)).repartition?.step, 1)
        XCTAssertEqual(try plan(pipeline(source: keyed, steps: "- select: [value]\n- map: {set: {category: \"'x'\"}}\n" + aggregate)).repartition?.step, 2)
        XCTAssertEqual(try plan(pipeline(source: keyed, steps: "- drop: [category]\n" + aggregate)).repartition?.step, 1)
        // Steps that leave it alone.
        XCTAssertNil(try plan(pipeline(source: keyed, steps: "- map: {set: {other: value}}\n- select: [category, value]\n- drop: [value]\n- to: {topic: t, key: category}\n" + aggregate)).repartition)
    }

    func testTheRecordKeyNeedsNone() throws {
        XCTAssertNil(try plan(pipeline(steps: "- aggregate: {key: key(), aggregates: {n: count()}}")).repartition)
        // A window without `key` is keyed by key().
        let window = "source:\n  topics: [in]\nsteps:\n  - window: {type: tumbling, size: 10s, aggregates: {n: count()}}"
        XCTAssertNil(try plan("pipeline: w\n" + window + "\nsinks: [{topic: out}]").repartition)
    }

    func testOnlyTheFirstStatefulStepAndNoneWithJoins() throws {
        let two = aggregate + "\n- window: {type: tumbling, size: 10s, key: n, aggregates: {m: count()}}"
        XCTAssertEqual(try plan(pipeline(steps: "- map: {set: {x: 1}}\n" + two)).repartition?.step, 1)
        let lookup = """
            pipeline: enrich
            sources:
              orders: {topics: [orders], schema: ../schemas/orders.schema.json}
              customers: {topics: [customers], schema: ../schemas/customers.schema.json}
            steps:
              - lookup: {table: customers, fields: {customer_name: name}, type: left}
              - aggregate: {key: customer_name, aggregates: {n: count()}}
            sinks: [{topic: out}]
            """
        XCTAssertNil(try plan(lookup).repartition)
        for file in ["orders-enrich.yaml", "orders-payments.yaml"] {
            XCTAssertNil(try load(file).repartition, file)
        }
    }

    func testTutorialPipelinesNeedNone() throws {
        for file in ["seed-processor.yaml", "category-windows.yaml", "user-sessions.yaml"] {
            let plan = try load(file)
            XCTAssertNil(plan.repartition, file)
            XCTAssertNotNil(plan.steps.firstIndex { if case .aggregate = $0 { true } else if case .window = $0 { true } else { false } }, file)
        }
        // The same pipelines without the declaration would need one.
        let text = try String(contentsOf: Self.pipelines.appendingPathComponent("seed-processor.yaml"), encoding: .utf8)
        XCTAssertEqual(try plan(text.replacingOccurrences(of: "  keyed_by: category\n", with: "")).repartition?.step, 2)
    }

    func testKeyedByIsCheckedLikeAnyExpression() {
        let schema = "schema: ../schemas/tutorial-record.schema.json\nkeyed_by: categroy"
        let (spec, diagnostics) = PipelineLoader.load(
            text: pipeline(source: schema, steps: aggregate), file: "test.yaml", baseDirectory: Self.pipelines.path)
        XCTAssertNil(spec)
        let problem = diagnostics.first { $0.severity == .error }
        XCTAssertEqual(problem?.location?.line, 5)
        XCTAssertEqual(problem?.location?.column, 13)
        XCTAssertTrue(problem?.message.contains("categroy") ?? false, problem?.message ?? "no error")

        let (_, syntax) = PipelineLoader.load(text: pipeline(source: "keyed_by: \"concat(a,\"", steps: aggregate), file: "test.yaml", baseDirectory: ".")
        XCTAssertEqual(syntax.first { $0.severity == .error }?.code, "expression-syntax")
        let (_, aggregateCall) = PipelineLoader.load(text: pipeline(source: "keyed_by: count()", steps: aggregate), file: "test.yaml", baseDirectory: ".")
        XCTAssertEqual(aggregateCall.first { $0.severity == .error }?.code, "misplaced-aggregate")
    }

    private func load(_ file: String) throws -> EnginePlan {
        let (spec, diagnostics) = PipelineLoader.load(file: Self.pipelines.appendingPathComponent(file).path)
        return try EnginePlan(spec: try XCTUnwrap(spec, diagnostics.map(\.description).joined(separator: "\n")))
    }
}
