import Foundation
import SluiceKafka
import SluiceSupport
import Synchronization
import XCTest

/// `sluice run --guarantee exactly-once` on noida-db (the mock cluster neither stores
/// transactional offsets nor hides aborted records): read_committed sinks equal the dry-run.
final class ExactlyOnceTests: XCTestCase {
    static let sinks = ["output-topic", "aggregated-topic", "dead-letter-topic"]

    /// About 2,000 tutorial records through seed-processor exactly once, in one run.
    func testExactlyOnceRunEqualsDryRun() throws {
        let broker = try NoidaBroker()
        defer { broker.stop() }
        let records = try Self.prepare(broker, copies: 6)
        try RunTestSupport.produce(records, bootstrap: broker.bootstrapServers)
        let result = try ChildSluice.run(Self.arguments(broker) + ["--idle-exit", "3s"], timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("exactly once"), result.stderr)
        XCTAssertEqual(RunNoidaTests.recordsIn(result.stderr), records.count, result.stderr)
        try Self.assertSinksEqualDryRun(records, broker: broker)
    }

    /// A second instance with the same transactional id fences the first, which stops with
    /// a clear message and status 1.
    func testOlderInstanceIsFenced() throws {
        let broker = try NoidaBroker()
        defer { broker.stop() }
        let records = try Self.prepare(broker, copies: 8)
        let feeder = Feeder(records, bootstrap: broker.bootstrapServers)
        let shared = ["-X", "transactional.id=seed-processor-fencing-test"]
        let older = try ChildSluice(Self.arguments(broker, instance: "fencing-a") + shared)
        XCTAssertTrue(older.waitFor("partitions assigned", timeout: 20), older.stderr)
        Thread.sleep(forTimeInterval: 0.5)
        let newer = try ChildSluice(Self.arguments(broker, instance: "fencing-b") + shared)
        defer { newer.signal(SIGKILL) }
        XCTAssertEqual(older.waitForExit(timeout: 20), 1, older.stderr)
        XCTAssertTrue(older.stderr.contains("fenced by a newer instance"), older.stderr)
        newer.signal(SIGTERM)
        XCTAssertEqual(newer.waitForExit(timeout: 20), 0, newer.stderr)
        XCTAssertNil(feeder.wait(timeout: 30))
    }

    // MARK: support

    static func arguments(_ broker: NoidaBroker, instance: String = "seed-processor-eos-1") -> [String] {
        [
            "run", "pipelines/seed-processor.yaml", "--brokers", broker.bootstrapServers, "--guarantee", "exactly-once",
            "-X", "session.timeout.ms=6000", "-X", "group.instance.id=\(instance)", "--status", "log",
        ]
    }

    /// Creates the topics and returns `copies` copies of the tutorial records, in order.
    static func prepare(_ broker: NoidaBroker, copies: Int) throws -> [Record] {
        try broker.createTutorialTopics(inputPartitions: 3, sinks: sinks)
        let tutorial = try RunTestSupport.tutorialRecords()
        // Renumbered as the fresh topic will number them, so that the dead letters' source
        // offset headers of the dry-run match.
        var next: [Int32: Int64] = [:]
        return Array(repeating: tutorial, count: copies).joined().map { record in
            var copy = record
            copy.offset = next[record.partition, default: 0]
            next[record.partition] = copy.offset + 1
            return copy
        }
    }

    /// The dry-run of `records` equals what a read_committed consumer sees in every sink.
    static func assertSinksEqualDryRun(_ records: [Record], broker: NoidaBroker, file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = try ChildSluice.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("eos-input.jsonl")
        try RunTestSupport.writeRecording(records, to: input)
        let expected = try RunTestSupport.dryRun("pipelines/seed-processor.yaml", input: input)
        let actual = try readCommitted(sinks, bootstrap: broker.bootstrapServers)
        let withoutNow = { RunTestSupport.removing("processed_at", from: $0) }
        for topic in sinks {
            XCTAssertEqual(actual[topic]?.count ?? 0, expected[topic]?.count ?? 0, "\(topic): record count", file: file, line: line)
            if topic == "dead-letter-topic" {
                // Keyless dead letters come from several partitions: their order is not defined.
                XCTAssertEqual(RunTestSupport.multiset(actual[topic]), RunTestSupport.multiset(expected[topic]), topic, file: file, line: line)
            } else {
                XCTAssertEqual(
                    RunTestSupport.perKey(actual[topic], transform: withoutNow), RunTestSupport.perKey(expected[topic], transform: withoutNow),
                    "\(topic): per-key values", file: file, line: line)
            }
        }
    }

    /// Every committed record of `topics`, read by assignment until each partition's end.
    static func readCommitted(_ topics: [String], bootstrap: String, timeout: TimeInterval = 20) throws -> [String: [Record]] {
        var config = KafkaTestSupport.consumerConfig(bootstrap, group: "eos-test-reader-\(UUID().uuidString)")
        config["isolation.level"] = "read_committed"
        config["enable.partition.eof"] = "true"
        let consumer = try KafkaConsumer(config: config)
        defer { try? consumer.close() }
        var pending: Set<TopicPartition> = []
        var starts: [TopicPartitionOffset] = []
        let metadata = try consumer.topicMetadata(timeoutMs: 10_000)
        for topic in topics {
            guard let found = metadata.first(where: { $0.name == topic }) else { continue }
            for partition in found.partitions {
                pending.insert(TopicPartition(topic: topic, partition: partition))
                starts.append(TopicPartitionOffset(topic: topic, partition: partition, offset: 0))
            }
        }
        var result: [String: [Record]] = Dictionary(uniqueKeysWithValues: topics.map { ($0, []) })
        guard !starts.isEmpty else { return result }
        try consumer.assign(starts)
        let deadline = Date().addingTimeInterval(timeout)
        while !pending.isEmpty, Date() < deadline {
            for message in consumer.pollBatch(maxMessages: 1000, timeoutMs: 100) {
                switch message {
                case .record(let record): result[record.topic, default: []].append(record)
                case .partitionEnd(let end): pending.remove(end.topicPartition)
                case .error: break
                }
            }
        }
        XCTAssertTrue(pending.isEmpty, "did not read to the end of \(pending.sorted())")
        return result
    }
}

/// Produces records on a thread of its own, `batch` every 50 ms (30: about 600 a second).
final class Feeder: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let failure = Mutex<String?>(nil)

    init(_ records: [Record], bootstrap: String, batch: Int = 30) {
        let thread = Thread { [self] in
            defer { done.signal() }
            do {
                let producer = try KafkaProducer(config: KafkaTestSupport.producerConfig(bootstrap))
                for (index, record) in records.enumerated() {
                    try producer.produce(record, keepPartition: true)
                    if index % batch == batch - 1 {
                        producer.poll(timeoutMs: 0)
                        Thread.sleep(forTimeInterval: 0.05)
                    }
                }
                try producer.flush(timeoutMs: 15_000)
                if !producer.takeDeliveryReports().allSatisfy(\.isDelivered) { failure.withLock { $0 = "undelivered input" } }
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
        }
        thread.start()
    }

    /// Waits until every record is produced; nil, or what went wrong.
    func wait(timeout: TimeInterval) -> String? {
        guard done.wait(timeout: .now() + timeout) == .success else { return "the input was not produced in time" }
        return failure.withLock { $0 }
    }
}
