import SluiceCore
import SluiceSupport
import XCTest

/// `sources:` decoding, join validation and the join example pipelines' inline tests.
final class JoinSpecTests: XCTestCase {
    func testJoinExamplesPassTheirInlineTests() throws {
        for name in ["orders-enrich.yaml", "orders-payments.yaml"] {
            let path = SpecFixtures.pipelines.appendingPathComponent(name).path
            let (spec, diagnostics) = PipelineLoader.load(file: path)
            XCTAssertEqual(rendered(diagnostics), "", name)
            let outcomes = TestRunner.run(try XCTUnwrap(spec, name))
            XCTAssertFalse(outcomes.isEmpty, name)
            for outcome in outcomes {
                XCTAssertNil(outcome.failure, "\(name): \(outcome.name): \(outcome.failure?.message ?? "")")
            }
        }
    }

    func testSourcesDecodeInOrderWithTheFirstAsTheStream() throws {
        let path = SpecFixtures.pipelines.appendingPathComponent("orders-enrich.yaml").path
        let spec = try XCTUnwrap(PipelineLoader.load(file: path).spec)
        XCTAssertEqual(spec.source.name, "orders")
        XCTAssertEqual(spec.source.topics, ["orders"])
        XCTAssertEqual(spec.source.group, "orders-enrich")
        XCTAssertEqual(spec.otherSources.map(\.name), ["customers"])
        XCTAssertEqual(spec.otherSources.first?.eventTime, .kafka)
        let plan = try EnginePlan(spec: spec)
        guard case .join(let join)? = plan.steps.first else { return XCTFail("expected a join step") }
        XCTAssertEqual(join.mode, .lookup)
        XCTAssertEqual(join.type, .left)
        XCTAssertEqual(join.other.topics, ["customers"])
        XCTAssertEqual(join.fields.map(\.name), ["customer_name", "customer_tier"])
    }

    func testSingleSourcePipelinesStayValidAndNamedSource() throws {
        let (spec, diagnostics) = SpecFixtures.load(SpecFixtures.pipeline(steps: "- filter: value > 0"))
        XCTAssertEqual(rendered(diagnostics), "")
        XCTAssertEqual(spec?.source.name, "source")
        XCTAssertEqual(spec?.otherSources.count, 0)
    }

    func testAPipelineWithoutAnySourceSaysSourceIsMissing() {
        let (_, diagnostics) = SpecFixtures.load("pipeline: p\nsinks:\n  - topic: out\n")
        XCTAssertTrue(rendered(diagnostics).contains("missing required top-level key 'source' [missing-key]"), rendered(diagnostics))
    }

    func testCoPartitionedJoinsNeedNoRepartition() {
        let yaml = """
            pipeline: p
            sources:
              a: {topics: [a]}
              b: {topics: [b]}
              c: {topics: [c]}
            steps:
              - lookup: {table: b, fields: {x: x}}
              - join: {with: c, within: 1s, type: outer, as: cc}
            sinks:
              - topic: out
            """
        XCTAssertEqual(rendered(SpecFixtures.load(yaml).diagnostics), "")
    }

    func testAWindowBeforeAJoinChangesTheKeySoNeedsARepartition() {
        let yaml = """
            pipeline: p
            sources:
              a: {topics: [a]}
              b: {topics: [b]}
            steps:
              - aggregate: {key: category, aggregates: {n: count()}}
              - lookup: {table: b, fields: {x: x}}
            sinks:
              - topic: out
            """
        XCTAssertTrue(
            rendered(SpecFixtures.load(yaml).diagnostics).contains("an earlier step changed the record key"),
            rendered(SpecFixtures.load(yaml).diagnostics))
    }
}
