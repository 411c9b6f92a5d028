import Foundation
import SluiceKafka
import SluiceSupport
import XCTest

/// Two `sluice run` processes in one consumer group over a 6-partition input: both get
/// partitions, the running totals are right, and they stay right when one stops gracefully
/// mid-run and the other takes its partitions (and their state) over.
final class GroupRunTests: XCTestCase {
    func testTwoRunsShareTheInputAndKeepTotalsRightWhenOneStops() throws {
        let started = Date()
        let cluster = try RunHarness.cluster(brokers: 1, inputPartitions: 6)
        let reader = try RunHarness.SinkReader(cluster)
        let first = try RunHarness.startRun(cluster)
        XCTAssertTrue(first.waitFor("partitions assigned", timeout: 15), first.stderr)
        let second = try RunHarness.startRun(cluster)
        // The group rebalances: the second gets partitions, the first gives some up.
        XCTAssertTrue(KafkaTestSupport.wait(timeout: 20) { !RunHarness.assignedPartitions(in: second.stderr).isEmpty },
                      "second run got nothing:\n\(second.stderr)\nfirst:\n\(first.stderr)")
        XCTAssertTrue(KafkaTestSupport.wait(timeout: 10) { first.stderr.contains("partitions revoked") }, first.stderr)
        Thread.sleep(forTimeInterval: 0.5)
        let secondPartitions = Set(RunHarness.assignedPartitions(in: second.stderr))
        let firstLatest = first.stderr.split(separator: "\n").last { $0.contains("partitions assigned") }.map(String.init) ?? ""
        let firstPartitions = Set(RunHarness.assignedPartitions(in: firstLatest))
        XCTAssertFalse(firstPartitions.isEmpty, first.stderr)
        XCTAssertTrue(firstPartitions.isDisjoint(with: secondPartitions), "\(firstPartitions) and \(secondPartitions)")
        XCTAssertEqual(firstPartitions.count + secondPartitions.count, 6)

        var sent = RunHarness.input(count: 240, firstID: 1)
        try RunHarness.produce(sent, to: cluster)
        var expected = try RunHarness.expected(sent)
        XCTAssertTrue(reader.read(timeout: 20) { RunHarness.compare($0, expected: expected).isComplete },
                      "\(RunHarness.compare(reader.records, expected: expected))\n\(first.stderr)\n\(second.stderr)")
        XCTAssertTrue(RunHarness.compare(reader.records, expected: expected).isCorrect)

        // The second stops gracefully; the first takes every partition and its state over.
        // Both have committed first: this checks the handover of partitions and state, not a
        // revocation racing a commit the broker refuses during the rebalance.
        XCTAssertTrue(try RunHarness.waitForCommits(cluster, partitions: 6, timeout: 10), "\(first.stderr)\n\(second.stderr)")
        second.signal(SIGTERM)
        XCTAssertEqual(second.waitForExit(timeout: 20), 0, second.stderr)
        let secondIn = RunHarness.recordsIn(in: second.stderr) ?? 0
        XCTAssertGreaterThan(secondIn, 0, "the second run processed nothing:\n\(second.stderr)")
        let more = RunHarness.input(count: 240, firstID: 1001)
        try RunHarness.produce(more, to: cluster)
        sent += more
        expected = try RunHarness.expected(sent)
        XCTAssertTrue(reader.read(timeout: 30) { RunHarness.compare($0, expected: expected).isComplete },
                      "\(RunHarness.compare(reader.records, expected: expected))\n\(first.stderr)")
        XCTAssertTrue(KafkaTestSupport.wait(timeout: 5) { Set(RunHarness.assignedPartitions(in: first.stderr)).count == 6 }, first.stderr)

        Thread.sleep(forTimeInterval: 0.5)
        first.signal(SIGTERM)
        XCTAssertEqual(first.waitForExit(timeout: 20), 0, first.stderr)
        let firstIn = RunHarness.recordsIn(in: first.stderr) ?? 0
        XCTAssertGreaterThan(firstIn, 0)
        reader.settle(1)
        let comparison = RunHarness.compare(reader.records, expected: expected)
        XCTAssertTrue(comparison.isCorrect, "\(comparison)\n\(first.stderr)\n\(second.stderr)")
        // A graceful handover reprocesses nothing.
        XCTAssertEqual(firstIn + secondIn, sent.count, "records in: first \(firstIn), second \(secondIn)")
        XCTAssertEqual(comparison.duplicates.values.reduce(0, +), 0, "\(comparison)")
        print("""
            group test: \(sent.count) inputs, first run \(firstIn) in (\(firstPartitions.sorted())), \
            second \(secondIn) in (\(secondPartitions.sorted())); duplicates \(comparison.duplicates); \
            \(String(format: "%.1f", Date().timeIntervalSince(started))) s
            """)
    }
}
