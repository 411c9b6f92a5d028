import Foundation
import SluiceCore
import SluiceKafka
import SluiceSupport
import XCTest

/// `run` of a stream-table join against the mock cluster: the table topic pre-filled, the
/// stream joined, a restart mid-stream, results equal to dry-run on the same records.
final class JoinRunTests: XCTestCase {
    /// Customers c0...c5 at 1000 ms; c1 updated at 5000 and c2 deleted at 6000 (after some of
    /// their orders), so the answer depends on the table being read before the stream and in
    /// event-time order. Orders keyed by customer, so each key's orders keep their order.
    static func records() -> [Record] {
        var records: [Record] = []
        func customer(_ id: Int, _ name: String?, tier: String = "gold", at time: Int64) {
            records.append(Record(
                topic: "customers", timestamp: time, key: Array("c\(id)".utf8),
                value: name.map { Array(#"{"name":"\#($0)","tier":"\#(tier)"}"#.utf8) }))
        }
        for id in 0..<6 { customer(id, "customer \(id)", tier: ["gold", "silver", "bronze"][id % 3], at: 1000) }
        customer(1, "renamed", tier: "silver", at: 5000)
        customer(2, nil, at: 6000)
        for index in 0..<60 {
            let time = Int64(2000 + index * 150)  // 2000 ... 10850
            let customer = index % 7  // c6 never exists
            records.append(Record(
                topic: "orders", timestamp: time, key: Array("c\(customer)".utf8),
                value: Array(#"{"order_id":"o\#(index)","customer_id":"c\#(customer)","amount":\#(index),"ts":\#(time)}"#.utf8)))
        }
        return records
    }

    func testLookupRunWithRestartEqualsDryRun() async throws {
        let cluster = try MockCluster(brokers: 1)
        for topic in ["orders", "customers", "orders-enriched", "orders-enrich-0-lookup-changelog"] {
            try cluster.createTopic(topic, partitions: 2)
        }
        try cluster.createTopic("dead-letter-topic", partitions: 1)
        let records = Self.records()
        // By key (Kafka's default partitioner), as a keyed producer would: co-partitioned.
        try RunTestSupport.produce(records, bootstrap: cluster.bootstrapServers, keepPartition: false)

        let first = try await RunTestSupport.runInProcess(
            "pipelines/orders-enrich.yaml", bootstrap: cluster.bootstrapServers,
            options: RunOptions(maxRecords: 30, pollBatchSize: 7))
        XCTAssertTrue(first.outcome.summary.reason.contains("max-records"), first.outcome.summary.reason)
        XCTAssertTrue(first.log.contains { $0.message == "table read" }, first.log.map(\.text).joined(separator: "\n"))
        let second = try await RunTestSupport.runInProcess(
            "pipelines/orders-enrich.yaml", bootstrap: cluster.bootstrapServers, options: RunOptions(idleExitMs: 1500))
        XCTAssertTrue(second.log.contains { $0.message == "state restored" }, second.log.map(\.text).joined(separator: "\n"))
        // Everything is committed now, and the table's rows are in the changelog: a third start
        // restores them and reads the table topic from the committed offsets, which is nothing.
        let third = try await RunTestSupport.runInProcess(
            "pipelines/orders-enrich.yaml", bootstrap: cluster.bootstrapServers, options: RunOptions(idleExitMs: 1000))
        let tableReads = [first, third].map { run in
            run.log.first { $0.message == "table read" }.flatMap { entry in
                entry.fields.first { $0.name == "records_read" }.flatMap { Int($0.value) }
            }
        }
        XCTAssertEqual(tableReads[0], 8, first.log.map(\.text).joined(separator: "\n"))
        XCTAssertEqual(tableReads[1], 0, third.log.map(\.text).joined(separator: "\n"))

        let directory = try ChildSluice.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("orders-enrich.jsonl")
        try RunTestSupport.writeRecording(records, to: input)
        let expected = try RunTestSupport.dryRun("pipelines/orders-enrich.yaml", input: input)
        let actual = try RunTestSupport.readAll(["orders-enriched", "dead-letter-topic"], bootstrap: cluster.bootstrapServers)
        XCTAssertEqual(expected["orders-enriched"]?.count, 60)
        XCTAssertEqual(RunTestSupport.perKey(actual["orders-enriched"]), RunTestSupport.perKey(expected["orders-enriched"]))
        XCTAssertEqual(actual["dead-letter-topic"]?.count ?? 0, 0)
        // The update and the delete show in the expected output, so the test can tell.
        let c1 = RunTestSupport.perKey(expected["orders-enriched"])["c1"] ?? []
        XCTAssertTrue(c1.first?.contains("customer 1") ?? false, "\(c1)")
        XCTAssertTrue(c1.last?.contains("renamed") ?? false, "\(c1)")
        XCTAssertTrue((RunTestSupport.perKey(expected["orders-enriched"])["c2"] ?? []).last?.contains(#""customer_name":null"#) ?? false)
    }

    func testMismatchedPartitionCountsStopBeforeAnyRecord() async throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("orders", partitions: 2)
        try cluster.createTopic("customers", partitions: 3)
        try cluster.createTopic("orders-enriched", partitions: 1)
        try RunTestSupport.produce(Self.records(), bootstrap: cluster.bootstrapServers, keepPartition: false)
        let (spec, plan) = try RunTestSupport.load("pipelines/orders-enrich.yaml")
        let settings = try RunSettings.resolve(spec: spec, brokers: cluster.bootstrapServers, overrides: [], environment: [:])
        let runner = PipelineRunner(spec: spec, plan: plan, settings: settings, options: RunOptions(idleExitMs: 3000), log: { _ in })
        let outcome = await runner.runOnThread()
        guard case .failed(let message, let summary) = outcome else { return XCTFail("expected a failure, got \(outcome)") }
        XCTAssertTrue(message.contains(#"needs co-partitioned topics, but "orders" has 2 partitions and "customers" has 3"#), message)
        XCTAssertEqual(summary.stats.recordsIn, 0)
    }

    /// A stream-stream join across a restart: records buffered before the stop match records
    /// read after it. Unmatched orders come out of a dry-run at the end of input, but stay in
    /// a run's state (stream time never passes them): only matches are compared.
    func testStreamJoinRunWithRestartEqualsDryRunMatches() async throws {
        let cluster = try MockCluster(brokers: 1)
        for topic in ["orders", "payments", "orders-paid", "late-payments", "orders-payments-0-join-changelog"] {
            try cluster.createTopic(topic, partitions: 1)
        }
        var records: [Record] = []
        for index in 0..<30 {
            let time = Int64(index * 1000)
            records.append(Record(
                topic: "orders", partition: 0, offset: Int64(index), timestamp: time, key: Array("o\(index)".utf8),
                value: Array(#"{"order_id":"o\#(index)","customer_id":"c1","amount":\#(index),"ts":\#(time)}"#.utf8)))
        }
        for index in stride(from: 0, to: 30, by: 2) {
            let time = Int64(index * 1000 + 500)
            records.append(Record(
                topic: "payments", partition: 0, offset: Int64(index / 2), timestamp: time, key: Array("o\(index)".utf8),
                value: Array(#"{"order_id":"o\#(index)","amount":\#(index),"ts":\#(time)}"#.utf8)))
        }
        try RunTestSupport.produce(records, bootstrap: cluster.bootstrapServers)
        let first = try await RunTestSupport.runInProcess(
            "pipelines/orders-payments.yaml", bootstrap: cluster.bootstrapServers,
            options: RunOptions(maxRecords: 20, pollBatchSize: 5))
        XCTAssertTrue(first.outcome.summary.reason.contains("max-records"), first.outcome.summary.reason)
        let second = try await RunTestSupport.runInProcess(
            "pipelines/orders-payments.yaml", bootstrap: cluster.bootstrapServers, options: RunOptions(idleExitMs: 1500))
        XCTAssertEqual(first.outcome.summary.stats.recordsIn + second.outcome.summary.stats.recordsIn, records.count)

        let directory = try ChildSluice.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("orders-payments.jsonl")
        try RunTestSupport.writeRecording(records, to: input)
        let expected = try RunTestSupport.dryRun("pipelines/orders-payments.yaml", input: input)
        let actual = try RunTestSupport.readAll(["orders-paid", "late-payments"], bootstrap: cluster.bootstrapServers)
        let matched = (expected["orders-paid"] ?? []).filter { String(decoding: $0.value ?? [], as: UTF8.self).contains(#""matched":"both""#) }
        XCTAssertEqual(matched.count, 15)
        XCTAssertEqual(expected["orders-paid"]?.count, 30, "the dry-run emits the unpaid orders at the end")
        XCTAssertEqual(RunTestSupport.perKey(actual["orders-paid"]), RunTestSupport.perKey(matched))
        XCTAssertEqual(actual["late-payments"]?.count ?? 0, 0)
    }
}
