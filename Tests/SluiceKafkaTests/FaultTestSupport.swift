import Foundation
import SluiceCore
import SluiceKafka
import SluiceSupport
import XCTest

/// Shared by the fault and group tests: a mock cluster set up for the seed-processor pipeline,
/// keyed tutorial input, `sluice run` children, and a check of the sinks against dry-run.
enum RunHarness {
    static let pipeline = "pipelines/seed-processor.yaml"
    static let sinks = ["output-topic", "aggregated-topic", "dead-letter-topic"]

    /// The pipeline, loaded from the repository.
    static func loadPipeline() throws -> DemoPipelineFile {
        try DemoPipelineFile.load(ChildSluice.root.appendingPathComponent(pipeline).path).get()
    }

    /// A cluster with the input topic, the sinks (one partition each) and the changelog topic
    /// partitioned like the input.
    static func cluster(brokers: Int = 1, inputPartitions: Int32) throws -> MockCluster {
        let cluster = try MockCluster(brokers: brokers, logHandler: { _ in })
        try cluster.createTopic("input-topic", partitions: inputPartitions)
        for topic in sinks { try cluster.createTopic(topic, partitions: 1) }
        for (topic, partitions) in DemoSession.changelogTopics(for: [try loadPipeline()], inputPartitions: inputPartitions) {
            try cluster.createTopic(topic, partitions: partitions)
        }
        return cluster
    }

    /// Tutorial records `{id, timestamp, value, category}` keyed by category, ids from
    /// `firstID`; every 23rd is malformed. Twelve categories spread over the partitions.
    static func input(count: Int, firstID: Int) -> [Record] {
        let categories = (0..<12).map { String(UnicodeScalar(UInt8(65 + $0))) }
        return (0..<count).map { offset in
            let id = firstID + offset
            let category = categories[(id * 7 + id / 5) % categories.count]
            let seconds = 1_736_990_000 + id
            let text = id % 23 == 0
                ? #"{"id":\#(id),"timestamp":\#(seconds),"value":"broken","category":"\#(category)"}"#
                : #"{"id":\#(id),"timestamp":\#(seconds),"value":\#(id % 100 + 1),"category":"\#(category)"}"#
            return Record(topic: "input-topic", timestamp: Int64(seconds) * 1000, key: Array(category.utf8), value: Array(text.utf8))
        }
    }

    /// Produces with Kafka's default (murmur2) partitioner, as `sluice run` does, and waits for
    /// every acknowledgement (retrying through outages, up to `timeout`).
    static func produce(_ records: [Record], to cluster: MockCluster, timeout: TimeInterval = 30) throws {
        let producer = try KafkaProducer(
            config: ["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "5", "partitioner": "murmur2_random",
                     "reconnect.backoff.max.ms": "500"],
            logHandler: { _ in })
        for record in records { try producer.produce(record) }
        let reports = KafkaTestSupport.collectReports(producer, count: records.count, timeout: timeout)
        XCTAssertEqual(reports.count, records.count, "not every input record was acknowledged")
        XCTAssertTrue(reports.allSatisfy(\.isDelivered), "\(reports.compactMap(\.error).prefix(3))")
    }

    /// `sluice run` on the seed-processor pipeline with settings that keep the mock cluster's
    /// group joins, reconnects and commits quick.
    static func startRun(_ cluster: MockCluster, extra: [String] = []) throws -> ChildSluice {
        try ChildSluice([
            "run", pipeline, "--brokers", cluster.bootstrapServers, "--status", "log", "--commit-interval", "200ms",
            "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500",
            "-X", "reconnect.backoff.ms=100", "-X", "reconnect.backoff.max.ms=1000",
        ] + extra)
    }

    /// Waits until the group committed every input partition up to its end; true when it did.
    static func waitForCommits(_ cluster: MockCluster, group: String = "seed-processor", partitions: Int32, timeout: TimeInterval) throws -> Bool {
        let checker = try KafkaConsumer(
            config: KafkaTestSupport.consumerConfig(cluster.bootstrapServers, group: group), logHandler: { _ in })
        let list = (0..<partitions).map { TopicPartition(topic: "input-topic", partition: $0) }
        return KafkaTestSupport.wait(timeout: timeout) {
            guard let committed = try? checker.committed(list, timeoutMs: 2_000) else { return false }
            return committed.allSatisfy { position in
                let end = (try? checker.queryWatermarks(topic: "input-topic", partition: position.partition, timeoutMs: 2_000).high) ?? -1
                return end == 0 || position.offset == end
            }
        }
    }

    /// What dry-run produces for `records` (in this order), per sink topic.
    static func expected(_ records: [Record]) throws -> [String: [Record]] {
        let dryRun = DryRun(plan: try loadPipeline().plan)
        var outputs: [String: [Record]] = [:]
        for record in records { dryRun.feed(record) { outputs[$0.topic, default: []].append($0) } }
        dryRun.finish { outputs[$0.topic, default: []].append($0) }
        return outputs
    }

    /// Reads the sink topics from the beginning (by assignment, nothing committed).
    final class SinkReader {
        private let consumer: KafkaConsumer
        private(set) var records: [String: [Record]] = [:]

        init(_ cluster: MockCluster) throws {
            consumer = try KafkaConsumer(
                config: KafkaTestSupport.consumerConfig(cluster.bootstrapServers, group: "sink-reader")
                    .merging(["fetch.wait.max.ms": "50", "reconnect.backoff.max.ms": "500"]),
                logHandler: { _ in })
            try consumer.assign(RunHarness.sinks.map { TopicPartitionOffset(topic: $0, partition: 0, offset: KafkaOffset.beginning) })
        }

