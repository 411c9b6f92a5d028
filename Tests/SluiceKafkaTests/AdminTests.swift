import SluiceKafka
import XCTest

final class AdminTests: XCTestCase {
    func testCreateTopicsOnTheMockClusterSaysWhatToDo() throws {
        let cluster = try MockCluster(brokers: 1)
        let admin = try KafkaAdmin(config: ["bootstrap.servers": cluster.bootstrapServers])
        let topic = NewTopic(
            name: "state-changelog", partitions: 2, replicationFactor: 1,
            configs: ["cleanup.policy": "compact", "retention.ms": "-1"])
        XCTAssertThrowsError(try admin.createTopics([topic], timeoutMs: 5_000)) { error in
            let error = error as? KafkaError
            XCTAssertTrue(error?.message.contains("MockCluster.createTopic") == true, "\(String(describing: error))")
        }
        try cluster.createTopic("state-changelog", partitions: 2)
        XCTAssertEqual(try admin.partitionCount(topic: "state-changelog", timeoutMs: 5_000), 2)
        XCTAssertTrue(
            try admin.topicMetadata(timeoutMs: 5_000).contains {
                $0.name == "state-changelog" && $0.partitions == [0, 1]
            })
    }

    func testMockClusterRejectsBadArguments() throws {
        XCTAssertThrowsError(try MockCluster(brokers: 0))
        let cluster = try MockCluster(brokers: 2)
        XCTAssertEqual(cluster.bootstrapServers.split(separator: ",").count, 2)
        XCTAssertThrowsError(try cluster.createTopic("t", partitions: 1, replicationFactor: 3))
        XCTAssertThrowsError(try cluster.createTopic("t", partitions: 0))
        XCTAssertNoThrow(try cluster.createTopic("t", partitions: 4, replicationFactor: 2))
        XCTAssertThrowsError(try cluster.setBrokerDown(7))
        XCTAssertNoThrow(try cluster.setRoundTripTime(broker: -1, milliseconds: 5))
    }
}
