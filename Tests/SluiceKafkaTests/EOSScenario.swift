import Foundation
import SluiceCore
import SluiceKafka
import SluiceSupport
import XCTest

/// One tutorial pipeline run exactly once on noida-db: its topics, generated input and the
/// comparison of what a read_committed consumer sees with the dry-run.
struct EOSScenario {
    var pipeline: String
    var inputPartitions: Int32
    var sinks: [String]
    /// Appends a record a day later, so that stream time closes every generated window (the
    /// run keeps windows open at a stop; the dry-run closes them at end of input).
    var flushWindows: Bool

    static let seedProcessor = EOSScenario(
        pipeline: "pipelines/seed-processor.yaml", inputPartitions: 3,
        sinks: ["output-topic", "aggregated-topic", "dead-letter-topic"], flushWindows: false)
    /// seed-processor on six input partitions, for several instances in one group.
    static let scaleOut = EOSScenario(
        pipeline: "pipelines/seed-processor.yaml", inputPartitions: 6,
        sinks: ["output-topic", "aggregated-topic", "dead-letter-topic"], flushWindows: false)
    static let categoryWindows = EOSScenario(
        pipeline: "pipelines/category-windows.yaml", inputPartitions: 1,
        sinks: ["aggregated-topic", "late-topic", "dead-letter-topic"], flushWindows: true)

    /// The key of the flush record, whose window stays open.
    static let flushKey = Array("Z".utf8)

    func arguments(_ broker: NoidaBroker, instance: String = "eos-chaos-1", extra: [String] = []) -> [String] {
        [
            "run", pipeline, "--brokers", broker.bootstrapServers, "--guarantee", "exactly-once",
            "-X", "session.timeout.ms=6000", "-X", "group.instance.id=\(instance)", "--status", "log",
        ] + extra
    }

    /// Creates the input and sink topics and returns `count` generated records (plus the flush
    /// record), on their partitions and numbered as the fresh topic will number them.
    func prepare(_ broker: NoidaBroker, count: Int) throws -> [Record] {
        try broker.createTutorialTopics(inputPartitions: inputPartitions, sinks: sinks)
        return Self.generate(count: count, partitions: inputPartitions, flush: flushWindows)
    }

    /// Tutorial records 250 ms of event time apart, about 1 in 40 malformed and 1 in 50 late
    /// (two minutes back), keyed and partitioned by category.
    static func generate(count: Int, partitions: Int32, flush: Bool) -> [Record] {
        var generator = TutorialGenerator(seed: 5_505)
        var now: Int64 = 1_736_990_000_000
        var next: [Int32: Int64] = [:]
        var records: [Record] = []
        records.reserveCapacity(count + 1)
        func place(_ record: inout Record) {
            let category = record.key.map { String(decoding: $0, as: UTF8.self) } ?? ""
            // Kafka's default partition of the key, like the changelogs (so scale-out moves state with input).
            record.partition = Int32(Engine.partition(forKey: .string(category), partitions: Int(partitions)))
            record.offset = next[record.partition, default: 0]
            next[record.partition] = record.offset + 1
        }
        for _ in 0..<count {
            var record = generator.next(nowMs: now).record
            now += 250
            place(&record)
            records.append(record)
        }
        if flush {
            let seconds = now / 1000 + 86_400
            var record = Record(
                topic: "input-topic", timestamp: seconds * 1000, key: flushKey,
                value: Array(#"{"id":999999,"timestamp":\#(seconds),"value":1,"category":"Z"}"#.utf8))
            record.partition = 0
            record.offset = next[0, default: 0]
            records.append(record)
        }
        return records
    }

    /// The dry-run of `records` (minus the flush record's open window) equals, per key, what
    /// a read_committed consumer sees in every sink.
    func assertSinksEqualDryRun(_ records: [Record], broker: NoidaBroker, file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = try ChildSluice.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("eos-input.jsonl")
        try RunTestSupport.writeRecording(records, to: input)
        var expected = try RunTestSupport.dryRun(pipeline, input: input)
        if flushWindows {
            let windows = expected["aggregated-topic"] ?? []
            expected["aggregated-topic"] = windows.filter { $0.key != Self.flushKey }
            XCTAssertEqual(windows.count, (expected["aggregated-topic"]?.count ?? 0) + 1, "the dry-run closes Z's window", file: file, line: line)
        }
        let actual = try ExactlyOnceTests.readCommitted(sinks, bootstrap: broker.bootstrapServers)
        let withoutNow = { RunTestSupport.removing("processed_at", from: $0) }
        for topic in sinks {
            XCTAssertGreaterThan(expected[topic]?.count ?? 0, 0, "\(topic): nothing expected", file: file, line: line)
            XCTAssertEqual(actual[topic]?.count ?? 0, expected[topic]?.count ?? 0, "\(topic): record count", file: file, line: line)
            let got = RunTestSupport.perKey(actual[topic], transform: withoutNow)
            let want = RunTestSupport.perKey(expected[topic], transform: withoutNow)
            for key in Set(got.keys).union(want.keys).sorted() where got[key] != want[key] {
                let (g, w) = (got[key] ?? [], want[key] ?? [])
                let first = (0..<min(g.count, w.count)).first { g[$0] != w[$0] } ?? min(g.count, w.count)
                XCTFail(
                    "\(topic) key \(key): \(g.count) records, expected \(w.count); first difference at \(first): "
                        + "\(first < g.count ? g[first] : "-") vs expected \(first < w.count ? w[first] : "-")",
                    file: file, line: line)
            }
        }
    }
}
