import Foundation
import XCTest

/// `sluice run`'s configuration and error paths, and that secrets are never printed. No
/// broker is needed: these runs point at a closed port and stop by `--idle-exit`.
final class RunCommandTests: XCTestCase {
    static let secret = "hunter2-Secret-Value-8731"
    static let apiSecret = "api-S3cret-Value-1144"

    func testSecretsNeverAppearInOutputWithAFailingBroker() throws {
        let directory = try Self.pipelineDirectory(kafka: #"ssl.key.password: "${MY_PASSWORD}""#)
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
            # credentials for the tutorial cluster
            MY_PASSWORD="\(Self.secret)"
            export CONFLUENT_BOOTSTRAP_SERVERS=127.0.0.1:1
            CONFLUENT_API_KEY=TUTORIALKEY
            CONFLUENT_API_SECRET='\(Self.apiSecret)'  # not shown anywhere
            """.write(to: directory.appendingPathComponent(".env"), atomically: true, encoding: .utf8)

        let run = try Self.sluice(["run", "p.yaml", "--idle-exit", "1s", "--verbose", "--status", "log"], in: directory)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("brokers=127.0.0.1:1 brokers_from=CONFLUENT_BOOTSTRAP_SERVERS"), run.stderr)
        XCTAssertTrue(run.stderr.contains("Connection refused") || run.stderr.contains("cannot reach the cluster"), run.stderr)
        XCTAssertTrue(run.stderr.contains("stopped: no input for --idle-exit 1s"), run.stderr)
        Self.assertNoSecrets(run)

        // A configuration error names the property, never its value.
        let bad = try Self.sluice(["run", "p.yaml", "-X", "ssl.key.password=\(Self.secret)x", "-X", "socket.timeout.ms=\(Self.secret)"], in: directory)
        XCTAssertEqual(bad.status, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("socket.timeout.ms"), bad.stderr)
        Self.assertNoSecrets(bad)

        let help = try Self.sluice(["run", "--help"], in: directory, environment: ["SECRET_TOKEN": Self.secret])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("--brokers"), help.stdout)
        Self.assertNoSecrets(help)
    }

    func testMissingBrokersAndMissingVariablesAreClearErrors() throws {
        let directory = try Self.pipelineDirectory(kafka: #"sasl.password: "${NOT_SET_PASSWORD}""#)
        defer { try? FileManager.default.removeItem(at: directory) }
        let missingVariable = try Self.sluice(["run", "p.yaml", "--brokers", "127.0.0.1:1"], in: directory)
        XCTAssertEqual(missingVariable.status, 1)
        XCTAssertTrue(missingVariable.stderr.contains("uses ${NOT_SET_PASSWORD}, but NOT_SET_PASSWORD is not set"), missingVariable.stderr)

        let plain = try Self.pipelineDirectory(kafka: nil)
        defer { try? FileManager.default.removeItem(at: plain) }
        let noBrokers = try Self.sluice(["run", "p.yaml"], in: plain)
        XCTAssertEqual(noBrokers.status, 1)
        XCTAssertTrue(noBrokers.stderr.contains("error: no brokers configured: pass --brokers"), noBrokers.stderr)

        let invalid = try Self.sluice(["run", "missing.yaml"], in: plain)
        XCTAssertEqual(invalid.status, 2, invalid.stderr)
    }

    /// `--brokers` beats SLUICE_BROKERS, which beats `.env`, which beats nothing.
    func testBrokerPrecedence() throws {
        let directory = try Self.pipelineDirectory(kafka: nil)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SLUICE_BROKERS=127.0.0.1:2\n".write(to: directory.appendingPathComponent(".env"), atomically: true, encoding: .utf8)
        let fromFile = try Self.sluice(["run", "p.yaml", "--idle-exit", "200ms"], in: directory)
        XCTAssertTrue(fromFile.stderr.contains("brokers=127.0.0.1:2 brokers_from=SLUICE_BROKERS"), fromFile.stderr)
        let fromEnvironment = try Self.sluice(["run", "p.yaml", "--idle-exit", "200ms"], in: directory, environment: ["SLUICE_BROKERS": "127.0.0.1:3"])
        XCTAssertTrue(fromEnvironment.stderr.contains("brokers=127.0.0.1:3 brokers_from=SLUICE_BROKERS"), fromEnvironment.stderr)
        let fromFlag = try Self.sluice(
            ["run", "p.yaml", "--idle-exit", "200ms", "--brokers", "127.0.0.1:4"], in: directory, environment: ["SLUICE_BROKERS": "127.0.0.1:3"])
        XCTAssertTrue(fromFlag.stderr.contains("brokers=127.0.0.1:4 brokers_from=--brokers"), fromFlag.stderr)
        XCTAssertEqual(fromFlag.status, 0, fromFlag.stderr)
    }

    // MARK: helpers

    static func assertNoSecrets(_ output: SluiceBinary.Output, file: StaticString = #filePath, line: UInt = #line) {
        for secret in [secret, apiSecret] {
            XCTAssertFalse(output.stdout.contains(secret), "secret on stdout:\n\(output.stdout)", file: file, line: line)
            XCTAssertFalse(output.stderr.contains(secret), "secret on stderr:\n\(output.stderr)", file: file, line: line)
        }
    }

    /// A temporary directory holding `p.yaml`, a stateless pipeline with optional `kafka:` lines.
    static func pipelineDirectory(kafka: String?) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var text = """
            pipeline: run-check
            source:
              topics: [input-topic]
            sinks:
              - topic: out

            """
        if let kafka { text += "kafka:\n  \(kafka)\n" }
        try text.write(to: directory.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        return directory
    }

    /// Runs `sluice` in `directory` with this process's environment minus broker settings,
    /// plus `environment`; killed after 30 s.
    static func sluice(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> SluiceBinary.Output {
        let binary = try XCTUnwrap(SluiceBinary.url, "build the sluice binary first (swift build)")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var base = ProcessInfo.processInfo.environment
        for name in ["SLUICE_BROKERS", "CONFLUENT_BOOTSTRAP_SERVERS", "CONFLUENT_API_KEY", "CONFLUENT_API_SECRET"] { base[name] = nil }
        process.environment = base.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: killer)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        return SluiceBinary.Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}
