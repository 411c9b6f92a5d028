import Foundation
import SluiceCore
import SluiceSupport
import XCTest

/// Runs the same records through an engine that decodes partially (and takes its fused fast
/// paths) and one that decodes every value in full: outputs, their order, their causes and the
/// counters must be identical.
enum EngineDifferential {
    /// Outputs and counters of one run; outputs are drained after every `drainEvery` records.
    static func outcome(
        _ plan: EnginePlan, _ records: [Record], partial: Bool, clock: EngineOptions.Clock = .eventTime, drainEvery: Int = 1
    ) -> ([EngineOutput.Comparable], EngineStats) {
        let engine = Engine(plan: plan, options: EngineOptions(clock: clock, trace: false, partialDecoding: partial))
        var outputs: [EngineOutput.Comparable] = []
        for (index, record) in records.enumerated() {
            engine.process(record, wallTime: 1_800_000_000_000 + Int64(index) * 37)
            if index % drainEvery == drainEvery - 1 { engine.drainOutputs { outputs.append($0.comparable) } }
        }
        engine.finish()
        engine.drainOutputs { outputs.append($0.comparable) }
        return (outputs, engine.stats)
    }

    /// Fails at the first output that differs between partial and full decoding.
    static func assertSame(
        _ name: String, _ plan: EnginePlan, _ records: [Record], clock: EngineOptions.Clock = .eventTime, drainEvery: Int = 1,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let (fast, fastStats) = outcome(plan, records, partial: true, clock: clock, drainEvery: drainEvery)
        let (whole, wholeStats) = outcome(plan, records, partial: false, clock: clock, drainEvery: drainEvery)
        XCTAssertEqual(fastStats, wholeStats, name, file: file, line: line)
        XCTAssertEqual(fast.count, whole.count, name, file: file, line: line)
        if let index = (0..<min(fast.count, whole.count)).first(where: { fast[$0] != whole[$0] }) {
            XCTFail("\(name): output \(index) differs:\n  fast:  \(fast[index])\n  whole: \(whole[index])", file: file, line: line)
        }
        XCTAssertFalse(whole.isEmpty, name, file: file, line: line)
    }

    /// The records of testdata/tutorial.jsonl, on input-topic.
    static func tutorialSample() throws -> [Record] {
        let bytes = try Array(Data(contentsOf: DryRunTests.repository.appendingPathComponent("testdata/tutorial.jsonl")))
        return RecordingReader(bytes: bytes, file: "tutorial.jsonl", defaultTopic: "input-topic").compactMap {
            if case .record(let record, _) = $0 { return record }
            return nil
        }
    }

    /// The plan of pipeline text whose relative paths resolve against `pipelines/`.
    static func plan(yaml: String) throws -> EnginePlan {
        let directory = DryRunTests.repository.appendingPathComponent("pipelines").path
        let (spec, diagnostics) = PipelineLoader.load(text: yaml, file: "test.yaml", baseDirectory: directory)
        return try EnginePlan(spec: try XCTUnwrap(spec, diagnostics.map(\.description).joined(separator: "\n")))
    }
}

extension RandomRecordValues {
    /// `count` input-topic records of random values over three partitions, 700 ms apart.
    static func records(seed: UInt64, count: Int) -> [Record] {
        var random = RandomRecordValues(seed: seed)
        return (0..<count).map { index in
            Record(
                topic: "input-topic", partition: Int32(index % 3), offset: Int64(index / 3),
                timestamp: 1_736_990_000_000 + Int64(index) * 700, key: nil, value: random.value())
        }
    }
}
