import Foundation
import SluiceKafka
import SluiceSupport
import XCTest

/// `sluice run` against an independent broker that stores offsets and supports CreateTopics.
final class RunNoidaTests: XCTestCase {
    /// SIGTERM while records are still arriving, then a restart with the same static member
    /// id: every expected output exactly once, and the running totals continue where the
    /// first run stopped, so aggregated-topic equals the dry-run's exactly.
    func testSigtermMidStreamThenRestart() throws {
        let broker = try NoidaBroker()
        defer { broker.stop() }
        let admin = try KafkaAdmin(config: ["bootstrap.servers": broker.bootstrapServers])
        // Tutorial timestamps are from 2025: keep them whatever their age.
        try admin.createTopics([
            NewTopic(name: "input-topic", partitions: 3, replicationFactor: 1, configs: ["retention.ms": "-1"]),
            NewTopic(name: "output-topic", partitions: 3, replicationFactor: 1, configs: ["retention.ms": "-1"]),
            NewTopic(name: "aggregated-topic", partitions: 3, replicationFactor: 1, configs: ["retention.ms": "-1"]),
            NewTopic(name: "dead-letter-topic", partitions: 1, replicationFactor: 1, configs: ["retention.ms": "-1"]),
        ], timeoutMs: 10_000)
        let records = try RunTestSupport.tutorialRecords()
        let producer = try KafkaProducer(config: KafkaTestSupport.producerConfig(broker.bootstrapServers))

        let arguments = [
            "run", "pipelines/seed-processor.yaml", "--brokers", broker.bootstrapServers, "-X", "session.timeout.ms=6000",
            "-X", "group.instance.id=seed-processor-1", "--commit-interval", "200ms", "--status", "log",
        ]
        for record in records[..<120] { try producer.produce(record, keepPartition: true) }
        try producer.flush(timeoutMs: 10_000)
        let first = try ChildSluice(arguments)
        XCTAssertTrue(first.waitFor("state restored", timeout: 30), first.stderr)
        // The rest trickles in; the first run is stopped while it does.
        for (index, record) in records[120...].enumerated() {
            try producer.produce(record, keepPartition: true)
            producer.poll(timeoutMs: 0)
            Thread.sleep(forTimeInterval: 0.01)
            if index == 100 { first.signal(SIGTERM) }
        }
        try producer.flush(timeoutMs: 10_000)
        XCTAssertTrue(producer.takeDeliveryReports().allSatisfy(\.isDelivered))
        let firstStatus = first.waitForExit(timeout: 15)
        XCTAssertEqual(firstStatus, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("stopped: received SIGTERM"), first.stderr)
        XCTAssertTrue(first.stderr.contains("created changelog topic"), first.stderr)
        let firstCount = try XCTUnwrap(Self.recordsIn(first.stderr), first.stderr)
        XCTAssertGreaterThan(firstCount, 120)
        XCTAssertLessThan(firstCount, records.count, "the stop came mid-stream")

        let second = try ChildSluice.run(arguments + ["--idle-exit", "3s"], timeout: 60)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(Self.recordsIn(second.stderr), records.count - firstCount, "nothing reprocessed, nothing skipped\n\(second.stderr)")
        XCTAssertTrue(second.stderr.split(separator: "\n").contains { $0.contains("state restored") && $0.contains(" entries=5 ") }, second.stderr)

        let expected = try RunTestSupport.dryRun("pipelines/seed-processor.yaml", input: RunTestSupport.root.appendingPathComponent("testdata/tutorial.jsonl"))
        let actual = try RunTestSupport.readAll(["output-topic", "aggregated-topic", "dead-letter-topic"], bootstrap: broker.bootstrapServers)
        XCTAssertEqual(RunTestSupport.perKey(actual["aggregated-topic"]), RunTestSupport.perKey(expected["aggregated-topic"]))
        let withoutNow = { RunTestSupport.removing("processed_at", from: $0) }
        XCTAssertEqual(actual["output-topic"]?.count, expected["output-topic"]?.count)
        XCTAssertEqual(
            RunTestSupport.perKey(actual["output-topic"], transform: withoutNow),
            RunTestSupport.perKey(expected["output-topic"], transform: withoutNow))
        XCTAssertEqual(RunTestSupport.multiset(actual["dead-letter-topic"]), RunTestSupport.multiset(expected["dead-letter-topic"]))
    }

    /// The `records in: N` line of a run's summary.
    static func recordsIn(_ stderr: String) -> Int? {
        guard let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("records in: ") }) else { return nil }
        return Int(line.dropFirst("records in: ".count))
    }
}
