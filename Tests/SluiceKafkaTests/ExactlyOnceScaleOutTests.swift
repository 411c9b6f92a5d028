import Foundation
import SluiceKafka
import SluiceSupport
import XCTest

/// Three `sluice run --guarantee exactly-once` processes in one group on a six-partition input;
/// one is killed with -9 mid-run and restarted with its instance id (noida-db, like Kafka with
/// static membership, keeps a dead static member's partitions until it returns). What a
/// read_committed consumer sees still equals the dry-run.
final class ExactlyOnceScaleOutTests: XCTestCase {
    func testThreeInstancesOneKilledOutputsExact() throws {
        let broker = try NoidaBroker()
        defer { broker.stop() }
        let started = Date()
        let scenario = EOSScenario.scaleOut
        let records = try scenario.prepare(broker, count: 20_000)
        let feeder = Feeder(records, bootstrap: broker.bootstrapServers, batch: 60)
        let names = ["scale-a", "scale-b", "scale-c"]
        var children = try names.map { try ChildSluice(scenario.arguments(broker, instance: $0)) }
        defer { for child in children { child.signal(SIGKILL) } }
        for child in children {
            XCTAssertTrue(child.waitFor("partitions assigned", timeout: 30), child.stderr)
        }
        // Work is shared: more than one instance owns partitions once all three joined.
        Thread.sleep(forTimeInterval: Double.random(in: 1.5...4))
        let victim = Int.random(in: 0..<3)
        XCTAssertTrue(children[victim].stderr.contains("state restored"), children[victim].stderr)
        children[victim].signal(SIGKILL)
        XCTAssertNotNil(children[victim].waitForExit(timeout: 10))
        Thread.sleep(forTimeInterval: Double.random(in: 0.2...1.5))
        children[victim] = try ChildSluice(scenario.arguments(broker, instance: names[victim]))
        XCTAssertTrue(children[victim].waitFor("partitions assigned", timeout: 30), children[victim].stderr)
        XCTAssertNil(feeder.wait(timeout: 60))
        XCTAssertTrue(
            try waitForCommittedEnd(records, group: "seed-processor", bootstrap: broker.bootstrapServers, timeout: 60),
            "the group did not commit the whole input\n" + children.map(\.stderr).joined(separator: "\n----\n"))
        let assignedSomewhere = children.filter { $0.stderr.contains("partitions assigned") }.count
        XCTAssertEqual(assignedSomewhere, 3)
        for child in children { child.signal(SIGTERM) }
        for child in children {
            XCTAssertEqual(child.waitForExit(timeout: 20), 0, child.stderr)
            XCTAssertFalse(child.stderr.contains("error:"), child.stderr)
            // Input partitioned by the aggregate key: no state of another instance's partition.
            XCTAssertFalse(child.stderr.contains("state of a key whose partition another instance owns"), child.stderr)
        }
        try scenario.assertSinksEqualDryRun(records, broker: broker)
        XCTAssertLessThan(Date().timeIntervalSince(started), 180, "the scale-out test must stay bounded")
    }

    /// Waits until the group's committed offsets reach the end of every input partition.
    private func waitForCommittedEnd(_ records: [Record], group: String, bootstrap: String, timeout: TimeInterval) throws -> Bool {
        var ends: [Int32: Int64] = [:]
        for record in records { ends[record.partition] = max(ends[record.partition] ?? 0, record.offset + 1) }
        var config = KafkaTestSupport.consumerConfig(bootstrap, group: group)
        config["isolation.level"] = "read_committed"
        let consumer = try KafkaConsumer(config: config)
        defer { try? consumer.close() }
        let partitions = ends.keys.sorted().map { TopicPartition(topic: "input-topic", partition: $0) }
        return KafkaTestSupport.wait(timeout: timeout) {
            guard let committed = try? consumer.committed(partitions, timeoutMs: 5000) else { return false }
            return committed.allSatisfy { $0.offset >= (ends[$0.partition] ?? 0) }
        }
    }
}
