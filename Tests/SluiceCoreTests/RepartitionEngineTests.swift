import Foundation
import SluiceCore
import SluiceSupport
import XCTest

/// The engine through a repartition topic: in memory (dry-run) it gives what the same pipeline
/// declared `keyed_by` gives; in run mode it writes re-keyed records and reads them back.
final class RepartitionEngineTests: XCTestCase {
    static let pipelines = DryRunTests.repository.appendingPathComponent("pipelines")

    private func plan(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) throws -> EnginePlan {
        let (spec, diagnostics) = PipelineLoader.load(text: yaml, file: "test.yaml", baseDirectory: Self.pipelines.path)
        return try EnginePlan(spec: try XCTUnwrap(spec, diagnostics.map(\.description).joined(separator: "\n"), file: file, line: line))
    }

    private func run(_ plan: EnginePlan, _ records: [Record], options: EngineOptions = EngineOptions()) -> (outputs: [Record], stats: EngineStats) {
        let engine = Engine(plan: plan, options: options)
        var outputs: [Record] = []
        for record in records {
            engine.process(record)
            engine.drainOutputs { outputs.append($0.record) }
        }
        engine.finish()
        engine.drainOutputs { outputs.append($0.record) }
        return (outputs, engine.stats)
    }

    private var tutorialSample: [Record] { get throws { try EngineDifferential.tutorialSample() } }

    // MARK: dry-run: the same outputs either way

    func testTutorialPipelinesGiveTheSameOutputsThroughARepartitionTopic() throws {
        let sample = try tutorialSample
        // Several input partitions, so that stream time is a minimum over partitions.
        let generated = Benchmark.tutorialRecords(count: 5_000).enumerated().map { index, record in
            var record = record
            record.partition = Int32(index % 3)
            return record
        }
        for file in ["seed-processor.yaml", "category-windows.yaml"] {
            let text = try String(contentsOf: Self.pipelines.appendingPathComponent(file), encoding: .utf8)
            let keyed = try plan(text)
            let rekeyed = try plan(text.replacingOccurrences(of: "  keyed_by: category\n", with: ""))
            XCTAssertNil(keyed.repartition, file)
            XCTAssertNotNil(rekeyed.repartition, file)
            for (name, records) in [("sample", sample), ("generated", generated)] {
                for partial in [true, false] {
                    let options = EngineOptions(partialDecoding: partial)
                    let direct = run(keyed, records, options: options)
                    let through = run(rekeyed, records, options: options)
                    XCTAssertEqual(direct.stats, through.stats, "\(file) \(name)")
                    XCTAssertGreaterThan(direct.stats.recordsOut.values.reduce(0, +), 0, file)
                    XCTAssertEqual(direct.outputs.count, through.outputs.count, "\(file) \(name)")
                    for (a, b) in zip(direct.outputs, through.outputs) where !Self.same(a, b) {
                        XCTFail("\(file) \(name) partial=\(partial): \(Self.text(a)) != \(Self.text(b))")
                        break
                    }
                }
            }
        }
    }

    /// Same topic, key, timestamp, headers and value (as JSON: a late record is re-encoded).
    private static func same(_ a: Record, _ b: Record) -> Bool {
        a.topic == b.topic && a.key == b.key && a.timestamp == b.timestamp && a.headers == b.headers
            && a.partition == b.partition
            && (a.value == b.value || (a.value.flatMap { try? JSON.parse($0) } == b.value.flatMap { try? JSON.parse($0) }))
    }

    private static func text(_ record: Record) -> String {
        "\(record.topic) key=\(record.key.map { String(decoding: $0, as: UTF8.self) } ?? "null") \(record.value.map { String(decoding: $0, as: UTF8.self) } ?? "null") \(record.headers)"
    }

    private static let windows = """
        pipeline: rekey
        source:
          topics: [in]
          event_time: {field: t, unit: milliseconds}
        steps:
          - window: {type: tumbling, size: 10s, key: category, aggregates: {n: count(), s: sum(v), keys: "count_distinct(key())"}}
          - map: {set: {k: key()}}
        sinks: [{topic: out}]
        dead_letter: {topic: dead}
        """

    private func input(_ value: String, key: String?, ts: Int64 = 0, partition: Int32 = 0, offset: Int64 = 0, topic: String = "in") -> Record {
        Record(
            topic: topic, partition: partition, offset: offset, timestamp: ts, key: key.map { Array($0.utf8) },
            headers: [Header("h", "1")], value: Array(value.utf8))
    }

