import Foundation
import SluiceKafka
import SluiceSupport
import Synchronization
import XCTest

/// Collects rebalance events delivered on the polling thread.
final class RebalanceLog: Sendable {
    private let events = Mutex<[RebalanceEvent]>([])

    var all: [RebalanceEvent] { events.withLock { $0 } }

    func handler(commitOnRevoke: (@Sendable () -> [TopicPartitionOffset])? = nil) -> RebalanceHandler {
        { consumer, event in
            if case .revoked(_, lost: false) = event, let commitOnRevoke {
                try? consumer.commit(commitOnRevoke())
            }
            self.events.withLock { $0.append(event) }
        }
    }
}

final class ConsumerGroupTests: XCTestCase {
    func testSecondConsumerResumesFromCommittedOffsets() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("events", partitions: 3)
        let producer = try KafkaProducer(config: KafkaTestSupport.producerConfig(cluster.bootstrapServers))
        let sent = KafkaTestSupport.records(topic: "events", count: 90, partitions: 3)
        for record in sent { try producer.produce(record, keepPartition: true) }
        try producer.flush(timeoutMs: 10_000)
        XCTAssertTrue(producer.takeDeliveryReports().allSatisfy(\.isDelivered))

        // The first member processes half of the records, commits them and leaves.
        let config = KafkaTestSupport.consumerConfig(cluster.bootstrapServers, group: "resume-group")
        let firstLog = RebalanceLog()
        let first = try KafkaConsumer(config: config)
        try first.subscribe(topics: ["events"], onRebalance: firstLog.handler())
        let (firstBatch, firstErrors) = KafkaTestSupport.consume(first, count: 45)
        XCTAssertEqual(firstErrors, [])
        XCTAssertGreaterThanOrEqual(firstBatch.count, 45)
        let processed = Array(firstBatch.prefix(45))
        var next: [TopicPartition: Int64] = [:]
        for record in processed {
            next[TopicPartition(topic: record.topic, partition: record.partition)] = record.offset + 1
        }
        let offsets = next.map { TopicPartitionOffset($0.key, offset: $0.value) }
        try first.commit(offsets)
        let committed = try first.committed(Array(next.keys), timeoutMs: 5_000)
        XCTAssertEqual(
            Set(committed.map { "\($0.topicPartition)@\($0.offset)" }),
            Set(offsets.map { "\($0.topicPartition)@\($0.offset)" }))
        XCTAssertEqual(Set(try first.assignment()), Set((0..<3).map { TopicPartition(topic: "events", partition: $0) }))
        try first.close()
        XCTAssertEqual(firstLog.all.first, .assigned((0..<3).map { TopicPartition(topic: "events", partition: $0) }))
        XCTAssertTrue(
            firstLog.all.contains {
                if case .revoked(let partitions, lost: false) = $0 { partitions.count == 3 } else { false }
            },
            "events: \(firstLog.all)")

        // A new member of the same group starts exactly where the first one committed.
        let second = try KafkaConsumer(config: config)
        try second.subscribe(topics: ["events"])
        let (rest, restErrors) = KafkaTestSupport.consume(second, count: 45)
        XCTAssertEqual(restErrors, [])
        XCTAssertEqual(rest.count, 45)
        let key: (Record) -> String = { "\($0.partition)@\($0.offset)" }
        XCTAssertEqual(Set(processed.map(key)).intersection(rest.map(key)), [])
        XCTAssertEqual(Set(processed.map(key)).union(rest.map(key)).count, 90)
        try second.close()
    }

    func testCooperativeAssignmentAndWatermarks() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("coop", partitions: 2)
        let producer = try KafkaProducer(config: KafkaTestSupport.producerConfig(cluster.bootstrapServers))
        for index in 0..<20 {
            try producer.produce(topic: "coop", partition: Int32(index % 2), value: Array("v\(index)".utf8))
        }
        try producer.flush(timeoutMs: 10_000)
        XCTAssertEqual(try producer.partitionCount(topic: "coop", timeoutMs: 5_000), 2)
        XCTAssertEqual(
            try producer.queryWatermarks(topic: "coop", partition: 1, timeoutMs: 5_000), Watermarks(low: 0, high: 10))
        XCTAssertThrowsError(try producer.partitionCount(topic: "missing", timeoutMs: 5_000)) { error in
            XCTAssertEqual((error as? KafkaError)?.code, KafkaError.Code.unknownTopicOrPartition)
        }

        var config = KafkaTestSupport.consumerConfig(cluster.bootstrapServers, group: "coop-group")
        config["partition.assignment.strategy"] = "cooperative-sticky"
        config["enable.partition.eof"] = "true"
        let log = RebalanceLog()
        let consumer = try KafkaConsumer(config: config)
        try consumer.subscribe(topics: ["coop"], onRebalance: log.handler())
        var records = 0
        var ends = Set<Int32>()
        let finished = KafkaTestSupport.wait(timeout: 15) {
            for message in consumer.pollBatch(maxMessages: 100, timeoutMs: 50) {
                switch message {
                case .record: records += 1
                case .partitionEnd(let end): ends.insert(end.partition)
                case .error(let error): XCTFail("\(error)")
                }
            }
            return records == 20 && ends.count == 2
        }
        XCTAssertTrue(finished, "records \(records), ends \(ends)")
        XCTAssertEqual(
            log.all.first,
            .assigned([TopicPartition(topic: "coop", partition: 0), TopicPartition(topic: "coop", partition: 1)]))
        let positions = try consumer.position([TopicPartition(topic: "coop", partition: 0)])
        XCTAssertEqual(positions.first?.offset, 10)
        XCTAssertEqual(try consumer.cachedWatermarks(topic: "coop", partition: 0).high, 10)
        XCTAssertFalse(try consumer.groupMetadata().isEmpty)
        try consumer.close()
        XCTAssertTrue(
            log.all.contains { if case .revoked(_, lost: false) = $0 { true } else { false } }, "events: \(log.all)")
    }
}
