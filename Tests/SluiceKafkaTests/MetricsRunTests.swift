import Foundation
import SluiceKafka
import SluiceSupport
import Synchronization
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `sluice run --metrics-port` serves Prometheus text whose counters match the records sent
/// and produced, scraped while the run is going.
final class MetricsRunTests: XCTestCase {
    func testScrapedCountersMatchTheRecordsSentAndProduced() throws {
        let cluster = try RunHarness.cluster(brokers: 1, inputPartitions: 3)
        let reader = try RunHarness.SinkReader(cluster)
        let run = try RunHarness.startRun(cluster, extra: ["--metrics-port", "0"])
        defer { run.signal(SIGKILL) }
        XCTAssertTrue(run.waitFor("serving metrics", timeout: 15), run.stderr)
        let url = try XCTUnwrap(Self.metricsURL(in: run.stderr), run.stderr)
        XCTAssertTrue(run.waitFor("partitions assigned", timeout: 15), run.stderr)

        let sent = RunHarness.input(count: 150, firstID: 1)
        try RunHarness.produce(sent, to: cluster)
        let expected = try RunHarness.expected(sent)
        XCTAssertTrue(reader.read(timeout: 20) { RunHarness.compare($0, expected: expected).isComplete }, run.stderr)

        // Totals are published about once per second: scrape until they have caught up.
        var text = ""
        var samples: [String: Double] = [:]
        let caughtUp = KafkaTestSupport.wait(timeout: 10) {
            text = Self.scrape(url) ?? ""
            samples = Self.samples(text)
            // State and commits follow processing by a commit interval.
            return samples[#"sluice_records_in_total{topic="input-topic"}"#] == Double(sent.count)
                && RunHarness.sinks.allSatisfy { samples[#"sluice_records_out_total{topic="\#($0)"}"#] == Double(expected[$0]?.count ?? 0) }
                && (samples["sluice_state_bytes"] ?? 0) > 0
                && (samples[#"sluice_commit_duration_seconds_count{mode="offsets"}"#] ?? 0) > 0
                && (0..<3).allSatisfy { samples[#"sluice_consumer_lag{topic="input-topic",partition="\#($0)"}"#] == 0 }
        }
        XCTAssertTrue(caughtUp, "\(text)\n\(run.stderr)")
        for sink in RunHarness.sinks {
            XCTAssertEqual(samples[#"sluice_records_out_total{topic="\#(sink)"}"#], Double(expected[sink]?.count ?? 0), sink)
        }
        let malformed = sent.filter { String(decoding: $0.value ?? [], as: UTF8.self).contains("broken") }.count
        XCTAssertGreaterThan(malformed, 0)
        XCTAssertEqual(samples.filter { $0.key.hasPrefix("sluice_errors_total{") && $0.key != #"sluice_errors_total{kind="kafka"}"# }
            .values.reduce(0, +), Double(malformed), text)
        XCTAssertEqual(samples[#"sluice_late_records_total{action="dropped"}"#], 0, text)
        XCTAssertNotNil(samples["sluice_open_windows"], text)
        XCTAssertGreaterThan(samples["sluice_state_bytes"] ?? 0, 0, text)
        for partition in 0..<3 {
            XCTAssertEqual(samples[#"sluice_consumer_lag{topic="input-topic",partition="\#(partition)"}"#], 0, text)
        }
        XCTAssertGreaterThan(samples[#"sluice_commit_duration_seconds_count{mode="offsets"}"#] ?? 0, 0, text)
        XCTAssertTrue(text.contains("# TYPE sluice_records_in_total counter"), text)

        run.signal(SIGTERM)
        XCTAssertEqual(run.waitForExit(timeout: 20), 0, run.stderr)
    }

    /// The `url=` of the "serving metrics" log line.
    static func metricsURL(in log: String) -> URL? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains("serving metrics") }),
            let field = line.split(separator: " ").first(where: { $0.hasPrefix("url=") })
        else { return nil }
        return URL(string: String(field.dropFirst("url=".count)))
    }

    /// GET `url`'s body, or nil.
    static func scrape(_ url: URL) -> String? {
        let done = DispatchSemaphore(value: 0)
        let body = ScrapedBody()
        URLSession.shared.dataTask(with: url) { data, response, _ in
            if (response as? HTTPURLResponse)?.statusCode == 200, let data { body.set(String(decoding: data, as: UTF8.self)) }
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 5)
        return body.get()
    }

    /// `name{labels} value` lines as a dictionary (comments skipped).
    static func samples(_ text: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            result[String(line[..<space])] = value
        }
        return result
    }
}

/// A response body handed over from URLSession's thread.
private final class ScrapedBody: Sendable {
    private let value = Mutex<String?>(nil)
    func set(_ new: String) { value.withLock { $0 = new } }
    func get() -> String? { value.withLock { $0 } }
}