    func testKeyAfterTheStepAndLateAndErrorRecordsCarryTheStateKey() throws {
        let plan = try plan(Self.windows.replacingOccurrences(of: "window: {", with: "window: {late_topic: late, "))
        XCTAssertEqual(plan.repartition?.step, 0)
        let records = [
            input(#"{"t": 1000, "category": "A", "v": 1}"#, key: "k1", offset: 0),
            input(#"{"t": 2000, "category": "A", "v": 2}"#, key: "k2", offset: 1),
            input(#"{"t": 30000, "category": "B", "v": 3}"#, key: "k1", offset: 2),
            input(#"{"t": 3000, "category": "A", "v": 4}"#, key: "k3", offset: 3),
            input(#"{"t": 31000, "category": "B", "v": "x"}"#, key: "k4", offset: 4),
        ]
        let (outputs, stats) = run(plan, records)
        let out = outputs.filter { $0.topic == "out" }
        XCTAssertEqual(out.map { String(decoding: $0.value ?? [], as: UTF8.self) }, [
            #"{"category":"A","window_start":0,"window_end":10000,"n":2,"s":3,"keys":2,"k":"A"}"#,
            #"{"category":"B","window_start":30000,"window_end":40000,"n":1,"s":3,"keys":1,"k":"B"}"#,
        ])
        XCTAssertEqual(out.first?.key, Array("A".utf8))
        // The late record is the re-keyed one: the state key as key, the input's headers, no internal header.
        let late = try XCTUnwrap(outputs.first { $0.topic == "late" })
        XCTAssertEqual(late.key, Array("A".utf8))
        XCTAssertEqual(late.headers, [Header("h", "1")])
        XCTAssertEqual(late.value.flatMap { try? JSON.parse($0) }, try JSON.parse(Array(#"{"t": 3000, "category": "A", "v": 4}"#.utf8)))
        // sum("x") fails in the window step: the dead-letter record is the re-keyed record too.
        let dead = try XCTUnwrap(outputs.first { $0.topic == "dead" })
        XCTAssertEqual(dead.key, Array("B".utf8))
        XCTAssertEqual(dead.headers.first { $0.name == Engine.DeadLetterHeader.sourceTopic }?.value, Array("rekey-0-repartition".utf8))
        XCTAssertEqual(dead.headers.first { $0.name == Engine.DeadLetterHeader.sourceOffset }?.value, Array("4".utf8))
        XCTAssertFalse(dead.headers.contains { $0.name.hasPrefix("sluice-") }, "\(dead.headers)")
        XCTAssertEqual(stats.recordsIn, 5)
        XCTAssertEqual(stats.lateRouted, 1)
        XCTAssertEqual(stats.recordsOut["rekey-0-repartition"], nil)
    }

    func testDryRunSummaryNamesTheRepartitionTopic() throws {
        let run = DryRun(plan: try plan(Self.windows))
        run.feed(input(#"{"t": 1000, "category": "A", "v": 1}"#, key: "k1")) { _ in }
        XCTAssertTrue(
            run.summary.contains("repartition: records re-keyed by category through rekey-0-repartition before step 1 (test.yaml:6:46), in memory"),
            run.summary)
        XCTAssertTrue(run.summary.contains("records in: 1"), run.summary)
        let keyed = DryRun(plan: try plan(Self.windows.replacingOccurrences(of: "  topics: [in]", with: "  topics: [in]\n  keyed_by: category")))
        XCTAssertFalse(keyed.summary.contains("repartition"), keyed.summary)
    }

    func testKeyInTheStatefulStepSeesTheOriginalRecordKey() throws {
        // count_distinct(key()) counts input keys k1 and k2, not the state key.
        let records = [
            input(#"{"t": 1000, "category": "A", "v": 1}"#, key: "k1"),
            input(#"{"t": 2000, "category": "A", "v": 2}"#, key: "k2", offset: 1),
        ]
        let (outputs, _) = run(try plan(Self.windows), records)
        XCTAssertEqual(outputs.map { String(decoding: $0.value ?? [], as: UTF8.self) }, [
            #"{"category":"A","window_start":0,"window_end":10000,"n":2,"s":3,"keys":2,"k":"A"}"#,
        ])
    }

    // MARK: run mode

    private static let totals = """
        pipeline: g
        source:
          topics: [in]
          event_time: {field: t, unit: milliseconds}
        steps:
          - map: {set: {d: v * 2}}
          - aggregate: {key: category, aggregates: {n: count(), s: sum(d)}}
        sinks: [{topic: out}]
        dead_letter: {topic: dead}
        """

    func testRunModeWritesReKeyedRecordsAndReadsThemBack() throws {
        let plan = try plan(Self.totals.replacingOccurrences(of: "- map", with: "- filter: \"v > 0\"\n  - map"))
        XCTAssertEqual(plan.repartition?.step, 2)
        let target = RepartitionTarget(topic: "g-2-repartition", partitions: 4)
        let engine = Engine(plan: plan, options: EngineOptions(clock: .wallClock, repartition: target))
        // Input partitions do not hold stream time back: only the repartition topic's count.
        engine.assign(partitions: [("in", 0), ("in", 1)], wallTime: 0)
        engine.process(input(#"{"t": 5000, "category": "A", "v": 3}"#, key: "x", ts: 77, partition: 1, offset: 9), wallTime: 1)
        let written = engine.takeOutputs()
        XCTAssertEqual(written.count, 1)
        let record = try XCTUnwrap(written.first?.record)
        XCTAssertEqual(record.topic, "g-2-repartition")
        XCTAssertEqual(record.partition, Int32(Engine.partition(forKey: .string("A"), partitions: 4)))
        XCTAssertEqual(record.key, Array("A".utf8))
        XCTAssertEqual(record.timestamp, 77)
        XCTAssertEqual(record.headers, [Header("h", "1"), Header(Engine.eventTimeHeader, "5000")])
        XCTAssertEqual(record.value.flatMap { try? JSON.parse($0) }, try JSON.parse(Array(#"{"t":5000,"category":"A","v":3,"d":6}"#.utf8)))
        XCTAssertEqual(written.first?.cause, 0)
        XCTAssertNil(engine.streamTime, "stage 1 does not move stream time")
        XCTAssertEqual(engine.stats.recordsOut["g-2-repartition"], 1)

        // Read back from the topic, it enters at the aggregate.
        var back = record
        back.offset = 0
        engine.process(back, wallTime: 2)
        let results = engine.takeOutputs()
        XCTAssertEqual(results.map(\.record.topic), ["out"])
        XCTAssertEqual(results.first?.record.key, Array("A".utf8))
        XCTAssertEqual(results.first?.record.partition, -1)
        XCTAssertEqual(results.first.map { String(decoding: $0.record.value ?? [], as: UTF8.self) }, #"{"category":"A","n":1,"s":6}"#)
        XCTAssertEqual(results.first?.cause, 1)
        XCTAssertEqual(engine.streamTime, 5000)
        XCTAssertEqual(engine.stats.recordsIn, 1, "records read back are not new input")

        // A broken value on the repartition topic is a decode error record, never a crash.
        var broken = back
        broken.value = Array("{nope".utf8)
        broken.offset = 1
        engine.process(broken, wallTime: 3)
        engine.process(Record(topic: "g-2-repartition", partition: 0, offset: 2, timestamp: 0, key: nil, value: nil), wallTime: 3)
        var badTime = back
        badTime.headers = [Header(Engine.eventTimeHeader, "soon")]
        engine.process(badTime, wallTime: 3)
        let errors = engine.takeOutputs()
        XCTAssertEqual(errors.map(\.record.topic), ["dead", "dead", "dead"])
        XCTAssertEqual(errors.first?.record.value, Array("{nope".utf8))
        XCTAssertEqual(errors.first?.record.key, Array("A".utf8))
        XCTAssertFalse(errors.first?.record.headers.contains { $0.name == Engine.eventTimeHeader } ?? true)
        XCTAssertEqual(engine.stats.errors[.decode], 2)
        XCTAssertEqual(engine.stats.errors[.eventTime], 1)
        XCTAssertEqual(engine.streamTime, 5000)
    }

    func testRunModeKeysErrorsAndFilteredRecordsStayInStageOne() throws {
        let plan = try plan(Self.totals)
        let engine = Engine(plan: plan, options: EngineOptions(clock: .wallClock, repartition: RepartitionTarget(topic: "t", partitions: 3)))
        engine.process(input(#"{"t": 1, "v": 1}"#, key: nil))  // key category missing: error in stage 1
        engine.process(input(#"{"t": 1, "v": "s", "category": "A"}"#, key: nil))  // map fails before the step
        engine.process(input(#"{"t": 1, "v": 2, "category": 7}"#, key: nil))
        let outputs = engine.takeOutputs()
        XCTAssertEqual(outputs.map(\.record.topic), ["dead", "dead", "t"])
        XCTAssertEqual(outputs.last?.record.key, Array("7".utf8))
        XCTAssertEqual(outputs.last?.record.partition, Int32(Engine.partition(forKey: .int(7), partitions: 3)))
        XCTAssertEqual(engine.stats.errors[.expression], 2)
        XCTAssertNil(engine.streamTime)
    }
}
