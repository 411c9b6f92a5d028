import Foundation
@testable import SluiceKafka
import SluiceSupport
import XCTest

/// A failed delivery report carries the message as produced, so that the run can produce it
/// again without keeping every output until it is acknowledged; delivered ones carry nothing.
final class DeliveryReportTests: XCTestCase {
    func testFailedReportsCarryTheMessageAndDeliveredOnesDoNot() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("undelivered", partitions: 2)
        let producer = try KafkaProducer(
            config: KafkaTestSupport.producerConfig(cluster.bootstrapServers).merging([
                "message.timeout.ms": "500", "enable.idempotence": "false",
                "reconnect.backoff.ms": "50", "reconnect.backoff.max.ms": "200",
            ]),
            logHandler: { _ in })
        let delivered = try producer.produce(topic: "undelivered", key: Array("k".utf8), value: Array("ok".utf8))
        try producer.flush(timeoutMs: 10_000)
        let first = producer.takeDeliveryReports()
        XCTAssertEqual(first.map(\.id), [delivered])
        XCTAssertTrue(first.allSatisfy { $0.isDelivered && $0.undelivered == nil }, "\(first)")

        try cluster.setBrokerDown(1)
        let headers = [Header("trace", "t-1"), Header(name: "empty", value: nil)]
        let sent: [UInt64: Record] = [
            try producer.produce(
                topic: "undelivered", partition: 1, key: Array("a".utf8), value: Array("{\"v\":1}".utf8),
                headers: headers, timestamp: 1_736_990_000_000):
                Record(topic: "undelivered", partition: 1, timestamp: 1_736_990_000_000, key: Array("a".utf8),
                       headers: headers, value: Array("{\"v\":1}".utf8)),
            try producer.produce(topic: "undelivered", key: Array("b".utf8), value: nil, timestamp: 1_736_990_000_001):
                Record(topic: "undelivered", partition: -1, timestamp: 1_736_990_000_001, key: Array("b".utf8), value: nil),
            try producer.produce(topic: "undelivered", key: nil, value: [], timestamp: 1_736_990_000_002):
                Record(topic: "undelivered", partition: -1, timestamp: 1_736_990_000_002, key: nil, value: []),
        ]
        let reports = KafkaTestSupport.collectReports(producer, count: sent.count, timeout: 15)
        XCTAssertEqual(Set(reports.map(\.id)), Set(sent.keys))
        for report in reports {
            XCTAssertFalse(report.isDelivered)
            let message = try XCTUnwrap(report.undelivered, "\(report)")
            let expected = try XCTUnwrap(sent[report.id])
            XCTAssertEqual(message.topic, expected.topic)
            XCTAssertEqual(message.key, expected.key)
            XCTAssertEqual(message.value, expected.value)
            XCTAssertEqual(message.headers, expected.headers)
            // librdkafka reports no timestamp for a failed message: the tracker keeps it.
            XCTAssertEqual(message.timestamp, -1)
        }

        // The tracker hands failed outputs back with that record and the partition asked for.
        var tracker = DeliveryTracker()
        for report in reports {
            let record = try XCTUnwrap(sent[report.id])
            tracker.produced(id: report.id, partition: record.partition, timestamp: record.timestamp, cause: Int64(report.id))
        }
        let unknown = DeliveryReport(id: 999, partition: 0, offset: -1, errorCode: KafkaError.Code.requestTimedOut)
        XCTAssertNil(tracker.settle(unknown))
        for report in reports {
            let pending = try XCTUnwrap(tracker.settle(report))
            XCTAssertEqual(pending.cause, Int64(report.id))
            XCTAssertEqual(pending.record.partition, sent[report.id]?.partition)
            XCTAssertEqual(pending.record.value, sent[report.id]?.value)
            XCTAssertEqual(pending.record.timestamp, sent[report.id]?.timestamp)
            XCTAssertEqual(pending.record.headers, sent[report.id]?.headers)
        }
        XCTAssertEqual(tracker.pendingCount, 0)
        try cluster.setBrokerUp(1)
    }

    func testDeliveredReportsSettleWithoutComingBack() {
        var tracker = DeliveryTracker()
        tracker.produced(id: 7, partition: -1, timestamp: 0, cause: 0)
        XCTAssertNil(tracker.settle(DeliveryReport(id: 7, partition: 0, offset: 12)))
        XCTAssertEqual(tracker.pendingCount, 0)
        XCTAssertFalse(tracker.advance(stateDurableBefore: .max), "no batch was processed")
    }
}
