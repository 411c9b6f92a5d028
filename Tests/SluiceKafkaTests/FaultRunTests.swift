import Foundation
import SluiceKafka
import SluiceSupport
import XCTest

/// `sluice run` (a child process) against a mock cluster that fails under it: every broker
/// down for several seconds mid-stream, and produce and offset-commit requests failing with
/// retriable errors. The run must resume by itself and lose nothing; duplicates are allowed
/// (at least once) but counted and reported.
final class FaultRunTests: XCTestCase {
    /// Outage shorter than the session timeout, then request errors: the group survives, and
    /// the sinks end up exactly as dry-run's.
    func testRunResumesAfterBrokersGoDownAndRequestsFailAndLosesNothing() throws {
        let started = Date()
        let cluster = try RunHarness.cluster(brokers: 3, inputPartitions: 3)
        var sent = RunHarness.input(count: 150, firstID: 1)
        try RunHarness.produce(sent, to: cluster)
        // A long linger: the run's output requests leave well after its input arrived, so the
        // errors pushed below (right after the input is acknowledged) meet them; message debug
        // lines show them being met. A session longer than the outage keeps the member.
        let run = try RunHarness.startRun(cluster, extra: [
            "-X", "session.timeout.ms=10000", "-X", "linger.ms=200", "--verbose", "-X", "debug=msg",
        ])
        let reader = try RunHarness.SinkReader(cluster)
        var expected = try RunHarness.expected(sent)
        XCTAssertTrue(reader.read(timeout: 20) { RunHarness.compare($0, expected: expected).isComplete },
                      "first batch: \(RunHarness.compare(reader.records, expected: expected))\n\(run.stderr)")

        sent += try brokersDown(cluster, seconds: 5, whileProducing: RunHarness.input(count: 200, firstID: 1001))
        expected = try RunHarness.expected(sent)
        XCTAssertTrue(reader.read(timeout: 40) { RunHarness.compare($0, expected: expected).isComplete },
                      "after the outage: \(RunHarness.compare(reader.records, expected: expected))\n\(run.stderr)")
        XCTAssertTrue(run.isRunning, run.stderr)

        // Retriable errors on the run's next produce and offset commit requests. Only the run
        // commits offsets; the input is acknowledged before the errors are pushed, and then
        // only the run produces, so the errors meet the run's requests.
        let third = RunHarness.input(count: 100, firstID: 2001)
        try RunHarness.produce(third, to: cluster)
        cluster.pushRequestErrors(apiKey: KafkaAPIKey.produce, errors: [
            KafkaError.Code.notLeaderForPartition, KafkaError.Code.requestTimedOut, KafkaError.Code.notEnoughReplicas,
            KafkaError.Code.leaderNotAvailable,
        ])
        cluster.pushRequestErrors(apiKey: KafkaAPIKey.offsetCommit, errors: [
            KafkaError.Code.requestTimedOut, KafkaError.Code.coordinatorNotAvailable, KafkaError.Code.requestTimedOut,
        ])
        sent += third
        expected = try RunHarness.expected(sent)
        XCTAssertTrue(reader.read(timeout: 30) { RunHarness.compare($0, expected: expected).isComplete },
                      "after request errors: \(RunHarness.compare(reader.records, expected: expected))\n\(run.stderr)")
        // librdkafka retries some failed commits itself, so the run may or may not see one;
        // either way the run gets every offset committed by itself.
        XCTAssertTrue(try RunHarness.waitForCommits(cluster, partitions: 3, timeout: 15), "commits did not recover\n\(run.stderr)")
        let met = run.stderr.split(separator: "\n").filter { $0.contains("encountered error: Broker: ") }
        for text in ["Not leader for partition", "Request timed out", "Not enough in-sync replicas", "Leader not available"] {
            XCTAssertTrue(met.contains { $0.contains(text) }, "the run never met \(text): \(met)")
        }

        try stopAndCheckCommits(run, cluster: cluster)
        reader.settle(1)
        let comparison = RunHarness.compare(reader.records, expected: expected)
        XCTAssertTrue(comparison.isCorrect, "\(comparison)\n\(run.stderr)")
        report("outage within the session, request errors", sent: sent, reader: reader, comparison: comparison, run: run, started: started)
    }

