import Foundation
import SluiceCore
@testable import SluiceKafka
import SluiceSupport
import XCTest

/// Exactly once on noida-db: a failed transaction is aborted and the run rewinds in process to
/// the last commit (consumer positions and changelog state), with bounded retries.
final class TransactionRewindTests: XCTestCase {
    override func tearDown() {
        TransactionFaults.failCommits([])
        super.tearDown()
    }

    /// Three commits fail (two in a row) while seed-processor runs: every one is aborted and
    /// redone, and the sinks still equal the dry-run, running totals included.
    func testSeedProcessorRewindsAfterFailedCommits() throws {
        try assertRewinds(EOSScenario.seedProcessor)
    }

    /// The same with open windows and stream time restored from the changelog.
    func testCategoryWindowsRewindsAfterFailedCommits() throws {
        try assertRewinds(EOSScenario.categoryWindows)
    }

    /// Commits that keep failing stop the run after a bounded number of rewinds.
    func testRewindsAreBounded() throws {
        let broker = try NoidaBroker()
        defer { broker.stop() }
        let scenario = EOSScenario.seedProcessor
        let records = try scenario.prepare(broker, count: 2000)
        try RunTestSupport.produce(records, bootstrap: broker.bootstrapServers)
        TransactionFaults.failCommits(Set(1...50))
        let (outcome, log) = try run(scenario, broker: broker)
        guard case .failed(let message, _) = outcome else { return XCTFail("the run did not fail\n\(log.text)") }
        XCTAssertTrue(message.contains("transaction failed \(RunCore.maxRewinds) times in a row"), message)
        XCTAssertEqual(log.entries.filter { $0.text.hasPrefix("transaction aborted, rewinding") }.count, RunCore.maxRewinds, log.text)
        // Nothing was committed: a read_committed consumer sees no output.
        let actual = try ExactlyOnceTests.readCommitted(scenario.sinks, bootstrap: broker.bootstrapServers)
        XCTAssertEqual(actual.values.map(\.count).reduce(0, +), 0)
    }

    private func assertRewinds(_ scenario: EOSScenario, file: StaticString = #filePath, line: UInt = #line) throws {
        let broker = try NoidaBroker()
        defer { broker.stop() }
        let records = try scenario.prepare(broker, count: 6000)
        try RunTestSupport.produce(records, bootstrap: broker.bootstrapServers)
        TransactionFaults.failCommits([1, 2, 4])
        let (outcome, log) = try run(scenario, broker: broker)
        guard case .stopped(let summary) = outcome else { return XCTFail("the run failed: \(log.text)", file: file, line: line) }
        let rewinds = log.entries.filter { $0.text.hasPrefix("transaction aborted, rewinding") }
        XCTAssertEqual(rewinds.count, 3, log.text, file: file, line: line)
        XCTAssertGreaterThanOrEqual(log.entries.filter { $0.text.hasPrefix("input rewound") }.count, 3, log.text, file: file, line: line)
        // Redone inputs are not counted twice.
        XCTAssertEqual(summary.stats.recordsIn, records.count, log.text, file: file, line: line)
        try scenario.assertSinksEqualDryRun(records, broker: broker, file: file, line: line)
    }

    /// Runs `scenario` exactly once in this process until it has been idle for 3 s.
    private func run(_ scenario: EOSScenario, broker: NoidaBroker) throws -> (RunOutcome, LogCollector) {
        let (spec, plan) = try RunTestSupport.load(scenario.pipeline)
        let settings = try RunSettings.resolve(
            spec: spec, brokers: broker.bootstrapServers,
            overrides: [("session.timeout.ms", "6000"), ("group.instance.id", "rewind-test")], environment: [:])
        var options = RunOptions(idleExitMs: 3000, commitIntervalMs: 50, pollBatchSize: 300)
        options.guarantee = .exactlyOnce
        let log = LogCollector()
        let runner = PipelineRunner(spec: spec, plan: plan, settings: settings, options: options, log: { log.add($0) })
        // Synchronous on purpose: a broker started from a concurrency thread inherits its
        // blocked signals and ignores SIGTERM.
        let watchdog = DispatchWorkItem { runner.requestStop(reason: "test timeout") }
        DispatchQueue.global().asyncAfter(deadline: .now() + 90, execute: watchdog)
        let outcome = runner.run()
        watchdog.cancel()
        XCTAssertNotEqual(outcome.summary.reason, "test timeout")
        return (outcome, log)
    }
}
