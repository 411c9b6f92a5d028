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
        XCTAssertTrue(KafkaTestSupport.wait(timeout: 10) {
            let latest = RunHarness.latestAssignment(in: first.stderr)
            return !latest.isEmpty && latest.count < 6
        }, first.stderr)
        let secondPartitions = Set(RunHarness.assignedPartitions(in: second.stderr))
        let firstPartitions = Set(RunHarness.latestAssignment(in: first.stderr))
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
        // Once the first owns every partition, more input: its totals continue from the state
        // the second left in the changelog.
        XCTAssertTrue(KafkaTestSupport.wait(timeout: 15) { RunHarness.latestAssignment(in: first.stderr).count == 6 }, first.stderr)
        // The restore that follows that assignment brings the second's totals over.
        var restored: Substring?
        XCTAssertTrue(KafkaTestSupport.wait(timeout: 10) {
            let lines = first.stderr.split(separator: "\n")
            guard let assigned = lines.lastIndex(where: { $0.contains("partitions assigned") }) else { return false }
            restored = lines[assigned...].first { $0.contains("state restored") }
            return restored != nil
        }, first.stderr)
        XCTAssertFalse(restored?.contains("entries=0 ") ?? true, "no state restored for the partitions taken over: \(restored ?? "")")
        let more = RunHarness.input(count: 240, firstID: 1001)
        try RunHarness.produce(more, to: cluster)
        sent += more
        expected = try RunHarness.expected(sent)
        XCTAssertTrue(reader.read(timeout: 30) { RunHarness.compare($0, expected: expected).isComplete },
                      "\(RunHarness.compare(reader.records, expected: expected))\n\(first.stderr)")

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

    /// The same handover while input keeps arriving: the first run is still processing when
    /// the group rebalances, so it must not process (and count) anything twice.
    func testTotalsStayRightWhenOneStopsWhileInputKeepsArriving() throws {
        // A revoke-time commit may be refused (REBALANCE_IN_PROGRESS): the survivor then reads
        // again records whose effect the restored state holds. The changelog's markers carry
        // the input positions the state reflects, and those records are skipped.
        let cluster = try RunHarness.cluster(brokers: 1, inputPartitions: 6)
        let reader = try RunHarness.SinkReader(cluster)
        let first = try RunHarness.startRun(cluster)
        XCTAssertTrue(first.waitFor("partitions assigned", timeout: 15), first.stderr)
        let second = try RunHarness.startRun(cluster)
        XCTAssertTrue(KafkaTestSupport.wait(timeout: 20) { !RunHarness.assignedPartitions(in: second.stderr).isEmpty }, second.stderr)
        var sent = RunHarness.input(count: 240, firstID: 1)
        try RunHarness.produce(sent, to: cluster)
        var expected = try RunHarness.expected(sent)
        XCTAssertTrue(reader.read(timeout: 20) { RunHarness.compare($0, expected: expected).isComplete }, second.stderr)

        // Input keeps coming in small batches while the second stops and the group rebalances.
        let flowing = RunHarness.input(count: 240, firstID: 1001)
        let bootstrap = cluster.bootstrapServers
        let done = DispatchSemaphore(value: 0)
        Thread {
            defer { done.signal() }
            guard let producer = try? KafkaProducer(
                config: ["bootstrap.servers": bootstrap, "linger.ms": "5", "partitioner": "murmur2_random"], logHandler: { _ in })
            else { return }
            for (index, record) in flowing.enumerated() {
                _ = try? producer.produce(record)
                producer.poll(timeoutMs: 0)
                if index % 24 == 23 { Thread.sleep(forTimeInterval: 0.5) }
            }
            try? producer.flush(timeoutMs: 20_000)
        }.start()
        Thread.sleep(forTimeInterval: 0.7)
        second.signal(SIGTERM)
        XCTAssertEqual(second.waitForExit(timeout: 20), 0, second.stderr)
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        sent += flowing
        expected = try RunHarness.expected(sent)
        // Every input's outputs arrive; the running totals are compared at the end.
        XCTAssertTrue(reader.read(timeout: 30) { records in
            let comparison = RunHarness.compare(records, expected: expected)
            return comparison.missing["output-topic"]?.isEmpty == true && comparison.missing["dead-letter-topic"]?.isEmpty == true
                && (records["aggregated-topic"]?.count ?? 0) >= (expected["aggregated-topic"]?.count ?? 0)
        }, "\(RunHarness.compare(reader.records, expected: expected))\n\(first.stderr)")
        Thread.sleep(forTimeInterval: 0.5)
        first.signal(SIGTERM)
        XCTAssertEqual(first.waitForExit(timeout: 20), 0, first.stderr)
        reader.settle(1)
        let comparison = RunHarness.compare(reader.records, expected: expected)
        XCTAssertTrue(comparison.isCorrect, "\(comparison)\n\(first.stderr)\n\(second.stderr)")
        let firstIn = RunHarness.recordsIn(in: first.stderr) ?? 0, secondIn = RunHarness.recordsIn(in: second.stderr) ?? 0
        XCTAssertEqual(firstIn + secondIn, sent.count, "records in: first \(firstIn), second \(secondIn)")
        print("group test (input flowing): \(sent.count) inputs, first \(firstIn) in, second \(secondIn) in; duplicates \(comparison.duplicates)")
    }
}
