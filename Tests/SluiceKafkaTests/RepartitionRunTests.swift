import Foundation
import SluiceCore
import SluiceKafka
import SluiceSupport
import XCTest

/// `sluice run` of pipelines whose aggregate/window key is not the input's key: records go
/// through the `<group>-<step>-repartition` topic, re-keyed and partitioned by the state key.
final class RepartitionRunTests: XCTestCase {
    static let totals = "testdata/repartition/category-totals.yaml"
    static let windows = "testdata/repartition/category-windows.yaml"

    /// The tutorial records spread over three partitions regardless of their key: every
    /// category's running total still counts each valid record exactly once.
    func testTotalsThroughRepartitionTopic() throws {
        let cluster = try MockCluster(brokers: 1)
        // The mock cluster has no CreateTopics: the repartition topic is made here, like the input.
        for (topic, partitions) in [
            ("input-topic", 3), ("output-topic", 3), ("aggregated-topic", 3), ("dead-letter-topic", 1), ("category-totals-2-repartition", 3),
        ] {
            try cluster.createTopic(topic, partitions: Int32(partitions))
        }
        let records = try Self.roundRobin(RunTestSupport.tutorialRecords(), partitions: 3)
        try RunTestSupport.produce(records, bootstrap: cluster.bootstrapServers)

        let run = try ChildSluice.run([
            "run", Self.totals, "--brokers", cluster.bootstrapServers, "-X", "session.timeout.ms=6000",
            "--idle-exit", "3s", "--status", "log",
        ], timeout: 60)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("category-totals-2-repartition"), run.stderr)
        // Only the source's records count as records in, not their repartitioned copies.
        XCTAssertTrue(run.stderr.contains("records in: \(records.count)"), run.stderr)

        let expected = try dryRun(Self.totals, records)
        let repartition = "category-totals-2-repartition"
        let actual = try RunTestSupport.readAll(
            ["output-topic", "aggregated-topic", "dead-letter-topic", repartition], bootstrap: cluster.bootstrapServers)
        XCTAssertEqual(RunTestSupport.multiset(actual["output-topic"]), RunTestSupport.multiset(expected["output-topic"]))
        XCTAssertEqual(RunTestSupport.multiset(actual["dead-letter-topic"]), RunTestSupport.multiset(expected["dead-letter-topic"]))
        try Self.assertExactTotals(actual["aggregated-topic"] ?? [], expected: expected["aggregated-topic"] ?? [])

        // One repartition record per valid input, on its category's partition, keyed by it.
        let rekeyed = actual[repartition] ?? []
        XCTAssertEqual(rekeyed.count, expected["aggregated-topic"]?.count)
        for record in rekeyed {
            let key = String(decoding: record.key ?? [], as: UTF8.self)
            XCTAssertEqual(record.partition, Int32(Engine.partition(forKey: .string(key), partitions: 3)), "\(key)")
            XCTAssertTrue(record.headers.contains { $0.name == "sluice-event-time" }, "\(record.headers)")
        }
    }

    /// Windows through the repartition topic on one input partition (one right answer):
    /// equal to the dry-run, including late records.
    func testWindowsThroughRepartitionTopicEqualDryRun() throws {
        let cluster = try MockCluster(brokers: 1)
        for topic in ["input-topic", "aggregated-topic", "late-topic", "dead-letter-topic", "category-windows-rekeyed-0-repartition"] {
            try cluster.createTopic(topic, partitions: 1)
        }
        let records = Self.roundRobin(RunTestSupport.withFlushRecord(try RunTestSupport.tutorialRecords()), partitions: 1)
        try RunTestSupport.produce(records, bootstrap: cluster.bootstrapServers)

        let run = try ChildSluice.run([
            "run", Self.windows, "--brokers", cluster.bootstrapServers, "-X", "session.timeout.ms=6000",
            "--idle-exit", "3s", "--status", "log",
        ], timeout: 60)
        XCTAssertEqual(run.status, 0, run.stderr)
        var expected = try dryRun(Self.windows, records)
        expected["aggregated-topic"] = expected["aggregated-topic"]?.filter { $0.key != Array("Z".utf8) }
        let actual = try RunTestSupport.readAll(["aggregated-topic", "late-topic", "dead-letter-topic"], bootstrap: cluster.bootstrapServers)
        XCTAssertGreaterThan(expected["aggregated-topic"]?.count ?? 0, 5)
        XCTAssertGreaterThan(expected["late-topic"]?.count ?? 0, 0)
        for topic in ["aggregated-topic", "late-topic", "dead-letter-topic"] {
            XCTAssertEqual(RunTestSupport.perKey(actual[topic]), RunTestSupport.perKey(expected[topic]), topic)
        }
    }

    // MARK: helpers

    /// Records placed on partitions in turn, whatever their key (offsets renumbered).
    static func roundRobin(_ records: [Record], partitions: Int32) -> [Record] {
        var next: [Int32: Int64] = [:]
        return records.enumerated().map { index, record in
            var placed = record
            placed.topic = "input-topic"
            placed.partition = Int32(index % Int(partitions))
            placed.offset = next[placed.partition, default: 0]
            next[placed.partition] = placed.offset + 1
            return placed
        }
    }

    private func dryRun(_ pipeline: String, _ records: [Record]) throws -> [String: [Record]] {
        let directory = try ChildSluice.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("input.jsonl")
        try RunTestSupport.writeRecording(records, to: input)
        return try RunTestSupport.dryRun(pipeline, input: input)
    }

    /// Running totals (`every: 1`) are exact when, per category, the counts run 1, 2, ... n
    /// with nothing missing or repeated, and the last total equals the dry-run's: which records
    /// a total includes depends on arrival order, its final value does not.
    static func assertExactTotals(_ actual: [Record], expected: [Record], file: StaticString = #filePath, line: UInt = #line) throws {
        func totals(_ records: [Record]) -> [String: [(count: Int64, sum: Int64)]] {
            var result: [String: [(count: Int64, sum: Int64)]] = [:]
            for record in records {
                let key = String(decoding: record.key ?? [], as: UTF8.self)
                guard case .object(let object)? = try? JSON.parse(record.value ?? []), case .int(let count)? = object["count"],
                    case .int(let sum)? = object["sum"]
                else {
                    XCTFail("not a total: \(String(decoding: record.value ?? [], as: UTF8.self))", file: file, line: line)
                    continue
                }
                result[key, default: []].append((count, sum))
            }
            return result
        }
        let got = totals(actual), want = totals(expected)
        XCTAssertEqual(Set(got.keys), Set(want.keys), file: file, line: line)
        XCTAssertGreaterThan(want.count, 1, file: file, line: line)
        for (key, wanted) in want {
            let counts = (got[key] ?? []).map(\.count)
            XCTAssertEqual(counts, Array(1...Int64(wanted.count)), "\(key): counts", file: file, line: line)
            XCTAssertEqual(got[key]?.last?.sum, wanted.last?.sum, "\(key): final sum", file: file, line: line)
        }
    }
}
