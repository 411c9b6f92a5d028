import Foundation
import SluiceCore
import SluiceSupport
import SluiceYAML
import XCTest

final class SchemaTests: XCTestCase {
    private let checker = SchemaChecker(root: PipelineSchema.document())

    private func problems(_ yaml: String) -> [String] {
        let document = YAMLLoader.load(yaml, file: "x.yaml")
        XCTAssertEqual(document.diagnostics.count, 0)
        return checker.problems(document.root?.toValue() ?? .null)
    }

    func testSchemaIsDraft07WithEveryStep() throws {
        let schema = PipelineSchema.document()
        XCTAssertEqual(schema.objectValue?["$schema"], .string("http://json-schema.org/draft-07/schema#"))
        XCTAssertEqual(schema.objectValue?["additionalProperties"], .bool(false))
        let definitions = try XCTUnwrap(schema.objectValue?["definitions"]?.objectValue)
        for step in StepRegistry.all { XCTAssertNotNil(definitions["step-\(step.name)"], step.name) }
        // The text form is valid JSON that reads back to the same document.
        XCTAssertEqual(try JSON.parse(PipelineSchema.text()), schema)
    }

    func testSchemaAcceptsEveryExamplePipeline() throws {
        for file in try SpecFixtures.examplePipelines() {
            let text = try String(contentsOf: file, encoding: .utf8)
            XCTAssertEqual(problems(text), [], file.lastPathComponent)
        }
    }

    func testSchemaAcceptsEveryStepExample() {
        for step in StepRegistry.all {
            XCTAssertEqual(problems(SpecFixtures.pipeline(steps: SpecFixtures.indent(step.example))), [], step.name)
        }
    }

    func testDurationPatternFollowsTheParser() {
        for text in ["250ms", "60s", "1.5s", "5m", "1h30m", "1d", "0", "60 parsecs", "5", "", "1m1h", "-5s", "1.s"] {
            let matches = text.range(of: PipelineSchema.durationPattern, options: .regularExpression) != nil
            XCTAssertEqual(matches, DurationParser.milliseconds(text) != nil, text)
        }
    }

    func testSchemaRejectsWhatTheValidatorRejects() {
        let window = "  - window: {type: tumbleing, size: 60s, aggregates: {n: count()}}"
        XCTAssertFalse(problems(SpecFixtures.pipeline(steps: window)).isEmpty)
        let duration = "  - window: {type: tumbling, size: 60 parsecs, aggregates: {n: count()}}"
        XCTAssertFalse(problems(SpecFixtures.pipeline(steps: duration)).isEmpty)
        XCTAssertFalse(problems(SpecFixtures.pipeline(steps: "  - fliter: x > 1")).isEmpty)
        XCTAssertFalse(problems(SpecFixtures.pipeline(steps: "  - filter: x > 1", extra: "sinkz: []")).isEmpty)
        XCTAssertFalse(problems(SpecFixtures.pipeline(steps: "  - to: {topic: '..'}")).isEmpty)
        XCTAssertFalse(problems("pipeline: t\nsinks: [{topic: out}]").isEmpty, "source is required")
    }
}

final class SchemaFileTests: XCTestCase {
    /// The copy in schemas/ that editors point at stays in step with the declarations.
    func testCommittedSchemaIsUpToDate() throws {
        let url = SpecFixtures.root.appendingPathComponent("schemas/pipeline.schema.json")
        let committed = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(committed, PipelineSchema.text(), "run: sluice schema > schemas/pipeline.schema.json")
    }
}
