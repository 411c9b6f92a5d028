import Foundation
import SluiceCore
import SluiceSupport
import XCTest

/// Golden dry-run fixtures (Fixtures/dryrun/<case>/{pipeline.yaml,input.jsonl,expected.jsonl},
/// each expected output checked by hand), determinism, and the recorded tutorial sample.
final class DryRunTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Fixtures/dryrun")
    static let repository = root.deletingLastPathComponent().deletingLastPathComponent()

    /// Dry-runs `input` through the pipeline in `directory`, returning the output envelopes.
    /// The pipeline is named by its bare file name, as `cd <case> && sluice dry-run pipeline.yaml` does.
    static func dryRun(directory: URL, pipeline: String = "pipeline.yaml", input: [UInt8]) throws -> (output: [UInt8], run: DryRun) {
        let text = try String(contentsOf: directory.appendingPathComponent(pipeline), encoding: .utf8)
        let (spec, diagnostics) = PipelineLoader.load(text: text, file: pipeline, baseDirectory: directory.path)
        guard let spec else { throw FixtureError.invalid(diagnostics.map(\.description).joined(separator: "\n")) }
        let run = DryRun(plan: try EnginePlan(spec: spec))
        var output: [UInt8] = []
        run.replay(
            RecordingReader(bytes: input, file: "input.jsonl", defaultTopic: spec.source.topics.first),
            output: { $0.writeEnvelope(into: &output) }, trace: { _ in }, badLine: { _ in })
        return (output, run)
    }

    func testFixturesProduceTheHandCheckedOutput() throws {
        let cases = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path).sorted()
        XCTAssertGreaterThanOrEqual(cases.count, 8)
        for name in cases {
            let directory = Self.fixtures.appendingPathComponent(name)
            let input = try Array(Data(contentsOf: directory.appendingPathComponent("input.jsonl")))
            let expected = try String(contentsOf: directory.appendingPathComponent("expected.jsonl"), encoding: .utf8)
            let (output, run) = try Self.dryRun(directory: directory, input: input)
            let actual = String(decoding: output, as: UTF8.self)
            XCTAssertEqual(run.skippedLines, 0, name)
            if actual != expected {
                let a = actual.split(separator: "\n"), e = expected.split(separator: "\n")
                let index = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
                XCTFail("""
                    \(name): output differs at line \(index + 1) (\(a.count) lines, expected \(e.count))
                      expected: \(index < e.count ? String(e[index]) : "<none>")
                      actual:   \(index < a.count ? String(a[index]) : "<none>")
                    """)
            }
        }
    }

    func testSameInputTwiceGivesByteIdenticalOutput() throws {
        let sample = try Array(Data(contentsOf: Self.repository.appendingPathComponent("testdata/tutorial.jsonl")))
        for pipeline in ["seed-processor.yaml", "category-windows.yaml"] {
            let directory = Self.repository.appendingPathComponent("pipelines")
            let first = try Self.dryRun(directory: directory, pipeline: pipeline, input: sample).output
            let second = try Self.dryRun(directory: directory, pipeline: pipeline, input: sample).output
            XCTAssertFalse(first.isEmpty)
            XCTAssertEqual(first, second, pipeline)
        }
    }

    func testTutorialSampleThroughBothPipelines() throws {
        let sample = try Array(Data(contentsOf: Self.repository.appendingPathComponent("testdata/tutorial.jsonl")))
        let directory = Self.repository.appendingPathComponent("pipelines")

        let seed = try Self.dryRun(directory: directory, pipeline: "seed-processor.yaml", input: sample).run.stats
        XCTAssertEqual(seed.recordsIn, 367)
        XCTAssertEqual(seed.errors, [.decode: 3, .schema: 4])
        XCTAssertEqual(seed.recordsOut["output-topic"], 360)
        XCTAssertEqual(seed.recordsOut["dead-letter-topic"], 7)

        let windows = try Self.dryRun(directory: directory, pipeline: "category-windows.yaml", input: sample).run.stats
        XCTAssertEqual(windows.errors, [.decode: 3, .schema: 4])
        XCTAssertEqual(windows.lateRouted, 4, "the sample's four records more than 70 s behind")
        XCTAssertEqual(windows.recordsOut["late-topic"], 4)
        XCTAssertEqual(windows.recordsOut["aggregated-topic"], windows.windowsClosed)
    }

    func testBadRecordingLinesAreReportedAndCounted() throws {
        let input = Array("""
            {"topic":"in","value":{"k":"A","t":1,"v":1}}
            not an envelope
            {"topic":"in","paylod":"x"}
            {"topic":"in","value":{"k":"A","t":2,"v":2}}

            """.utf8)
        let directory = Self.fixtures.appendingPathComponent("tumbling-emit-final")
        let text = try String(contentsOf: directory.appendingPathComponent("pipeline.yaml"), encoding: .utf8)
        let spec = try XCTUnwrap(PipelineLoader.load(text: text, file: "p.yaml", baseDirectory: ".").spec)
        let run = DryRun(plan: try EnginePlan(spec: spec))
        var problems: [Diagnostic] = [], outputs = 0
        run.replay(
            RecordingReader(bytes: input, file: "in.jsonl"), output: { _ in outputs += 1 }, trace: { _ in },
            badLine: { problems.append($0) })
        XCTAssertEqual(problems.map { $0.location?.line }, [2, 3])
        XCTAssertEqual(run.skippedLines, 2)
        XCTAssertEqual(run.stats.recordsIn, 2)
        XCTAssertEqual(outputs, 1)
        XCTAssertTrue(run.summary.contains("unreadable input lines skipped: 2"), run.summary)
    }

    func testExpectDiffComparesPerTopicInOrder() {
        let expected = ExpectDiff.read(Array("""
            {"topic":"a","key":"k","value":{"x":1,"y":2}}
            {"topic":"b","payload":"p"}
            {"topic":"a","value":{"x":2}}
            """.utf8), file: "e.jsonl", defaultTopic: nil)
        XCTAssertTrue(expected.diagnostics.isEmpty)
        let actual = [
            Record(topic: "b", timestamp: 5, value: Array("p".utf8)),
            Record(topic: "a", timestamp: 7, key: Array("k".utf8), value: Array(#"{"y":2,"x":1}"#.utf8)),
            Record(topic: "a", value: Array(#"{"x":3}"#.utf8)),
            Record(topic: "c", value: nil),
        ]
        let mismatches = ExpectDiff.compare(actual: actual, expected: expected.lines)
        XCTAssertEqual(mismatches.map { "\($0.topic)#\($0.index) \($0.difference)" }, ["a#1 value", "c#0 unexpected"])
        let text = ExpectDiff.render(mismatches, expectedFile: "e.jsonl")
        XCTAssertTrue(text.contains("a #1: value differs (e.jsonl:3)"), text)
    }
}

enum FixtureError: Error { case invalid(String) }
