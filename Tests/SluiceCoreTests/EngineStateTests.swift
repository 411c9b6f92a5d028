import SluiceCore
import SluiceSupport
import XCTest

/// Snapshots and restores of aggregate and window state, as the Kafka runner will use them.
final class EngineStateTests: XCTestCase {
    private func records(_ rows: [(String, Int64, Int)]) -> [Record] {
        rows.map { k, t, v in Record(topic: "in", timestamp: t, value: Array(#"{"k":"\#(k)","t":\#(t),"v":\#(v)}"#.utf8)) }
    }

    /// Running all records through one engine equals running a prefix, snapshotting through the
    /// changelog encoding, restoring into a fresh engine and running the rest.
    private func assertResumable(_ window: String, _ input: [Record], split: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let yaml = windowPipeline(window)
        let plan = try EnginePlan(spec: try XCTUnwrap(PipelineLoader.load(text: yaml, file: "t.yaml", baseDirectory: ".").spec))
        let whole = Engine(plan: plan)
        whole.process(input)
        whole.finish()
        let expected = whole.takeOutputs().map(\.record)

        let first = Engine(plan: plan)
        first.process(input[..<split])
        var produced = first.takeOutputs().map(\.record)
        let snapshot = first.snapshot()
        XCTAssertFalse(snapshot.entries.isEmpty, file: file, line: line)
        let decoded = snapshot.entries.compactMap {
            StateEntry(changelogKey: $0.changelogKey, changelogValue: $0.changelogValue)
        }
        XCTAssertEqual(decoded, snapshot.entries, "changelog round trip", file: file, line: line)

        let second = Engine(plan: plan)
        let (restored, ignored) = second.restore(EngineState(streamTime: snapshot.streamTime, entries: decoded))
        XCTAssertEqual(restored, decoded.count, file: file, line: line)
        XCTAssertEqual(ignored, 0, file: file, line: line)
        second.process(input[split...])
        second.finish()
        produced += second.takeOutputs().map(\.record)
        XCTAssertEqual(produced, expected, file: file, line: line)
    }

    func testTumblingStateSurvivesARestart() throws {
        try assertResumable(
            "type: tumbling\nsize: 10s\ngrace: 5s\nkey: k\naggregates: {n: count(), s: sum(v), a: avg(v), m: max(v)}",
            records([("A", 1000, 1), ("B", 2000, 2), ("A", 12000, 3), ("B", 9000, 4), ("A", 16000, 5), ("B", 30000, 6)]),
            split: 3)
    }

    func testSessionStateSurvivesARestart() throws {
        try assertResumable(
            "type: session\ngap: 5s\ngrace: 10s\nkey: k\naggregates: {n: count(), first: first(v), last: last(v)}",
            records([("A", 0, 1), ("A", 3000, 2), ("A", 12000, 3), ("A", 7500, 4), ("B", 40000, 5)]), split: 3)
    }

    func testSlidingStateSurvivesARestart() throws {
        try assertResumable(
            "type: sliding\nsize: 10s\ngrace: 1m\nkey: k\naggregates: {n: count(), s: sum(v)}",
            records([("A", 1000, 1), ("A", 6000, 2), ("A", 14000, 4), ("A", 5000, 8), ("A", 9000, 16)]), split: 3)
    }

    func testAggregateStateKeepsCountsForEvery() throws {
        let yaml = """
            pipeline: t
            source: {topics: [in]}
            steps:
              - aggregate: {key: k, every: 3, aggregates: {n: count()}}
            sinks: [{topic: out}]
            """
        let plan = try EnginePlan(spec: try XCTUnwrap(PipelineLoader.load(text: yaml, file: "t.yaml", baseDirectory: ".").spec))
        let first = Engine(plan: plan)
        first.process(records([("A", 0, 1), ("A", 0, 1)]))
        let second = Engine(plan: plan)
        second.restore(first.snapshot())
        second.process(records([("A", 0, 1)]))
        XCTAssertEqual(second.takeOutputs().map { String(decoding: $0.record.value ?? [], as: UTF8.self) }, [#"{"k":"A","n":3}"#])
    }

    func testSnapshotCanBeShardedByKeyLikeKafka() throws {
        // Kafka's murmur2 of "21" is -973932308 (from Kafka's own tests).
        XCTAssertEqual(Engine.partition(forKey: .string("21"), partitions: Int(Int32.max)), Int((-973_932_308 as Int32) & 0x7fff_ffff) % Int(Int32.max))
        let partitions = (0..<100).map { Engine.partition(forKey: .string("key-\($0)"), partitions: 3) }
        XCTAssertEqual(Set(partitions), [0, 1, 2])
    }
}
