import Foundation
import SluiceKafka
import SluiceSupport
import XCTest

/// `TopicRecorder` and `sluice record` against the mock cluster.
final class RecordTests: XCTestCase {
    /// Produces `records` to their partitions and waits for every acknowledgement.
    private func produce(_ records: [Record], to cluster: MockCluster) throws {
        let producer = try KafkaProducer(config: KafkaTestSupport.producerConfig(cluster.bootstrapServers))
        for record in records { try producer.produce(record, keepPartition: true) }
        try producer.flush(timeoutMs: 10_000)
        let reports = producer.takeDeliveryReports()
        XCTAssertEqual(reports.count, records.count)
        XCTAssertTrue(reports.allSatisfy(\.isDelivered), "\(reports.compactMap(\.error))")
    }

    /// `records` as a consumer sees them: per partition in produce order, offsets from 0.
    private func expected(_ records: [Record]) -> [Record] {
        let partitions = Set(records.map(\.partition)).sorted()
        return partitions.flatMap { partition in
            records.filter { $0.partition == partition }.enumerated().map { index, record in
                var record = record
                record.offset = Int64(index)
                return record
            }
        }
    }

    private func sortedByPosition(_ records: [Record]) -> [Record] {
        records.sorted { ($0.topic, $0.partition, $0.offset) < ($1.topic, $1.partition, $1.offset) }
    }

    func testRecorderReadsEveryPartitionAndStopsAtTheEnd() throws {
        let cluster = try MockCluster(brokers: 2)
        try cluster.createTopic("rec", partitions: 3)
        try cluster.createTopic("rec-empty", partitions: 2)
        let sent = KafkaTestSupport.records(topic: "rec", count: 40, partitions: 3)
        try produce(sent, to: cluster)

        let recorder = try TopicRecorder(
            config: ["bootstrap.servers": cluster.bootstrapServers],
            options: RecorderOptions(topics: ["rec", "rec-empty"], fromBeginning: true, idleExitMs: 300))
        XCTAssertEqual(recorder.partitions.map(\.description), ["rec[0]", "rec[1]", "rec[2]", "rec-empty[0]", "rec-empty[1]"])
        var got: [Record] = []
        var brokers = Set<Int32>()
        let started = Date()
        let (reason, progress) = try recorder.run(record: { record, broker in
            got.append(record)
            brokers.insert(broker)
        })
        XCTAssertEqual(reason, .idle)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        XCTAssertEqual(progress, RecorderProgress(recorded: 40, partitions: 5, partitionsAtEnd: 5))
        XCTAssertEqual(sortedByPosition(got), expected(sent))
        // Keys, null keys, null values, repeated, empty and null headers, timestamps: all kept.
        XCTAssertTrue(got.contains { $0.key == nil } && got.contains { $0.value == nil })
        XCTAssertTrue(got.contains { $0.headers.contains(Header(name: "null", value: nil)) })
        XCTAssertTrue(brokers.isSubset(of: [1, 2]) && !brokers.isEmpty, "\(brokers)")
    }

    func testRecorderFromTheEndSeesOnlyNewRecordsAndStopsAtMax() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("live", partitions: 2)
        try produce(KafkaTestSupport.records(topic: "live", count: 10, partitions: 2), to: cluster)

        let recorder = try TopicRecorder(
            config: ["bootstrap.servers": cluster.bootstrapServers],
            options: RecorderOptions(topics: ["live"], maxRecords: 5, idleExitMs: 15_000))
        let bootstrap = cluster.bootstrapServers
        let writer = Thread {
            Thread.sleep(forTimeInterval: 1)
            guard let producer = try? KafkaProducer(config: KafkaTestSupport.producerConfig(bootstrap)) else { return }
            for index in 0..<8 { _ = try? producer.produce(topic: "live", value: Array("new \(index)".utf8)) }
            try? producer.flush(timeoutMs: 10_000)
        }
        writer.start()
        var got: [Record] = []
        let (reason, progress) = try recorder.run(record: { record, _ in got.append(record) })
        XCTAssertEqual(reason, .maxRecords)
        XCTAssertEqual(progress.recorded, 5)
        XCTAssertEqual(got.count, 5)
        XCTAssertTrue(got.allSatisfy { String(decoding: $0.value ?? [], as: UTF8.self).hasPrefix("new ") }, "\(got)")
    }

    func testRecorderStopsWhenAsked() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("quiet", partitions: 1)
        let recorder = try TopicRecorder(
            config: ["bootstrap.servers": cluster.bootstrapServers], options: RecorderOptions(topics: ["quiet"]))
        let stopper = Thread {
            Thread.sleep(forTimeInterval: 0.5)
            recorder.stop()
        }
        stopper.start()
        let (reason, progress) = try recorder.run(record: { _, _ in })
        XCTAssertEqual(reason, .stopped)
        XCTAssertEqual(progress.recorded, 0)
    }

    func testRecorderRejectsAMissingTopic() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("present", partitions: 1)
        XCTAssertThrowsError(try TopicRecorder(
            config: ["bootstrap.servers": cluster.bootstrapServers],
            options: RecorderOptions(topics: ["present", "absent"]))
        ) { error in
            XCTAssertEqual((error as? KafkaError)?.message, "topic \"absent\" does not exist")
        }
    }
}