    /// Commits keep failing while input is processed, then the coordinator forgets the member
    /// (its partitions are lost): the run rejoins, gets its partitions back and processes the
    /// uncommitted input again. Every input's outputs still arrive (at least once); running
    /// totals that count re-processed input twice are reported.
    func testRunRedoesUncommittedInputAfterLosingItsPartitions() throws {
        let started = Date()
        let cluster = try RunHarness.cluster(brokers: 1, inputPartitions: 3)
        var sent = RunHarness.input(count: 150, firstID: 1)
        try RunHarness.produce(sent, to: cluster)
        let run = try RunHarness.startRun(cluster)
        let reader = try RunHarness.SinkReader(cluster)
        var expected = try RunHarness.expected(sent)
        XCTAssertTrue(reader.read(timeout: 20) { RunHarness.compare($0, expected: expected).isComplete },
                      "first batch: \(RunHarness.compare(reader.records, expected: expected))\n\(run.stderr)")
        Thread.sleep(forTimeInterval: 0.5)

        // Commits fail for a while (about 30 attempts), so the next input stays uncommitted.
        cluster.pushRequestErrors(apiKey: KafkaAPIKey.offsetCommit, errors: Array(repeating: KafkaError.Code.requestTimedOut, count: 30))
        let second = RunHarness.input(count: 100, firstID: 1001)
        try RunHarness.produce(second, to: cluster)
        sent += second
        expected = try RunHarness.expected(sent)
        XCTAssertTrue(reader.read(timeout: 20) { RunHarness.compare($0, expected: expected).isComplete },
                      "second batch: \(RunHarness.compare(reader.records, expected: expected))\n\(run.stderr)")
        let checker = try KafkaConsumer(
            config: KafkaTestSupport.consumerConfig(cluster.bootstrapServers, group: "seed-processor"), logHandler: { _ in })
        let partitions = (0..<Int32(3)).map { TopicPartition(topic: "input-topic", partition: $0) }
        let behind = try checker.committed(partitions, timeoutMs: 10_000).filter { position in
            let end = (try? checker.queryWatermarks(topic: "input-topic", partition: position.partition, timeoutMs: 5_000).high) ?? 0
            return end > 0 && position.offset < end
        }
        XCTAssertFalse(behind.isEmpty, "the second batch was committed despite the failing commits\n\(run.stderr)")
        // The coordinator no longer knows the member (Kafka error 25, UNKNOWN_MEMBER_ID).
        cluster.pushRequestErrors(apiKey: KafkaAPIKey.heartbeat, errors: [25])
        XCTAssertTrue(run.waitFor("partitions lost", timeout: 15), run.stderr)
        cluster.clearRequestErrors(apiKey: KafkaAPIKey.offsetCommit)
        XCTAssertTrue(KafkaTestSupport.wait(timeout: 20) { RunHarness.assignedPartitions(in: run.stderr).count >= 6 }, run.stderr)

        let third = RunHarness.input(count: 50, firstID: 2001)
        try RunHarness.produce(third, to: cluster)
        sent += third
        expected = try RunHarness.expected(sent)
        let complete: ([String: [Record]]) -> Bool = { records in
            let comparison = RunHarness.compare(records, expected: expected)
            return comparison.missing["output-topic"]?.isEmpty == true && comparison.missing["dead-letter-topic"]?.isEmpty == true
        }
        XCTAssertTrue(reader.read(timeout: 30, until: complete),
                      "after rejoining: \(RunHarness.compare(reader.records, expected: expected))\n\(run.stderr)")

        try stopAndCheckCommits(run, cluster: cluster)
        reader.settle(1)
        let comparison = RunHarness.compare(reader.records, expected: expected)
        XCTAssertEqual(comparison.missing["output-topic"], [], "\(comparison)")
        XCTAssertEqual(comparison.missing["dead-letter-topic"], [], "\(comparison)")
        XCTAssertEqual(comparison.unexpected["output-topic"], [], "\(comparison)")
        // No running total may fall short of dry-run's: nothing lost.
        let overcounts = RunHarness.countDifferences(reader.records, expected: expected)
        XCTAssertTrue(overcounts.values.allSatisfy { $0 >= 0 }, "a running total lost records: \(overcounts)")
        report("partitions lost with uncommitted input", sent: sent, reader: reader, comparison: comparison, run: run, started: started)
        let counted = overcounts.filter { $0.value != 0 }
        print("fault test: running totals that counted re-processed input again (category: extra records): \(counted.isEmpty ? "none" : "\(counted)")")
    }

