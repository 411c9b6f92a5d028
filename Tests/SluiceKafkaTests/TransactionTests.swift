import SluiceKafka
import SluiceSupport
import XCTest

/// The transactional API against the mock cluster. The mock does not store transactional
/// offsets or hide aborted records (see BROKERS.md), so this checks the calls and the error
/// mapping; exactly-once behaviour is tested against noida-db.
final class TransactionTests: XCTestCase {
    private func transactionalProducer(_ cluster: MockCluster, id: String) throws -> KafkaProducer {
        try KafkaProducer(
            config: KafkaTestSupport.producerConfig(cluster.bootstrapServers).merging([
                "transactional.id": id, "transaction.timeout.ms": "10000",
            ]), logHandler: { _ in })
    }

    func testCommitAbortAndOffsetsInTransaction() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("txn-out", partitions: 1)
        try cluster.createTopic("txn-in", partitions: 1)
        let producer = try transactionalProducer(cluster, id: "txn-a")
        XCTAssertThrowsError(try producer.produce(topic: "txn-out", value: [1])) { error in
            // Producing outside a transaction is a state error, not a fatal one.
            XCTAssertEqual((error as? KafkaError)?.code, KafkaError.Code.state, "\(error)")
            XCTAssertEqual((error as? KafkaError)?.isFatal, false)
        }
        try producer.initTransactions(timeoutMs: 10_000)

        try producer.beginTransaction()
        let committedIDs = try (0..<5).map { try producer.produce(topic: "txn-out", value: [UInt8($0)]) }
        let consumer = try KafkaConsumer(
            config: KafkaTestSupport.consumerConfig(cluster.bootstrapServers, group: "txn-group"))
        try producer.sendOffsetsToTransaction(
            [TopicPartitionOffset(topic: "txn-in", partition: 0, offset: 0)], metadata: try consumer.groupMetadata(),
            timeoutMs: 10_000)
        try producer.commitTransaction(timeoutMs: 10_000)
        let committed = producer.takeDeliveryReports()
        XCTAssertEqual(committed.map(\.id).sorted(), committedIDs)
        XCTAssertTrue(committed.allSatisfy(\.isDelivered))

        try producer.beginTransaction()
        let abortedIDs = try (0..<3).map { try producer.produce(topic: "txn-out", value: [UInt8($0)]) }
        XCTAssertThrowsError(try producer.beginTransaction()) { error in
            XCTAssertEqual((error as? KafkaError)?.code, KafkaError.Code.state, "\(error)")
        }
        try producer.abortTransaction(timeoutMs: 10_000)
        producer.poll(timeoutMs: 100)
        let aborted = producer.takeDeliveryReports()
        XCTAssertEqual(aborted.map(\.id).sorted(), abortedIDs)
        try consumer.close()
    }

    func testTransactionErrorsAreClassified() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("txn-errors", partitions: 1)
        let producer = try transactionalProducer(cluster, id: "txn-errors")
        try producer.initTransactions(timeoutMs: 10_000)

        // A refused partition makes the transaction abortable, not the producer unusable.
        cluster.pushRequestErrors(
            apiKey: KafkaAPIKey.addPartitionsToTxn, errors: [KafkaError.Code.topicAuthorizationFailed])
        try producer.beginTransaction()
        try producer.produce(topic: "txn-errors", value: [1])
        XCTAssertThrowsError(try producer.commitTransaction(timeoutMs: 10_000)) { error in
            guard let error = error as? KafkaError else { return XCTFail("\(error)") }
            XCTAssertTrue(error.txnRequiresAbort, "\(error)")
            XCTAssertFalse(error.isFatal, "\(error)")
        }
        try producer.abortTransaction(timeoutMs: 10_000)
        producer.poll(timeoutMs: 10)
        XCTAssertTrue(producer.takeDeliveryReports().allSatisfy { !$0.isDelivered })

        // A newer instance with the same transactional id fences this one: fatal.
        cluster.pushRequestErrors(apiKey: KafkaAPIKey.endTxn, errors: [KafkaError.Code.producerFenced])
        try producer.beginTransaction()
        try producer.produce(topic: "txn-errors", value: [2])
        XCTAssertThrowsError(try producer.commitTransaction(timeoutMs: 10_000)) { error in
            guard let error = error as? KafkaError else { return XCTFail("\(error)") }
            XCTAssertTrue(error.isFatal, "\(error)")
            XCTAssertTrue(error.isFenced, "\(error)")
        }
        XCTAssertEqual(producer.fatalError?.isFatal, true)
        XCTAssertThrowsError(try producer.beginTransaction())
    }
}
