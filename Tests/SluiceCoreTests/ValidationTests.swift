import SluiceCore
import SluiceSupport
import XCTest

final class ValidationTests: XCTestCase {
    /// The codes and `line:col` of every diagnostic, sorted.
    private func findings(_ text: String) -> [String] {
        SpecFixtures.load(text).diagnostics.map { d in
            "\(d.location.map { "\($0.line):\($0.column)" } ?? "-") \(d.code)"
        }
    }

    private func messages(_ text: String) -> [String] {
        SpecFixtures.load(text).diagnostics.map(\.message)
    }

    func testExpressionErrorsPointInsideTheScalar() {
        let text = SpecFixtures.pipeline(steps: """
              - filter: "value >> 1"
              - map:
                  set:
                    a: |
                      value +
                        * 2
            """)
        XCTAssertEqual(findings(text), ["5:21 expression-syntax", "10:13 expression-syntax"])
    }

    func testAggregatesOnlyUnderAggregates() {
        let text = SpecFixtures.pipeline(steps: """
              - filter: count() > 1
              - aggregate: {key: sum(value), aggregates: {n: count(), bad: value}}
            """)
        XCTAssertEqual(findings(text), ["5:13 misplaced-aggregate", "6:22 misplaced-aggregate", "6:64 bad-aggregate"])
    }

    func testWindowSanity() {
        func window(_ fields: String) -> [String] {
            messages(SpecFixtures.pipeline(steps: "  - window: {\(fields), aggregates: {n: count()}}"))
        }
        XCTAssertEqual(window("type: tumbling"), ["a tumbling window needs a size, e.g. size: 60s"])
        XCTAssertEqual(window("type: hopping, size: 10s"), ["a hopping window needs an advance, e.g. advance: 10s"])
        XCTAssertEqual(window("type: hopping, size: 10s, advance: 20s"), ["advance (20s) must not exceed size (10s)"])
        XCTAssertEqual(window("type: hopping, size: 10s, advance: 0s"), ["advance must be greater than 0"])
        XCTAssertEqual(window("type: sliding, size: 10s, advance: 5s"), ["advance applies only to hopping windows"])
        XCTAssertEqual(window("type: tumbling, size: 0ms"), ["size must be greater than 0"])
        XCTAssertEqual(window("type: session"), ["a session window needs a gap, e.g. gap: 5m"])
        XCTAssertEqual(window("type: tumbling, size: 1m, gap: 5m"), ["gap applies only to session windows"])
        XCTAssertEqual(window("type: session, gap: 0s"), ["gap must be greater than 0"])
        XCTAssertEqual(window("type: session, gap: 5m, grace: 1m, emit: update"), [])
        XCTAssertEqual(window("type: hopping, size: 1m, advance: 1m"), [])
        // A bad size is reported once, not also as missing.
        XCTAssertEqual(window("type: tumbling, size: 5 minutes"), [
            "invalid duration '5 minutes': use a number with ms, s, m, h or d, e.g. 60s",
        ])
    }

    func testTopicNames() {
        XCTAssertNil(TopicNames.problem(with: "orders.v1_x-y"))
        XCTAssertNotNil(TopicNames.problem(with: ""))
        XCTAssertNotNil(TopicNames.problem(with: "."))
        XCTAssertNotNil(TopicNames.problem(with: ".."))
        XCTAssertNotNil(TopicNames.problem(with: "a b"))
        XCTAssertNotNil(TopicNames.problem(with: "ünicode"))
        XCTAssertNil(TopicNames.problem(with: String(repeating: "a", count: 249)))
        XCTAssertNotNil(TopicNames.problem(with: String(repeating: "a", count: 250)))
    }

