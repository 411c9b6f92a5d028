import Foundation
import SluiceCore
import SluiceKafka
import SluiceSupport
import Synchronization
import XCTest

/// Helpers for the `sluice run` tests: tutorial records in, sink topics out, dry-run to compare.
enum RunTestSupport {
    static let root = ChildSluice.root

    /// The recorded tutorial traffic (keys, partitions, offsets and timestamps as recorded).
    static func tutorialRecords() throws -> [Record] {
        try ChildSluice.readRecording(root.appendingPathComponent("testdata/tutorial.jsonl"))
    }

    /// Produces `records` to their partitions with their keys, headers and timestamps.
    static func produce(_ records: [Record], bootstrap: String, keepPartition: Bool = true) throws {
        let producer = try KafkaProducer(config: KafkaTestSupport.producerConfig(bootstrap))
        for record in records { try producer.produce(record, keepPartition: keepPartition) }
        try producer.flush(timeoutMs: 15_000)
        let reports = producer.takeDeliveryReports()
        XCTAssertEqual(reports.count, records.count)
        XCTAssertTrue(reports.allSatisfy(\.isDelivered), "\(reports.compactMap(\.error).prefix(3))")
    }

    /// Every record of `topics`, read by assignment up to each partition's high watermark.
    static func readAll(_ topics: [String], bootstrap: String, timeout: TimeInterval = 20) throws -> [String: [Record]] {
        let consumer = try KafkaConsumer(config: KafkaTestSupport.consumerConfig(bootstrap, group: "run-test-reader-\(UUID().uuidString)"))
        defer { try? consumer.close() }
        var ends: [TopicPartition: Int64] = [:]
        var starts: [TopicPartitionOffset] = []
        let metadata = try consumer.topicMetadata(timeoutMs: 10_000)
        for topic in topics {
            guard let found = metadata.first(where: { $0.name == topic }) else { continue }
            for partition in found.partitions {
                let marks = try consumer.queryWatermarks(topic: topic, partition: partition, timeoutMs: 10_000)
                guard marks.high > marks.low else { continue }
                ends[TopicPartition(topic: topic, partition: partition)] = marks.high
                starts.append(TopicPartitionOffset(topic: topic, partition: partition, offset: marks.low))
            }
        }
        var result: [String: [Record]] = Dictionary(uniqueKeysWithValues: topics.map { ($0, []) })
        guard !starts.isEmpty else { return result }
        try consumer.assign(starts)
        let deadline = Date().addingTimeInterval(timeout)
        while !ends.isEmpty, Date() < deadline {
            for message in consumer.pollBatch(maxMessages: 1000, timeoutMs: 100) {
                guard case .record(let record) = message else { continue }
                let partition = TopicPartition(topic: record.topic, partition: record.partition)
                guard let end = ends[partition], record.offset < end else { continue }
                result[record.topic, default: []].append(record)
                if record.offset + 1 >= end { ends[partition] = nil }
            }
        }
        XCTAssertTrue(ends.isEmpty, "did not read to the end of \(ends.keys.sorted())")
        return result
    }

