import SluiceCore
import SluiceSupport
import XCTest

/// Builds engines from pipeline YAML and feeds them small records.
struct EngineHarness {
    let engine: Engine
    private(set) var produced: [Record] = []

    init(_ yaml: String, trace: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws {
        let (spec, diagnostics) = PipelineLoader.load(text: yaml, file: "test.yaml", baseDirectory: ".")
        guard let spec else {
            XCTFail("invalid pipeline: \(diagnostics.map(\.description).joined(separator: "\n"))", file: file, line: line)
            throw HarnessError.invalidPipeline
        }
        engine = Engine(plan: try EnginePlan(spec: spec), options: EngineOptions(trace: trace))
    }

    /// Feeds a record whose value is `json` (raw text, so invalid JSON can be fed too).
    mutating func feed(_ json: String, key: String? = nil, ts: Int64 = 0, partition: Int32 = 0, offset: Int64? = nil) {
        let record = Record(
            topic: "in", partition: partition, offset: offset ?? Int64(engine.inputCount), timestamp: ts,
            key: key.map { Array($0.utf8) }, value: Array(json.utf8))
        engine.process(record)
        produced += engine.takeOutputs().map(\.record)
    }

    mutating func finish() {
        engine.finish()
        produced += engine.takeOutputs().map(\.record)
    }

    /// The values produced to `topic`, as compact JSON text.
    func values(_ topic: String) -> [String] {
        produced.filter { $0.topic == topic }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
    }

    func records(_ topic: String) -> [Record] { produced.filter { $0.topic == topic } }
}

enum HarnessError: Error { case invalidPipeline }

/// A pipeline reading `in` with event time `t` in milliseconds and one window step.
func windowPipeline(_ window: String, extra: String = "") -> String {
    """
    pipeline: test
    source:
      topics: [in]
      event_time: {field: t, unit: milliseconds}
    steps:
      - window:
    \(window.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))
    sinks:
      - topic: out
    \(extra)
    """
}
