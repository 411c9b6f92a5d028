import SluiceKafka
import SluiceSupport
import XCTest

final class ProduceConsumeTests: XCTestCase {
    func testRecordsRoundTripWithKeysHeadersAndTimestamps() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("orders", partitions: 3)
        let producer = try KafkaProducer(config: KafkaTestSupport.producerConfig(cluster.bootstrapServers))
        let sent = KafkaTestSupport.records(topic: "orders", count: 300, partitions: 3)
        var idToIndex: [UInt64: Int] = [:]
        for (index, record) in sent.enumerated() {
            idToIndex[try producer.produce(record, keepPartition: true)] = index
        }
        let reports = KafkaTestSupport.collectReports(producer, count: sent.count)
        XCTAssertEqual(reports.count, sent.count)
        XCTAssertEqual(Set(reports.map(\.id)), Set(idToIndex.keys))
        XCTAssertTrue(
            reports.allSatisfy(\.isDelivered),
            "\(reports.compactMap(\.error).first.map(String.init(describing:)) ?? "")")

        // The offsets the reports gave are where each record is expected.
        var expected = sent
        for report in reports {
            guard let index = idToIndex[report.id] else { continue }
            XCTAssertEqual(report.partition, sent[index].partition)
            expected[index].offset = report.offset
        }

        let consumer = try KafkaConsumer(
            config: KafkaTestSupport.consumerConfig(cluster.bootstrapServers, group: "round-trip"))
        try consumer.assign(
            (0..<3).map { TopicPartitionOffset(topic: "orders", partition: $0, offset: KafkaOffset.beginning) })
        let (received, errors) = KafkaTestSupport.consume(consumer, count: sent.count)
        XCTAssertEqual(errors, [])
        XCTAssertEqual(received.count, sent.count)
        let order: (Record, Record) -> Bool = { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
        XCTAssertEqual(received.sorted(by: order), expected.sorted(by: order))
        try consumer.close()

        // The borrowing batch poll sees the same records without copying them first.
        let borrower = try KafkaConsumer(
            config: KafkaTestSupport.consumerConfig(cluster.bootstrapServers, group: "borrow"))
        try borrower.assign(
            (0..<3).map { TopicPartitionOffset(topic: "orders", partition: $0, offset: KafkaOffset.beginning) })
        var borrowed: [Record] = []
        var emptyValues = 0
        XCTAssertTrue(
            KafkaTestSupport.wait(timeout: 15) {
                borrower.pollBatch(maxMessages: 64, timeoutMs: 50) { message in
                    guard case .record(let record) = message else { return XCTFail("\(message)") }
                    if record.value?.count == 0 { emptyValues += 1 }
                    borrowed.append(record.copy())
                }
                return borrowed.count == sent.count
            })
        XCTAssertEqual(borrowed.sorted(by: order), expected.sorted(by: order))
        XCTAssertEqual(emptyValues, sent.filter { $0.value == [] }.count)
        try borrower.close()
    }
}
