import Foundation
import XCTest

/// `sluice record` argument and connection errors (recording itself is tested against the mock
/// cluster in SluiceKafkaTests).
final class RecordCommandTests: XCTestCase {
    func testHelpNamesTheOptions() throws {
        let result = try SluiceBinary.run(["record", "--help"])
        XCTAssertEqual(result.status, 0)
        for option in ["--topic", "--brokers", "--from-beginning", "--max", "--idle-exit", "--out", "SLUICE_BROKERS"] {
            XCTAssertTrue(result.stdout.contains(option), "\(option) missing from: \(result.stdout)")
        }
    }

    func testArgumentErrorsExitWithUsage() throws {
        let cases: [([String], String)] = [
            (["record"], "name at least one --topic"),
            (["record", "--topic", "t", "--max", "0"], "--max must be at least 1"),
            (["record", "--topic", "t", "--idle-exit", "5x"], "\"5x\" is not a duration"),
            (["record", "--topic", "t", "-X", "nonsense"], "-X expects name=value"),
        ]
        for (arguments, message) in cases {
            let result = try SluiceBinary.run(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    func testNoBrokersIsAClearError() throws {
        guard ProcessInfo.processInfo.environment["SLUICE_BROKERS"] == nil,
            ProcessInfo.processInfo.environment["CONFLUENT_BOOTSTRAP_SERVERS"] == nil
        else { throw XCTSkip("brokers are configured in this environment") }
        let result = try SluiceBinary.run(["record", "--topic", "t"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("no brokers"), result.stderr)
    }

    func testUnreachableBrokersAreReportedWithoutSecrets() throws {
        let result = try SluiceBinary.run([
            "record", "--topic", "t", "--brokers", "127.0.0.1:1", "--connect-timeout", "1s",
            "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=me",
            "-X", "sasl.password=hunter2-secret",
        ])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("cannot reach the brokers at 127.0.0.1:1"), result.stderr)
        XCTAssertFalse(result.stderr.contains("hunter2"), result.stderr)
        XCTAssertFalse(result.stdout.contains("hunter2"), result.stdout)
    }
}