    func testReferencesFollowTheFieldSetStepByStep() {
        let text = """
            pipeline: refs
            source:
              topics: [in]
              schema: ../schemas/tutorial-record.schema.json
              event_time: {field: timestamp, unit: seconds}
            steps:
              - map: {set: {double: value * 2, quad: double * 2}}
              - drop: [id]
              - filter: id > 0
              - aggregate: {key: category, aggregates: {total: sum(double)}}
              - to: {topic: mid, key: total}
            sinks:
              - {topic: out, key: value}
            """
        XCTAssertEqual(messages(text), [
            "unknown field 'id'; after the drop step (line 8) records have: timestamp, value, category, double, quad",
            "unknown field 'value'; after the aggregate step (line 10) records have: category, total",
        ])
        XCTAssertEqual(findings(text), ["9:13 unknown-field", "13:23 unknown-field"])
    }

    func testWithoutASchemaAnyFieldIsAllowedBeforeAStatefulStep() {
        let text = SpecFixtures.pipeline(steps: "  - filter: anything.at.all > 0\n  - select: [x, y]\n  - filter: z > 0")
        XCTAssertEqual(messages(text), ["unknown field 'z'; after the select step (line 6) records have: x, y"])
    }

    func testEventTimeFieldIsCheckedAgainstTheSchema() {
        let text = """
            pipeline: t
            source:
              topics: [in]
              schema: ../schemas/tutorial-record.schema.json
              event_time: {field: timestmp, unit: milliseconds}
            sinks: [{topic: out}]
            """
        XCTAssertEqual(findings(text), ["5:23 unknown-field"])
        XCTAssertTrue(messages(text)[0].contains("(did you mean 'timestamp'?)"))
    }

    func testSchemaFileProblems() {
        let missing = "pipeline: t\nsource: {topics: [in], schema: nope.json}\nsinks: [{topic: out}]"
        XCTAssertEqual(findings(missing), ["2:32 bad-schema"])
    }

    func testTopicLoopIsAWarning() {
        let text = "pipeline: t\nsource: {topics: [in]}\nsinks: [{topic: in}]"
        let (spec, diagnostics) = SpecFixtures.load(text)
        XCTAssertNotNil(spec, "warnings do not fail a pipeline")
        XCTAssertEqual(diagnostics.map(\.severity), [.warning])
        XCTAssertEqual(diagnostics.map(\.code), ["topic-loop"])
    }

    func testMisspelledRequiredKeyIsReportedOnce() {
        let text = "pipelin: t\nsource: {topics: [in]}\nsinks: [{topic: out}]"
        XCTAssertEqual(messages(text), ["unknown top-level key 'pipelin' (did you mean 'pipeline'?)"])
    }

    func testYAMLErrorsComeThrough() {
        let text = "pipeline: t\npipeline: u\nsource: {topics: [in]}\nsinks: [{topic: out}]"
        XCTAssertEqual(SpecFixtures.load(text).diagnostics.first?.location?.line, 2)
        XCTAssertNil(SpecFixtures.load(text).spec)
    }

    func testReportFormats() {
        let diagnostics: [Diagnostic] = [
            .error("bad-duration", "invalid duration '1x'", at: SourceLocation(file: "a, b.yaml", line: 3, column: 9)),
            .warning("topic-loop", "100% loop\nnext", at: SourceLocation(file: "a, b.yaml", line: 7, column: 1)),
        ]
        let report = ValidationReport(files: [("a, b.yaml", diagnostics), ("ok.yaml", [])])
        XCTAssertEqual(report.render(.text), """
            a, b.yaml:3:9: error: invalid duration '1x' [bad-duration]
            a, b.yaml:7:1: warning: 100% loop
            next [topic-loop]
            2 files checked: 1 error, 1 warning

            """)
        XCTAssertEqual(report.render(.github), """
            ::error file=a%2C b.yaml,line=3,col=9::invalid duration '1x' [bad-duration]
            ::warning file=a%2C b.yaml,line=7,col=1::100%25 loop%0Anext [topic-loop]
            2 files checked: 1 error, 1 warning

            """)
        let json = report.render(.json)
        XCTAssertTrue(json.contains(#""file": "a, b.yaml""#))
        XCTAssertTrue(json.contains(#""line": 3"#))
        XCTAssertTrue(json.contains(#""severity": "warning""#))
        XCTAssertEqual(ValidationReport(files: [("x.yaml", [])]).summary, "x.yaml: ok")
        XCTAssertFalse(report.hasIOErrors)
    }
}
