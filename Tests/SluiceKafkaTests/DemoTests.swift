import Foundation
import SluiceKafka
import SluiceSupport
import XCTest

/// The demo's pieces: built-in pipelines, the tutorial record generator, sink topics.
final class DemoTests: XCTestCase {
    func testBuiltInPipelinesAreCopiesOfTheRepositoryFiles() throws {
        for file in TutorialPipelines.pipelines + TutorialPipelines.support {
            let url = ChildSluice.root.appendingPathComponent(file.path)
            let onDisk = try String(contentsOf: url, encoding: .utf8)
            XCTAssertEqual(file.text, onDisk, "\(file.path) differs from its built-in copy in Sources/SluiceKafka/Demo/TutorialPipelines.swift")
        }
        XCTAssertEqual(TutorialPipelines.pipelines.map(\.path), ["pipelines/seed-processor.yaml", "pipelines/category-windows.yaml"])
    }

    func testGeneratorMakesTutorialRecordsWithAFewMalformedAndLateOnes() throws {
        var generator = TutorialGenerator()
        let now: Int64 = 1_800_000_000_000
        var kinds: [TutorialGenerator.Kind: Int] = [:]
        for index in 0..<2000 {
            let (record, kind) = generator.next(nowMs: now + Int64(index) * 200)
            kinds[kind, default: 0] += 1
            XCTAssertEqual(record.topic, "input-topic")
            let key = String(decoding: try XCTUnwrap(record.key), as: UTF8.self)
            XCTAssertTrue(TutorialGenerator.categories.contains(key), key)
            let parsed = try? JSON.parse(try XCTUnwrap(record.value))
            switch kind {
            case .normal, .late:
                guard case .object(let fields)? = parsed else { return XCTFail("not an object: \(record)") }
                XCTAssertEqual(fields["id"], .int(Int64(index + 1)))
                XCTAssertEqual(fields["category"], .string(key))
                guard case .int(let value)? = fields["value"], case .int(let seconds)? = fields["timestamp"] else {
                    return XCTFail("\(fields)")
                }
                XCTAssertTrue((1...100).contains(value))
                let expected = (now + Int64(index) * 200 - (kind == .late ? 120_000 : 0))
                XCTAssertEqual(seconds, expected / 1000)
                XCTAssertEqual(record.timestamp, expected)
            case .malformed:
                // Not JSON, or not {timestamp: int, value: int, category: string}.
                if case .object(let object)? = parsed {
                    let stringValue = if case .string? = object["value"] { true } else { false }
                    XCTAssertTrue(object["category"] == nil || stringValue, "\(object)")
                }
            }
        }
        XCTAssertEqual(kinds.values.reduce(0, +), 2000)
        XCTAssertTrue((20...120).contains(kinds[.malformed] ?? 0), "\(kinds)")
        XCTAssertTrue((15...100).contains(kinds[.late] ?? 0), "\(kinds)")
        // Deterministic: the same seed gives the same records.
        var again = TutorialGenerator()
        var first = TutorialGenerator()
        XCTAssertEqual(again.next(nowMs: now).record, first.next(nowMs: now).record)
    }

    func testChangelogTopicsFollowTheInputPartitions() throws {
        let pipelines = try ["pipelines/seed-processor.yaml", "pipelines/category-windows.yaml"].map {
            try DemoPipelineFile.load(ChildSluice.root.appendingPathComponent($0).path).get()
        }
        let topics = DemoSession.changelogTopics(for: pipelines, inputPartitions: 2)
        XCTAssertEqual(topics.count, 2)
        XCTAssertTrue(topics.allSatisfy { $0.1 == 2 && $0.0.hasSuffix("-changelog") }, "\(topics)")
    }

    func testDemoStopsGracefullyOnCtrlC() throws {
        let demo = try ChildSluice(["demo", "--history", "30s"])
        XCTAssertTrue(demo.waitFor("output-topic ", timeout: 20), demo.stderr)
        demo.signal(SIGINT)
        XCTAssertEqual(demo.waitForExit(timeout: 25), 0, demo.stderr)
        XCTAssertTrue(demo.stderr.contains("sluice demo: stopping"), demo.stderr)
        XCTAssertTrue(demo.stderr.contains("seed-processor stopped") && demo.stderr.contains("category-windows stopped"), demo.stderr)
    }
}