    /// `sluice dry-run PIPELINE --input FILE` through the binary, as records per topic.
    static func dryRun(_ pipeline: String, input: URL) throws -> [String: [Record]] {
        let result = try ChildSluice.run(["dry-run", pipeline, "--input", input.path], timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        let records = ChildSluice.readRecording(bytes: Array(result.stdout.utf8))
        return Dictionary(grouping: records, by: \.topic)
    }

    /// `records` plus a record of category Z a day after the latest, whose stream time closes
    /// every window but its own (a run keeps windows open at a stop; a dry-run closes them).
    static func withFlushRecord(_ records: [Record]) -> [Record] {
        let last = records.compactMap { record -> Int64? in
            guard case .object(let object)? = try? JSON.parse(record.value ?? []), case .int(let time)? = object["timestamp"] else { return nil }
            return time
        }.max() ?? 0
        let flushTime = last + 86_400
        return records + [Record(
            topic: "input-topic", timestamp: flushTime * 1000, key: Array("Z".utf8),
            value: Array(#"{"id":999999,"timestamp":\#(flushTime),"value":1,"category":"Z"}"#.utf8))]
    }

    /// Writes `records` as a recording file.
    static func writeRecording(_ records: [Record], to url: URL) throws {
        var writer = RecordingWriter()
        writer.write(contentsOf: records)
        try Data(writer.bytes).write(to: url)
    }

    /// Records grouped by key (text), each key's values (text) in order: what survives
    /// reading several partitions, whose interleaving differs between runs.
    /// The `sluice.error.location` header names the pipeline file as it was given, which
    /// differs between a run in this process and the dry-run subprocess: left out.
    static func perKey(_ records: [Record]?, transform: (String) -> String = { $0 }) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for record in records ?? [] {
            let key = record.key.map { String(decoding: $0, as: UTF8.self) } ?? "<null>"
            let value = record.value.map { String(decoding: $0, as: UTF8.self) } ?? "<null>"
            let headers = record.headers.filter { $0.name != "sluice.error.location" }.map { "\($0.name)=\($0.value.map { String(decoding: $0, as: UTF8.self) } ?? "<null>")" }
            result[key, default: []].append(transform(value) + (headers.isEmpty ? "" : " " + headers.joined(separator: ",")))
        }
        return result
    }

    /// Records as sorted `key value headers` lines, for topics whose order across partitions
    /// differs from run to run.
    static func multiset(_ records: [Record]?) -> [String] {
        perKey(records).flatMap { key, values in values.map { "\(key) \($0)" } }.sorted()
    }

    /// A JSON object value without `field`, re-serialized (for fields that differ by design,
    /// like `now()` on the wall clock).
    static func removing(_ field: String, from text: String) -> String {
        guard case .object(var object)? = try? JSON.parse(Array(text.utf8)) else { return text }
        object[field] = nil
        return String(decoding: JSON.serialize(.object(object)), as: UTF8.self)
    }

    /// Loads a pipeline of the repository.
    static func load(_ pipeline: String) throws -> (PipelineSpec, EnginePlan) {
        let (spec, diagnostics) = PipelineLoader.load(file: root.appendingPathComponent(pipeline).path)
        let loaded = try XCTUnwrap(spec, "\(diagnostics)")
        return (loaded, try EnginePlan(spec: loaded))
    }

    /// Runs a pipeline in this process until it stops by itself; returns its outcome and log.
    static func runInProcess(
        _ pipeline: String, bootstrap: String, options: RunOptions, properties: [String: String] = [:],
        timeout: TimeInterval = 60
    ) async throws -> (outcome: RunOutcome, log: [RunLogEntry]) {
        let (spec, plan) = try load(pipeline)
        var overrides = [("session.timeout.ms", "6000"), ("heartbeat.interval.ms", "500")]
        overrides += properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let settings = try RunSettings.resolve(spec: spec, brokers: bootstrap, overrides: overrides, environment: [:])
        let log = LogCollector()
        let runner = PipelineRunner(spec: spec, plan: plan, settings: settings, options: options, log: { log.add($0) })
        let watchdog = Task {
            try await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
            runner.requestStop(reason: "test timeout")
        }
        let outcome = await runner.runOnThread()
        watchdog.cancel()
        if case .failed(let message, _) = outcome { XCTFail("run failed: \(message)\n\(log.text)") }
        XCTAssertNotEqual(runner.isStopRequested ? outcome.summary.reason : "", "test timeout", "the run did not stop by itself")
        return (outcome, log.entries)
    }
}

/// Log entries gathered from any thread.
final class LogCollector: Sendable {
    private let items = Mutex<[RunLogEntry]>([])

    func add(_ entry: RunLogEntry) { items.withLock { $0.append(entry) } }

    var entries: [RunLogEntry] { items.withLock { $0 } }
    var text: String { entries.filter { $0.level != .debug }.map { "\($0.level) \($0.text)" }.joined(separator: "\n") }
}
