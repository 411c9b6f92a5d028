import Foundation
import SluiceCore
import SluiceKafka
import SluiceSupport
import XCTest

/// The runner in this process against the mock cluster: a graceful stop and a restart
/// reprocess nothing, and running totals, open windows and stream time carry over.
final class RunRestartTests: XCTestCase {
    func testRestartAfterGracefulStopContinuesRunningTotals() async throws {
        let cluster = try MockCluster(brokers: 1)
        // Changelog created like the input, so state moves with its partitions.
        for (topic, partitions) in [
            ("input-topic", 3), ("output-topic", 3), ("aggregated-topic", 3), ("dead-letter-topic", 1),
            ("seed-processor-2-aggregate-changelog", 3),
        ] {
            try cluster.createTopic(topic, partitions: Int32(partitions))
        }
        let records = try RunTestSupport.tutorialRecords()
        try RunTestSupport.produce(records, bootstrap: cluster.bootstrapServers)

        let first = try await RunTestSupport.runInProcess(
            "pipelines/seed-processor.yaml", bootstrap: cluster.bootstrapServers, options: RunOptions(maxRecords: 150, pollBatchSize: 40))
        XCTAssertEqual(first.outcome.summary.stats.recordsIn, 150)
        XCTAssertTrue(first.outcome.summary.reason.contains("max-records"), first.outcome.summary.reason)
        XCTAssertFalse(first.log.contains { $0.message.contains("changelog partitions differ") })

        let second = try await RunTestSupport.runInProcess(
            "pipelines/seed-processor.yaml", bootstrap: cluster.bootstrapServers, options: RunOptions(idleExitMs: 1500))
        XCTAssertEqual(second.outcome.summary.stats.recordsIn, records.count - 150, "a graceful stop reprocesses nothing")
        // The categories seen before the stop (which depends on how partitions were polled).
        let restored = second.log.first { $0.message == "state restored" }
        let entries = Int(restored?.fields.first { $0.name == "entries" }?.value ?? "") ?? 0
        XCTAssertTrue((1...5).contains(entries), "\(second.log.map(\.text))")

        let expected = try RunTestSupport.dryRun("pipelines/seed-processor.yaml", input: RunTestSupport.root.appendingPathComponent("testdata/tutorial.jsonl"))
        let actual = try RunTestSupport.readAll(["output-topic", "aggregated-topic", "dead-letter-topic"], bootstrap: cluster.bootstrapServers)
        XCTAssertEqual(RunTestSupport.perKey(actual["aggregated-topic"]), RunTestSupport.perKey(expected["aggregated-topic"]))
        let withoutNow = { RunTestSupport.removing("processed_at", from: $0) }
        XCTAssertEqual(
            RunTestSupport.perKey(actual["output-topic"], transform: withoutNow),
            RunTestSupport.perKey(expected["output-topic"], transform: withoutNow), "every output once, in order per key")
        XCTAssertEqual(RunTestSupport.multiset(actual["dead-letter-topic"]), RunTestSupport.multiset(expected["dead-letter-topic"]))
    }

    /// A window open at the stop is emitted by the next run once stream time passes it, with
    /// the state gathered before the stop; and the restored stream time still makes a record
    /// for a long-closed window late.
    func testOpenWindowAndStreamTimeSurviveRestart() async throws {
        let cluster = try MockCluster(brokers: 1)
        for topic in ["input-topic", "aggregated-topic", "late-topic", "dead-letter-topic"] {
            try cluster.createTopic(topic, partitions: 1)
        }
        let day: Int64 = 86_400
        let base: Int64 = 1_736_990_000
        func reading(_ id: Int, _ time: Int64, _ value: Int, _ category: String) -> Record {
            Record(
                topic: "input-topic", timestamp: time * 1000, key: Array(category.utf8),
                value: Array(#"{"id":\#(id),"timestamp":\#(time),"value":\#(value),"category":"\#(category)"}"#.utf8))
        }
        try RunTestSupport.produce([
            reading(1, base, 10, "A"), reading(2, base + 20, 5, "A"), reading(3, base + day, 7, "Z"), reading(4, base + day + 5, 8, "Z"),
        ], bootstrap: cluster.bootstrapServers)
        let first = try await RunTestSupport.runInProcess(
            "pipelines/category-windows.yaml", bootstrap: cluster.bootstrapServers, options: RunOptions(idleExitMs: 1500))
        XCTAssertEqual(first.outcome.summary.stats.recordsIn, 4)
        XCTAssertEqual(first.outcome.summary.stats.recordsOut["aggregated-topic"], 1, "A's window closed, Z's is open")

        // Late for a window that closed before the stop; then a record that closes Z's window.
        try RunTestSupport.produce([reading(5, base + 30, 100, "A"), reading(6, base + 2 * day, 1, "Y")], bootstrap: cluster.bootstrapServers)
        let second = try await RunTestSupport.runInProcess(
            "pipelines/category-windows.yaml", bootstrap: cluster.bootstrapServers, options: RunOptions(idleExitMs: 1500))
        XCTAssertEqual(second.outcome.summary.stats.recordsIn, 2)
        let restored = second.log.first { $0.message == "state restored" }
        XCTAssertEqual(restored?.fields.first { $0.name == "entries" }?.value, "1", "\(second.log.map(\.text))")
        XCTAssertNotNil(restored?.fields.first { $0.name == "stream_time" })

        let actual = try RunTestSupport.readAll(["aggregated-topic", "late-topic"], bootstrap: cluster.bootstrapServers)
        let windows = (actual["aggregated-topic"] ?? []).compactMap { record -> JSONObject? in
            guard case .object(let object)? = try? JSON.parse(record.value ?? []) else { return nil }
            return object
        }
        XCTAssertEqual(windows.count, 2, "\(windows)")
        XCTAssertEqual(windows.first?["category"], .string("A"))
        XCTAssertEqual(windows.first?["count"], .int(2))
        XCTAssertEqual(windows.last?["category"], .string("Z"))
        XCTAssertEqual(windows.last?["count"], .int(2), "Z's window keeps the records seen before the stop")
        XCTAssertEqual(windows.last?["sum"], .int(15))
        XCTAssertEqual(actual["late-topic"]?.count, 1)
        XCTAssertEqual(actual["late-topic"]?.first?.value, reading(5, base + 30, 100, "A").value)
    }
}
