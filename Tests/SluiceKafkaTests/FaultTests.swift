import Foundation
import SluiceKafka
import SluiceSupport
import XCTest

/// Broker failures on the mock cluster: the client recovers by itself, or reports clearly.
final class FaultTests: XCTestCase {
    private func producerConfig(_ cluster: MockCluster) -> KafkaConfig {
        KafkaTestSupport.producerConfig(cluster.bootstrapServers).merging([
            "message.timeout.ms": "30000",
            "reconnect.backoff.ms": "50",
            "reconnect.backoff.max.ms": "500",
            "retry.backoff.ms": "50",
        ])
    }

    func testProduceSucceedsAfterBrokerComesBack() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("faults", partitions: 2)
        let producer = try KafkaProducer(config: producerConfig(cluster), logHandler: { _ in })
        for index in 0..<10 { try producer.produce(topic: "faults", value: Array("before \(index)".utf8)) }
        try producer.flush(timeoutMs: 10_000)
        XCTAssertEqual(producer.takeDeliveryReports().filter(\.isDelivered).count, 10)

        try cluster.setBrokerDown(1)
        for index in 0..<10 { try producer.produce(topic: "faults", value: Array("during \(index)".utf8)) }
        // While the broker is down nothing is acknowledged, and nothing is failed either.
        let stalled = KafkaTestSupport.collectReports(producer, count: 1, timeout: 1.5)
        XCTAssertEqual(stalled, [])
        XCTAssertEqual(producer.outstandingCount, 10)
        // The lost connection is reported as a transient error, not a fatal one.
        let errors = producer.takeErrors()
        XCTAssertFalse(errors.isEmpty)
        XCTAssertTrue(errors.allSatisfy { $0.isRetriable && !$0.isFatal }, "\(errors)")

        try cluster.setBrokerUp(1)
        let reports = KafkaTestSupport.collectReports(producer, count: 10, timeout: 15)
        XCTAssertEqual(reports.count, 10)
        XCTAssertTrue(reports.allSatisfy(\.isDelivered), "\(reports)")
        XCTAssertEqual(
            (try producer.queryWatermarks(topic: "faults", partition: 0, timeoutMs: 5_000)).high
                + (try producer.queryWatermarks(topic: "faults", partition: 1, timeoutMs: 5_000)).high,
            20)
    }

    func testRetriableRequestErrorsAreRetriedAndFatalOnesReported() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("flaky", partitions: 1)
        let producer = try KafkaProducer(config: producerConfig(cluster), logHandler: { _ in })
        // Warm up so that the errors below hit Produce requests, not connection setup.
        try producer.produce(topic: "flaky", value: [0])
        try producer.flush(timeoutMs: 10_000)
        _ = producer.takeDeliveryReports()

        cluster.pushRequestErrors(
            apiKey: KafkaAPIKey.produce,
            errors: [
                KafkaError.Code.notLeaderForPartition, KafkaError.Code.requestTimedOut,
                KafkaError.Code.notEnoughReplicas,
            ])
        let retried = try producer.produce(topic: "flaky", key: Array("k".utf8), value: Array("retried".utf8))
        try producer.flush(timeoutMs: 15_000)
        let reports = producer.takeDeliveryReports()
        XCTAssertEqual(reports.map(\.id), [retried])
        XCTAssertNil(reports.first?.error)

        cluster.pushRequestErrors(apiKey: KafkaAPIKey.produce, errors: [KafkaError.Code.topicAuthorizationFailed])
        let refused = try producer.produce(topic: "flaky", value: Array("refused".utf8))
        try producer.flush(timeoutMs: 15_000)
        let failure = try XCTUnwrap(producer.takeDeliveryReports().first { $0.id == refused }?.error)
        XCTAssertEqual(failure.code, KafkaError.Code.topicAuthorizationFailed)
        XCTAssertEqual(failure.name, "TOPIC_AUTHORIZATION_FAILED")
        XCTAssertFalse(failure.isRetriable)
        XCTAssertFalse(failure.isFatal)
        XCTAssertTrue(failure.message.contains("delivery failed"), failure.message)
    }

    func testQueueFullIsReportedAndClearsAfterPolling() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("small", partitions: 1)
        let config = producerConfig(cluster).merging(["queue.buffering.max.messages": "10"])
        let producer = try KafkaProducer(config: config, logHandler: { _ in })
        try cluster.setBrokerDown(1)
        for index in 0..<10 { try producer.produce(topic: "small", value: [UInt8(index)]) }
        XCTAssertThrowsError(try producer.produce(topic: "small", value: [99])) { error in
            XCTAssertEqual((error as? KafkaError)?.isQueueFull, true, "\(error)")
        }
        try cluster.setBrokerUp(1)
        XCTAssertEqual(KafkaTestSupport.collectReports(producer, count: 10).count, 10)
        XCTAssertNoThrow(try producer.produce(topic: "small", value: [99]))
        try producer.flush(timeoutMs: 10_000)
    }
}