/// `sluice record` as a subprocess: the same envelopes as kcat, and the same dry-run results as
/// the records it recorded.
final class RecordCommandTests: XCTestCase {
    private func produce(_ records: [Record], to cluster: MockCluster) throws {
        let producer = try KafkaProducer(config: KafkaTestSupport.producerConfig(cluster.bootstrapServers))
        for record in records { try producer.produce(record, keepPartition: true) }
        try producer.flush(timeoutMs: 10_000)
        XCTAssertTrue(producer.takeDeliveryReports().allSatisfy(\.isDelivered))
    }

    /// Each line's JSON object, keyed by its position, for comparing field by field.
    private func envelopes(_ text: String) throws -> [String: [String: Value]] {
        var result: [String: [String: Value]] = [:]
        for line in text.split(separator: "\n") {
            guard case .object(let object) = try JSON.parse(String(line)) else {
                XCTFail("not an object: \(line)")
                continue
            }
            var fields: [String: Value] = [:]
            for (key, value) in object { fields[key] = value }
            result["\(fields["partition"].map { "\($0)" } ?? "?")@\(fields["offset"].map { "\($0)" } ?? "?")"] = fields
        }
        return result
    }

    func testRecordWritesWhatKcatPrints() throws {
        guard let kcat = ["/usr/bin/kcat", "/usr/local/bin/kcat"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("kcat is not installed (make deps installs it)")
        }
        let cluster = try MockCluster(brokers: 2)
        try cluster.createTopic("rec", partitions: 3)
        let sent = KafkaTestSupport.records(topic: "rec", count: 30, partitions: 3)
        try produce(sent, to: cluster)
        let directory = try ChildSluice.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("rec.jsonl")

        let result = try ChildSluice.run([
            "record", "--topic", "rec", "--brokers", cluster.bootstrapServers, "--from-beginning",
            "--idle-exit", "500ms", "--out", file.path,
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("30 records from rec (3 partitions)"), result.stderr)
        let ours = try String(contentsOf: file, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: kcat)
        process.arguments = ["-C", "-b", cluster.bootstrapServers, "-t", "rec", "-J", "-e", "-q"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let theirs = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        let mine = try envelopes(ours), kcats = try envelopes(theirs)
        XCTAssertEqual(mine.count, 30)
        XCTAssertEqual(Set(mine.keys), Set(kcats.keys))
        for (position, fields) in mine {
            guard let other = kcats[position] else { continue }
            for field in ["topic", "partition", "offset", "tstype", "ts", "broker", "key", "payload"] {
                XCTAssertEqual(fields[field], other[field], "\(position) \(field): \(fields) vs \(other)")
            }
            // kcat leaves headers out when there are none, as the recording does.
            XCTAssertEqual(fields["headers"], other["headers"], "\(position) headers")
        }
        // And the recording reads back as the records produced.
        let records = try ChildSluice.readRecording(file)
        let strip: (Record) -> Record = { var record = $0; record.offset = 0; return record }
        let order: (Record, Record) -> Bool = { ($0.partition, $0.timestamp) < ($1.partition, $1.timestamp) }
        XCTAssertEqual(records.map(strip).sorted(by: order), sent.sorted(by: order))
    }

    func testDryRunOfARecordingEqualsDryRunOfTheOriginalRecords() throws {
        // The tutorial sample, in order, to one partition: keys, timestamps and headers kept.
        let sample = ChildSluice.root.appendingPathComponent("testdata/tutorial.jsonl")
        let original = try ChildSluice.readRecording(sample)
        XCTAssertGreaterThan(original.count, 300)
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("input-topic", partitions: 1)
        var produced = original.map { record -> Record in
            var record = record
            record.partition = 0
            return record
        }
        try produce(produced, to: cluster)
        for index in produced.indices { produced[index].offset = Int64(index) }

        let directory = try ChildSluice.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let recording = directory.appendingPathComponent("recorded.jsonl")
        let result = try ChildSluice.run([
            "record", "--topic", "input-topic", "--brokers", cluster.bootstrapServers, "--from-beginning",
            "--max", String(original.count), "--out", recording.path,
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("stopped: reached --max"), result.stderr)
        XCTAssertEqual(try ChildSluice.readRecording(recording), produced)
        var writer = RecordingWriter()
        writer.write(contentsOf: produced)
        let producedFile = directory.appendingPathComponent("produced.jsonl")
        try Data(writer.bytes).write(to: producedFile)

        for pipeline in ["pipelines/seed-processor.yaml", "pipelines/category-windows.yaml"] {
            let fromRecording = try ChildSluice.run(["dry-run", pipeline, "--input", recording.path])
            let fromProduced = try ChildSluice.run(["dry-run", pipeline, "--input", producedFile.path])
            let fromSample = try ChildSluice.run(["dry-run", pipeline, "--input", sample.path])
            XCTAssertEqual(fromRecording.status, 0, fromRecording.stderr)
            XCTAssertGreaterThan(fromRecording.stdout.split(separator: "\n").count, 10, pipeline)
            XCTAssertEqual(fromRecording.stdout, fromProduced.stdout, pipeline)
            XCTAssertEqual(fromRecording.stderr, fromProduced.stderr, pipeline)
            // The sample spreads the same records over three partitions: per topic the outputs
            // are the same but for the dead letters' source partition and offset headers
            // (windows close a little later, so topics interleave differently).
            XCTAssertEqual(perTopic(fromRecording.stdout), perTopic(fromSample.stdout), pipeline)
        }
    }

    /// Output lines per topic, in order, without the dead letters' source position headers.
    private func perTopic(_ text: String) -> [String: [String]] {
        Dictionary(grouping: text.split(separator: "\n").map { $0.replacing(/,"sluice\.source\.(partition|offset)","\d+"/, with: "") }) {
            String($0.prefix { $0 != "," })
        }.mapValues { $0.map(String.init) }
    }

    func testRecordStopsOnSigintAndKeepsWhatItRecorded() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("events", partitions: 2)
        let directory = try ChildSluice.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("events.jsonl")
        // From the end, without a stop condition: runs until interrupted.
        let child = try ChildSluice(
            ["record", "--topic", "events", "--out", file.path], environment: ["SLUICE_BROKERS": cluster.bootstrapServers])
        Thread.sleep(forTimeInterval: 1.5)
        let sent = KafkaTestSupport.records(topic: "events", count: 12, partitions: 2)
        try produce(sent, to: cluster)
        XCTAssertTrue(KafkaTestSupport.wait(timeout: 10) {
            ((try? Data(contentsOf: file)) ?? Data()).split(separator: UInt8(ascii: "\n")).count == 12
        }, "recorded: \((try? String(contentsOf: file, encoding: .utf8)) ?? "")")
        child.signal(SIGINT)
        XCTAssertEqual(child.waitForExit(timeout: 10), 0, child.stderr)
        XCTAssertTrue(child.stderr.contains("12 records from events (2 partitions)"), child.stderr)
        XCTAssertTrue(child.stderr.contains("stopped: interrupted"), child.stderr)
        XCTAssertEqual(try ChildSluice.readRecording(file).count, 12)
    }

    func testRecordFindsBrokersLikeRunAndNeverPrintsTheSecret() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("env-topic", partitions: 1)
        try produce([Record(topic: "env-topic", timestamp: 1_736_990_000_000, key: Array("k".utf8), value: Array("v".utf8))], to: cluster)
        // SLUICE_BROKERS wins over the Confluent variables.
        let found = try ChildSluice.run(
            ["record", "--topic", "env-topic", "--from-beginning", "--max", "1"],
            environment: ["SLUICE_BROKERS": cluster.bootstrapServers, "CONFLUENT_BOOTSTRAP_SERVERS": "127.0.0.1:1"])
        XCTAssertEqual(found.status, 0, found.stderr)
        XCTAssertEqual(ChildSluice.readRecording(bytes: Array(found.stdout.utf8)).map(\.value), [Array("v".utf8)])

        // The Confluent variables: SASL_SSL with the key and secret, which never shows.
        let secret = "s3cr3t-\(UUID().uuidString)"
        let refused = try ChildSluice.run(
            ["record", "--topic", "env-topic", "--connect-timeout", "1s"],
            environment: ["SLUICE_BROKERS": "", "CONFLUENT_BOOTSTRAP_SERVERS": "127.0.0.1:1", "CONFLUENT_API_KEY": "key", "CONFLUENT_API_SECRET": secret])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("cannot reach the brokers at 127.0.0.1:1"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains(secret) || refused.stdout.contains(secret), refused.stderr)
    }
}