        /// Reads until `done` holds or `timeout` passes; true when `done` held.
        @discardableResult
        func read(timeout: TimeInterval, until done: ([String: [Record]]) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                for message in consumer.pollBatch(maxMessages: 1000, timeoutMs: 100) {
                    if case .record(let record) = message { records[record.topic, default: []].append(record) }
                }
                if done(records) { return true }
            }
            return done(records)
        }

        /// Reads for `seconds` more (to catch late duplicates).
        func settle(_ seconds: TimeInterval) {
            read(timeout: seconds) { _ in false }
        }
    }

    /// How the sinks compare with dry-run on the same input.
    struct Comparison: CustomStringConvertible {
        /// Expected outputs (by identity) that never arrived.
        var missing: [String: [String]] = [:]
        /// Outputs that arrived more than once (allowed at least once), per topic.
        var duplicates: [String: Int] = [:]
        /// Outputs that dry-run does not produce at all.
        var unexpected: [String: [String]] = [:]
        /// Per category, the last running total differs from dry-run's.
        var wrongTotals: [String] = []

        var isComplete: Bool { missing.values.allSatisfy(\.isEmpty) }
        var isCorrect: Bool { isComplete && unexpected.values.allSatisfy(\.isEmpty) && wrongTotals.isEmpty }

        var description: String {
            "missing \(missing.mapValues(\.count)) (first: \(missing.values.flatMap { $0 }.prefix(3))), "
                + "duplicates \(duplicates), unexpected \(unexpected.mapValues(\.count)) "
                + "(first: \(unexpected.values.flatMap { $0 }.prefix(3))), wrong totals \(wrongTotals)"
        }
    }

    /// Compares what arrived with what dry-run produces. Output records are identified by
    /// their input id (their `processed_at` is the wall clock in a run), running totals by
    /// key and value, dead letters by payload.
    static func compare(_ actual: [String: [Record]], expected: [String: [Record]]) -> Comparison {
        var result = Comparison()
        for topic in sinks {
            let want = (expected[topic] ?? []).map { identity($0, topic: topic) }
            let got = (actual[topic] ?? []).map { identity($0, topic: topic) }
            let wantSet = Set(want), gotSet = Set(got)
            result.missing[topic] = want.filter { !gotSet.contains($0) }
            result.unexpected[topic] = got.filter { !wantSet.contains($0) }
            result.duplicates[topic] = got.count - gotSet.count
        }
        // The last running total of each category.
        func lastTotals(_ records: [Record]) -> [String: String] {
            var last: [String: String] = [:]
            for record in records { last[text(record.key)] = text(record.value) }
            return last
        }
        let wantTotals = lastTotals(expected["aggregated-topic"] ?? [])
        let gotTotals = lastTotals(actual["aggregated-topic"] ?? [])
        result.wrongTotals = wantTotals.keys.sorted().filter { wantTotals[$0] != gotTotals[$0] }
            .map { "\($0): want \(wantTotals[$0] ?? "-") got \(gotTotals[$0] ?? "-")" }
        return result
    }

    /// Per category, the last running total's `count` minus dry-run's (negative: records lost).
    static func countDifferences(_ actual: [String: [Record]], expected: [String: [Record]]) -> [String: Int64] {
        func lastCounts(_ records: [Record]) -> [String: Int64] {
            var counts: [String: Int64] = [:]
            for record in records {
                guard let value = record.value, case .object(let object)? = try? JSON.parse(value),
                    case .int(let count)? = object["count"]
                else { continue }
                counts[text(record.key)] = count
            }
            return counts
        }
        let want = lastCounts(expected["aggregated-topic"] ?? [])
        let got = lastCounts(actual["aggregated-topic"] ?? [])
        return want.mapValues { _ in 0 }.merging(want.map { ($0.key, (got[$0.key] ?? 0) - $0.value) }) { _, new in new }
    }

    private static func identity(_ record: Record, topic: String) -> String {
        switch topic {
        case "output-topic":
            guard let value = record.value, case .object(let object)? = try? JSON.parse(value), let id = object["id"] else {
                return "unparsable \(text(record.value))"
            }
            return "\(text(record.key)) id \(id)"
        default:
            return "\(text(record.key)) \(text(record.value))"
        }
    }

    static func text(_ bytes: [UInt8]?) -> String {
        bytes.map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// The partitions named in a run's "partitions assigned" log lines.
    static func assignedPartitions(in log: String) -> [String] {
        log.split(separator: "\n").filter { $0.contains("partitions assigned") }.flatMap { line -> [String] in
            guard let field = line.split(separator: " ").first(where: { $0.hasPrefix("partitions=") }) else { return [] }
            return field.dropFirst("partitions=".count).split(separator: ",").map(String.init)
        }
    }

    /// The partitions of a run's latest "partitions assigned" log line, once a later
    /// revocation has not emptied it; empty before the first assignment.
    static func latestAssignment(in log: String) -> [String] {
        let lines = log.split(separator: "\n").filter { $0.contains("partitions assigned") || $0.contains("partitions revoked") }
        guard let last = lines.last, last.contains("partitions assigned") else { return [] }
        return assignedPartitions(in: String(last))
    }

    /// The `records in: N` of a run's summary.
    static func recordsIn(in log: String) -> Int? {
        log.split(separator: "\n").last { $0.hasPrefix("records in: ") }.flatMap { Int($0.dropFirst("records in: ".count)) }
    }
}
