import Foundation
import XCTest

/// `sluice demo` end to end: embedded cluster, generator, both tutorial pipelines, live output.
final class DemoCommandTests: XCTestCase {
    /// The sink topics named at the start of the printed lines.
    private func topics(_ stdout: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in stdout.split(separator: "\n") {
            counts[String(line.prefix { $0 != " " }), default: 0] += 1
        }
        return counts
    }

    func testDemoRunsBothPipelinesAndPrintsEverySink() throws {
        let started = Date()
        let result = try SluiceBinary.run(["demo", "--duration", "8s"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 40)
        let counts = topics(result.stdout)
        for topic in ["output-topic", "aggregated-topic", "dead-letter-topic"] {
            XCTAssertGreaterThan(counts[topic] ?? 0, 0, "nothing printed for \(topic): \(counts)\n\(result.stderr)")
        }
        // Both pipelines ran: seed-processor's running totals and category-windows' windows.
        let aggregated = result.stdout.split(separator: "\n").filter { $0.hasPrefix("aggregated-topic") }
        XCTAssertTrue(aggregated.contains { $0.contains("\"window_start\"") }, result.stdout)
        XCTAssertTrue(aggregated.contains { !$0.contains("\"window_start\"") && $0.contains("\"count\"") }, result.stdout)
        XCTAssertTrue(result.stdout.contains("\"processed_value\""), result.stdout)
        // Dead letters say why; no color when not on a terminal.
        XCTAssertTrue(result.stdout.split(separator: "\n").contains { $0.hasPrefix("dead-letter-topic") && $0.contains("(the value") }, result.stdout)
        XCTAssertFalse(result.stdout.contains("\u{1B}["))
        XCTAssertTrue(result.stderr.contains("sluice demo: embedded kafka at 127.0.0.1:"), result.stderr)
        XCTAssertTrue(result.stderr.contains("category-windows stopped"), result.stderr)
        XCTAssertTrue(result.stderr.contains("seed-processor stopped"), result.stderr)
        // librdkafka's own log lines stay out of the way.
        XCTAssertFalse(result.stderr.contains("|FAIL|"), result.stderr)
    }

    func testDemoOutsideACheckoutUsesTheBuiltInPipelines() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-demo-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try SluiceBinary.run(["demo", "--duration", "6s", "--history", "30s", "--rate", "20"], in: directory)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("using the built-in tutorial pipelines"), result.stderr)
        XCTAssertGreaterThan(topics(result.stdout)["output-topic"] ?? 0, 0, result.stderr)
    }

    func testMissingPipelineDirectoryIsAClearError() throws {
        let result = try SluiceBinary.run(["demo", "--pipelines", "/nonexistent/pipelines", "--duration", "1s"])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("/nonexistent/pipelines/seed-processor.yaml"), result.stderr)
        XCTAssertTrue(result.stderr.contains("not found"), result.stderr)
    }

    func testArgumentErrors() throws {
        for (arguments, message) in [
            (["demo", "--duration", "soon"], "--duration"), (["demo", "--rate", "0"], "--rate"),
            (["demo", "--history", "-1s"], "--history"),
        ] {
            let result = try SluiceBinary.run(arguments)
            XCTAssertEqual(result.status, 64, result.stderr)
            XCTAssertTrue(result.stderr.contains(message), result.stderr)
        }
    }
}
