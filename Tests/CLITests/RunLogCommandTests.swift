import Foundation
import XCTest

/// `sluice run` logs through swift-log: logfmt lines on a pipe, filtered by `--log-level`;
/// `--metrics-port` is checked before anything runs.
final class RunLogCommandTests: XCTestCase {
    func testLogsAreLogfmtOnAPipeAndLogLevelFilters() throws {
        let directory = try RunCommandTests.pipelineDirectory(kafka: nil)
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try RunCommandTests.sluice(["run", "p.yaml", "--brokers", "127.0.0.1:1", "--idle-exit", "1s"], in: directory)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stderr.split(separator: "\n").filter { $0.hasPrefix("time=") }
        let starting = try XCTUnwrap(lines.first { $0.contains("msg=starting") }, run.stderr)
        XCTAssertTrue(starting.contains(" level=info msg=starting "), String(starting))
        XCTAssertTrue(starting.contains("brokers=127.0.0.1:1 brokers_from=--brokers"), String(starting))
        XCTAssertTrue(lines.contains { $0.contains(#" level=info msg=stopped reason="no input for --idle-exit 1s""#) }, run.stderr)
        XCTAssertFalse(lines.contains { $0.contains("level=debug") }, "debug hidden at the default level\n\(run.stderr)")

        let quiet = try RunCommandTests.sluice(
            ["run", "p.yaml", "--brokers", "127.0.0.1:1", "--idle-exit", "1s", "--log-level", "error"], in: directory)
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertFalse(quiet.stderr.contains("time="), quiet.stderr)
        XCTAssertTrue(quiet.stderr.contains("stopped: no input for --idle-exit 1s"), "the summary is not a log entry\n\(quiet.stderr)")

        let verbose = try RunCommandTests.sluice(
            ["run", "p.yaml", "--brokers", "127.0.0.1:1", "--idle-exit", "1s", "--log-level", "debug"], in: directory)
        XCTAssertTrue(verbose.stderr.contains("level=debug msg=\"librdkafka: "), verbose.stderr)

        let badLevel = try RunCommandTests.sluice(["run", "p.yaml", "--log-level", "loud"], in: directory)
        XCTAssertNotEqual(badLevel.status, 0)
        XCTAssertTrue(badLevel.stderr.contains("--log-level"), badLevel.stderr)
        let badPort = try RunCommandTests.sluice(["run", "p.yaml", "--metrics-port", "70000"], in: directory)
        XCTAssertNotEqual(badPort.status, 0)
        XCTAssertTrue(badPort.stderr.contains("--metrics-port must be between 0 and 65535"), badPort.stderr)
    }
}