    /// Takes every broker down for `seconds` while `records` are produced at a steady pace,
    /// then brings them back; returns the records (all acknowledged).
    private func brokersDown(_ cluster: MockCluster, seconds: TimeInterval, whileProducing records: [Record]) throws -> [Record] {
        let bootstrap = cluster.bootstrapServers
        let finished = DispatchSemaphore(value: 0)
        let writer = Thread {
            defer { finished.signal() }
            guard let producer = try? KafkaProducer(
                config: ["bootstrap.servers": bootstrap, "linger.ms": "5", "partitioner": "murmur2_random", "reconnect.backoff.max.ms": "500"],
                logHandler: { _ in })
            else { return }
            for (index, record) in records.enumerated() {
                _ = try? producer.produce(record)
                producer.poll(timeoutMs: 0)
                if index % 20 == 19 { Thread.sleep(forTimeInterval: 0.3) }
            }
            try? producer.flush(timeoutMs: 30_000)
        }
        writer.start()
        Thread.sleep(forTimeInterval: 1)
        for broker in 1...Int32(cluster.brokerCount) { try cluster.setBrokerDown(broker) }
        Thread.sleep(forTimeInterval: seconds)
        for broker in 1...Int32(cluster.brokerCount) { try cluster.setBrokerUp(broker) }
        XCTAssertEqual(finished.wait(timeout: .now() + 40), .success, "the input producer did not finish")
        return records
    }

    /// Stops the run with SIGTERM and checks that it committed every input partition to its end.
    private func stopAndCheckCommits(_ run: ChildSluice, cluster: MockCluster) throws {
        Thread.sleep(forTimeInterval: 1)
        run.signal(SIGTERM)
        XCTAssertEqual(run.waitForExit(timeout: 20), 0, run.stderr)
        let checker = try KafkaConsumer(
            config: KafkaTestSupport.consumerConfig(cluster.bootstrapServers, group: "seed-processor"), logHandler: { _ in })
        let partitions = (0..<Int32(3)).map { TopicPartition(topic: "input-topic", partition: $0) }
        for position in try checker.committed(partitions, timeoutMs: 10_000) {
            let end = try checker.queryWatermarks(topic: "input-topic", partition: position.partition, timeoutMs: 5_000).high
            // Nothing was ever read from an empty partition, so nothing is committed there.
            let committed = end == 0 && position.offset < 0 ? 0 : position.offset
            XCTAssertEqual(committed, end, "\(position) not committed up to the end \(end)\n\(run.stderr)")
        }
    }

    private func report(
        _ scenario: String, sent: [Record], reader: RunHarness.SinkReader, comparison: RunHarness.Comparison, run: ChildSluice,
        started: Date
    ) {
        // SLUICE_TEST_VERBOSE=1 shows the run's log.
        if ProcessInfo.processInfo.environment["SLUICE_TEST_VERBOSE"] != nil { print(run.stderr) }
        let summary = run.stderr.split(separator: "\n").filter { $0.hasPrefix("records") || $0.hasPrefix("kafka errors") }
        print("""
            fault test (\(scenario)): \(sent.count) inputs; outputs \(reader.records.mapValues(\.count)); \
            duplicates \(comparison.duplicates); run: \(summary.joined(separator: "; ")); \
            \(String(format: "%.1f", Date().timeIntervalSince(started))) s
            """)
    }
}
