import SluiceCore
import SluiceSupport
import XCTest

/// Feeds records of several topics to an engine built from pipeline YAML.
final class JoinHarness {
    var engine: Engine
    let plan: EnginePlan
    private(set) var produced: [Record] = []
    private var offsets: [String: Int64] = [:]

    init(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (spec, diagnostics) = PipelineLoader.load(text: yaml, file: "test.yaml", baseDirectory: ".")
        guard let spec else {
            XCTFail("invalid pipeline: \(diagnostics.map(\.description).joined(separator: "\n"))", file: file, line: line)
            throw HarnessError.invalidPipeline
        }
        plan = try EnginePlan(spec: spec)
        engine = Engine(plan: plan)
    }

    /// Feeds one record; `value` is JSON text, nil for a tombstone.
    func feed(_ topic: String, key: String?, _ value: String?, ts: Int64 = 0) {
        let offset = offsets[topic, default: 0]
        offsets[topic] = offset + 1
        engine.process(Record(
            topic: topic, partition: 0, offset: offset, timestamp: ts, key: key.map { Array($0.utf8) },
            value: value.map { Array($0.utf8) }))
        produced += engine.takeOutputs().map(\.record)
    }

    func finish() {
        engine.finish()
        produced += engine.takeOutputs().map(\.record)
    }

    /// Replaces the engine by a new one restored from a snapshot of the current one.
    func restart() {
        let state = engine.snapshot()
        engine = Engine(plan: plan)
        engine.restore(state)
    }

    /// `key value` lines of what `topic` received.
    func lines(_ topic: String) -> [String] {
        produced.filter { $0.topic == topic }.map {
            "\($0.key.map { String(decoding: $0, as: UTF8.self) } ?? "null") \(String(decoding: $0.value ?? [], as: UTF8.self))"
        }
    }
}
