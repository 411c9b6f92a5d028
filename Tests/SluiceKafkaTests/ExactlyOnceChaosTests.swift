import Foundation
import SluiceKafka
import SluiceSupport
import XCTest

/// kill -9 chaos against noida-db in exactly-once mode: 20,000 generated tutorial records (with
/// malformed and late ones) trickle in while the runner is killed at random moments and
/// restarted; a read_committed consumer of every sink then sees exactly the dry-run's output.
final class ExactlyOnceChaosTests: XCTestCase {
    /// Running totals per category across six crashes (three input partitions, keyed input).
    func testSeedProcessorSurvivesKillNine() throws {
        try runChaos(EOSScenario.seedProcessor, kills: 6)
    }

    /// Open windows, stream time and lateness across six crashes. One input partition: with
    /// several, stream time (the smallest of the partitions' largest event times) depends on
    /// how fetches interleave, in a run as in Kafka Streams, so only one partition has a
    /// single right answer to compare with.
    func testCategoryWindowsSurvivesKillNine() throws {
        try runChaos(EOSScenario.categoryWindows, kills: 6)
    }

    private func runChaos(_ scenario: EOSScenario, kills: Int) throws {
        let broker = try NoidaBroker()
        defer { broker.stop() }
        let started = Date()
        let records = try scenario.prepare(broker, count: 20_000)
        let feeder = Feeder(records, bootstrap: broker.bootstrapServers, batch: 60)
        var generator = SystemRandomNumberGenerator()
        var killedWhileProcessing = 0
        for round in 0..<kills {
            let child = try ChildSluice(scenario.arguments(broker))
            // Mostly after the assignment, sometimes while joining or restoring.
            if round % 3 != 2 {
                XCTAssertTrue(child.waitFor("partitions assigned", timeout: 20), child.stderr)
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0.1...1.5, using: &generator))
            if child.stderr.contains("state restored") { killedWhileProcessing += 1 }
            child.signal(SIGKILL)
            XCTAssertNotNil(child.waitForExit(timeout: 10))
            XCTAssertFalse(child.stderr.contains("error:"), child.stderr)
        }
        XCTAssertNil(feeder.wait(timeout: 60))
        XCTAssertGreaterThan(killedWhileProcessing, 2)
        let last = try ChildSluice.run(scenario.arguments(broker) + ["--idle-exit", "3s"], timeout: 90)
        XCTAssertEqual(last.status, 0, last.stderr)
        // The killed runs committed progress: the last one did not start over.
        XCTAssertLessThan(RunNoidaTests.recordsIn(last.stderr) ?? Int.max, records.count, last.stderr)
        try scenario.assertSinksEqualDryRun(records, broker: broker)
        XCTAssertLessThan(Date().timeIntervalSince(started), 180, "the chaos test must stay bounded")
    }
}
