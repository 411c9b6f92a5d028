import Foundation
import SluiceCore
import SluiceKafka
import SluiceSupport
import XCTest

/// `sluice run` as a subprocess against the in-process mock cluster gives what `sluice dry-run`
/// gives on the same records.
final class RunEqualsDryRunTests: XCTestCase {
    /// Tutorial records on their recorded partitions (each key on one partition), so per-key
    /// order is the same in both; `processed_at` (now()) is the wall clock in a run and the
    /// record timestamp in a dry-run, so it is compared separately.
    func testSeedProcessorRunEqualsDryRun() throws {
        let cluster = try MockCluster(brokers: 1)
        for (topic, partitions) in [("input-topic", 3), ("output-topic", 3), ("aggregated-topic", 3), ("dead-letter-topic", 1)] {
            try cluster.createTopic(topic, partitions: Int32(partitions))
        }
        let records = try RunTestSupport.tutorialRecords()
        try RunTestSupport.produce(records, bootstrap: cluster.bootstrapServers)

        let before = Int64(Date().timeIntervalSince1970 * 1000)
        // No changelog topic exists: the runner falls back to auto-creation on the mock cluster.
        let run = try ChildSluice.run([
            "run", "pipelines/seed-processor.yaml", "--brokers", cluster.bootstrapServers, "-X", "session.timeout.ms=6000",
            "--idle-exit", "2s", "--status", "log",
        ], timeout: 60)
        let after = Int64(Date().timeIntervalSince1970 * 1000)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("records in: 367"), run.stderr)
        XCTAssertTrue(run.stderr.contains("changelog topic auto-created"), run.stderr)

        let expected = try RunTestSupport.dryRun("pipelines/seed-processor.yaml", input: RunTestSupport.root.appendingPathComponent("testdata/tutorial.jsonl"))
        let actual = try RunTestSupport.readAll(["output-topic", "aggregated-topic", "dead-letter-topic"], bootstrap: cluster.bootstrapServers)

        let withoutNow = { RunTestSupport.removing("processed_at", from: $0) }
        XCTAssertEqual(actual["output-topic"]?.count, expected["output-topic"]?.count)
        XCTAssertEqual(RunTestSupport.perKey(actual["output-topic"], transform: withoutNow), RunTestSupport.perKey(expected["output-topic"], transform: withoutNow))
        XCTAssertEqual(RunTestSupport.perKey(actual["aggregated-topic"]), RunTestSupport.perKey(expected["aggregated-topic"]))
        // Records without a key come from two partitions: compared as a multiset.
        XCTAssertEqual(RunTestSupport.multiset(actual["dead-letter-topic"]), RunTestSupport.multiset(expected["dead-letter-topic"]))
        XCTAssertEqual(actual["dead-letter-topic"]?.count, 7)

        // now() is the wall clock while running.
        for record in actual["output-topic"] ?? [] {
            guard case .object(let object)? = try? JSON.parse(record.value ?? []), case .int(let at)? = object["processed_at"] else {
                return XCTFail("no processed_at in \(String(decoding: record.value ?? [], as: UTF8.self))")
            }
            XCTAssertTrue((before...after).contains(at), "processed_at \(at) outside the run")
        }
    }

    /// Windows: one input partition, so stream time and lateness are the same in both (with
    /// several partitions the wall-clock idle rule of a run and the event-time one of a
    /// dry-run differ). A final record a day later closes every window by stream time in the
    /// run; dry-run closes its window too at end of input, the run must keep it open (its state
    /// waits in the changelog), so the run's output is the dry-run's minus that one window.
    func testCategoryWindowsRunEqualsDryRunOnOnePartition() throws {
        let cluster = try MockCluster(brokers: 1)
        for topic in ["input-topic", "aggregated-topic", "late-topic", "dead-letter-topic", "category-windows-0-window-changelog"] {
            try cluster.createTopic(topic, partitions: 1)
        }
        var records = RunTestSupport.withFlushRecord(try RunTestSupport.tutorialRecords())
        for index in records.indices {
            records[index].partition = 0
            records[index].offset = Int64(index)
        }
        let directory = try ChildSluice.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("one-partition.jsonl")
        try RunTestSupport.writeRecording(records, to: input)
        try RunTestSupport.produce(records, bootstrap: cluster.bootstrapServers)

        let run = try ChildSluice.run([
            "run", "pipelines/category-windows.yaml", "--brokers", cluster.bootstrapServers, "-X", "session.timeout.ms=6000",
            "--idle-exit", "2s", "--status", "none",
        ], timeout: 60)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("records in: 368"), run.stderr)

        let expected = try RunTestSupport.dryRun("pipelines/category-windows.yaml", input: input)
        let actual = try RunTestSupport.readAll(["aggregated-topic", "late-topic", "dead-letter-topic"], bootstrap: cluster.bootstrapServers)
        let expectedWindows = (expected["aggregated-topic"] ?? []).filter { $0.key != Array("Z".utf8) }
        XCTAssertEqual(expected["aggregated-topic"]?.count, expectedWindows.count + 1, "the dry-run closes Z's window at end of input")
        XCTAssertGreaterThan(expectedWindows.count, 40)
        XCTAssertEqual(RunTestSupport.perKey(actual["aggregated-topic"]), RunTestSupport.perKey(expectedWindows))
        XCTAssertFalse((actual["aggregated-topic"] ?? []).contains { $0.key == Array("Z".utf8) }, "an open window was emitted at stop")
        XCTAssertEqual(RunTestSupport.perKey(actual["late-topic"]), RunTestSupport.perKey(expected["late-topic"]))
        XCTAssertEqual(RunTestSupport.perKey(actual["dead-letter-topic"]), RunTestSupport.perKey(expected["dead-letter-topic"]))
        XCTAssertEqual(actual["late-topic"]?.count, expected["late-topic"]?.count)
    }

    /// A source topic that does not exist is an error that retrying cannot fix: exit 1 at once.
    func testMissingSourceTopicStopsWithAClearError() throws {
        let cluster = try MockCluster(brokers: 1)
        let run = try ChildSluice.run(["run", "pipelines/seed-processor.yaml", "--brokers", cluster.bootstrapServers], timeout: 30)
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains(#"error: source topic "input-topic" does not exist"#), run.stderr)
        XCTAssertTrue(run.stderr.contains("stopped: error"), run.stderr)
    }
}
