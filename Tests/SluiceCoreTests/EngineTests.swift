import SluiceCore
import SluiceSupport
import XCTest

/// Per-record steps, aggregates, error records and stream time across partitions.
final class EngineTests: XCTestCase {
    private func pipeline(_ steps: String, source: String = "", extra: String = "") -> String {
        """
        pipeline: test
        source:
          topics: [in]
        \(source.isEmpty ? "" : "  " + source)
        steps:
        \(steps)
        sinks:
          - topic: out
        \(extra)
        """
    }

    func testMapSetsFieldsInOrderAndToEmitsACopy() throws {
        var h = try EngineHarness(pipeline("""
              - map:
                  set:
                    double: v * 2
                    quad: double * 2
              - to: {topic: copy, key: id}
              - select: [id, quad, nested.x]
              - drop: [id]
            """))
        h.feed(#"{"id":7,"v":3,"nested":{"x":1,"y":2}}"#, key: "K", ts: 5)
        XCTAssertEqual(h.values("copy"), [#"{"id":7,"v":3,"nested":{"x":1,"y":2},"double":6,"quad":12}"#])
        XCTAssertEqual(h.records("copy").first?.key, Array("7".utf8))
        XCTAssertEqual(h.values("out"), [#"{"quad":12,"nested":{"x":1}}"#])
        XCTAssertEqual(h.records("out").first?.key, Array("K".utf8), "key unchanged")
        XCTAssertEqual(h.records("out").first?.timestamp, 5, "timestamp unchanged")
    }

    func testFilterDropsFalseAndNonBooleanIsAnErrorRecord() throws {
        var h = try EngineHarness(pipeline("  - filter: v", extra: "dead_letter: {topic: dlq}"))
        h.feed(#"{"v":true}"#)
        h.feed(#"{"v":false}"#)
        h.feed(#"{"v":1}"#, offset: 42)
        XCTAssertEqual(h.values("out"), [#"{"v":true}"#])
        XCTAssertEqual(h.engine.stats.filtered, 1)
        XCTAssertEqual(h.engine.stats.errors[.filterResult], 1)
        let dead = try XCTUnwrap(h.records("dlq").first)
        XCTAssertEqual(dead.value, Array(#"{"v":1}"#.utf8))
        let headers = Dictionary(dead.headers.map { ($0.name, RecordMatchText.text($0.value)) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(headers["sluice.error.message"], "the filter condition gave integer, expected true or false")
        XCTAssertEqual(headers["sluice.error.location"], "test.yaml:6:13")
        XCTAssertEqual(headers["sluice.source.topic"], "in")
        XCTAssertEqual(headers["sluice.source.partition"], "0")
        XCTAssertEqual(headers["sluice.source.offset"], "42")
    }

    func testErrorRecordsKeepOriginalKeyValueAndHeaders() throws {
        let h = try EngineHarness(pipeline("  - map: {set: {r: 10 / v}}", extra: "dead_letter: {topic: dlq}"))
        let original = Record(
            topic: "in", partition: 2, offset: 9, timestamp: 1234, key: Array("k\u{0}ü".utf8),
            headers: [Header("trace", "abc")], value: Array(#"{"v": 0}"#.utf8))
        h.engine.process(original)
        h.engine.process(Record(topic: "in", value: Array("not json".utf8)))
        h.engine.process(Record(topic: "in", value: nil))
        let dead = h.engine.takeOutputs().map(\.record)
        XCTAssertEqual(dead.count, 3)
        XCTAssertEqual(dead[0].key, original.key)
        XCTAssertEqual(dead[0].value, original.value)
        XCTAssertEqual(dead[0].timestamp, 1234)
        XCTAssertEqual(dead[0].headers.first, Header("trace", "abc"))
        XCTAssertEqual(dead[0].headers.map(\.name), [
            "trace", "sluice.error.message", "sluice.error.location", "sluice.source.topic",
            "sluice.source.partition", "sluice.source.offset",
        ])
        XCTAssertEqual(dead[1].value, Array("not json".utf8))
        XCTAssertEqual(h.engine.stats.errors, [.expression: 1, .decode: 2])
    }

    func testWithoutDeadLetterTopicErrorsAreCountedOnly() throws {
        var h = try EngineHarness(pipeline("  - filter: v > 1"))
        h.feed("{")
        h.feed(#"{"w":1}"#)
        h.feed(#"{"v":2}"#)
        XCTAssertEqual(h.produced.count, 1)
        XCTAssertEqual(h.engine.stats.errorCount, 2)
    }

    func testSchemaViolationsAreErrorRecords() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-schema-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try #"{"type":"object","properties":{"v":{"type":"integer"}},"required":["v"]}"#
            .write(to: dir.appendingPathComponent("s.json"), atomically: true, encoding: .utf8)
        let yaml = pipeline("  - filter: v > 0", source: "schema: s.json", extra: "dead_letter: {topic: dlq}")
        let (spec, diagnostics) = PipelineLoader.load(text: yaml, file: "p.yaml", baseDirectory: dir.path)
        let engine = Engine(plan: try EnginePlan(spec: try XCTUnwrap(spec, "\(diagnostics)")))
        for json in [#"{"v":1}"#, #"{"v":"1"}"#, #"{"w":1}"#, #"{"v":1.0}"#, #"{"v":1.5}"#] {
            engine.process(Record(topic: "in", value: Array(json.utf8)))
        }
        let out = engine.takeOutputs().map(\.record)
        XCTAssertEqual(out.map(\.topic), ["out", "dlq", "dlq", "out", "dlq"])
        XCTAssertEqual(
            out[1].headers.first { $0.name == "sluice.error.message" }.map { RecordMatchText.text($0.value) },
            "the value does not match the schema: field 'v' is string, expected integer")
        XCTAssertEqual(engine.stats.errors[.schema], 3)
    }

    func testAggregateEmitsEveryNthRecordOfAKey() throws {
        var h = try EngineHarness(pipeline("""
              - aggregate:
                  key: c
                  every: 2
                  aggregates: {count: count(), total: sum(v)}
            """))
        for (c, v) in [("A", 1), ("B", 2), ("A", 3), ("A", 4), ("B", 5), ("A", 6)] {
            h.feed(#"{"c":"\#(c)","v":\#(v)}"#, ts: Int64(v))
        }
        XCTAssertEqual(h.values("out"), [
            #"{"c":"A","count":2,"total":4}"#, #"{"c":"B","count":2,"total":7}"#, #"{"c":"A","count":4,"total":14}"#,
        ])
        XCTAssertEqual(h.records("out").map(\.timestamp), [3, 5, 6], "the triggering record's timestamp")
        XCTAssertEqual(h.records("out").map(\.key), ["A", "B", "A"].map { Array($0.utf8) })
    }

    func testAggregateKeyFieldIsKeyForExpressionsAndNonStringKeysAreJSON() throws {
        var h = try EngineHarness(pipeline("  - aggregate: {key: v % 2, aggregates: {n: count()}}"))
        h.feed(#"{"v":3}"#)
        XCTAssertEqual(h.values("out"), [#"{"key":1,"n":1}"#])
        XCTAssertEqual(h.records("out").first?.key, Array("1".utf8))
    }

    func testFailedAggregateInputLeavesStateUnchanged() throws {
        var h = try EngineHarness(pipeline("  - aggregate: {key: c, aggregates: {n: count(), s: sum(v)}}"))
        h.feed(#"{"c":"A","v":1}"#)
        h.feed(#"{"c":"A","v":"x"}"#)
        h.feed(#"{"c":"A","v":2}"#)
        XCTAssertEqual(h.values("out"), [#"{"c":"A","n":1,"s":1}"#, #"{"c":"A","n":2,"s":3}"#])
        XCTAssertEqual(h.engine.stats.errors[.expression], 1)
    }

    func testEventTimeFromSecondsMillisecondsAndISO8601() throws {
        for (unit, field, expected) in [
            ("seconds", "1736990000", 1_736_990_000_000), ("seconds", "1736990000.25", 1_736_990_000_250),
            ("milliseconds", "1736990000123", 1_736_990_000_123),
            ("iso8601", #""2025-01-16T01:13:20Z""#, 1_736_990_000_000),
            ("iso8601", #""2025-01-16T02:13:20.5+01:00""#, 1_736_990_000_500),
        ] as [(String, String, Int64)] {
            var h = try EngineHarness(windowPipeline("type: tumbling\nsize: 1s\nkey: k\naggregates: {n: count()}")
                .replacingOccurrences(of: "unit: milliseconds", with: "unit: \(unit)"))
            h.feed(#"{"k":"A","t":\#(field)}"#)
            h.finish()
            let start = expected - expected % 1000
            XCTAssertEqual(h.values("out"), [#"{"k":"A","window_start":\#(start),"window_end":\#(start + 1000),"n":1}"#], unit)
        }
    }

    func testMissingOrMistypedEventTimeIsAnErrorRecord() throws {
        var h = try EngineHarness(
            windowPipeline("type: tumbling\nsize: 1s\nkey: k\naggregates: {n: count()}", extra: "dead_letter: {topic: dlq}"))
        h.feed(#"{"k":"A"}"#)
        h.feed(#"{"k":"A","t":"soon"}"#)
        XCTAssertEqual(h.engine.stats.errors[.eventTime], 2)
        XCTAssertEqual(h.values("dlq"), [#"{"k":"A"}"#, #"{"k":"A","t":"soon"}"#])
    }

    func testStreamTimeIsTheSlowestPartition() throws {
        // Records of one key spread over two partitions: the window waits for both.
        var h = try EngineHarness(windowPipeline("type: tumbling\nsize: 10s\nkey: k\naggregates: {n: count()}"))
        h.feed(#"{"k":"A","t":1000}"#, partition: 0)
        h.feed(#"{"k":"A","t":2000}"#, partition: 1)
        h.feed(#"{"k":"A","t":15000}"#, partition: 0)
        XCTAssertEqual(h.engine.streamTime, 2000)
        h.feed(#"{"k":"A","t":8000}"#, partition: 1)  // not late: partition 1 holds stream time at 8000
        XCTAssertEqual(h.values("out"), [])
        h.feed(#"{"k":"A","t":16000}"#, partition: 1)
        XCTAssertEqual(h.engine.streamTime, 15000)
        XCTAssertEqual(h.values("out"), [#"{"k":"A","window_start":0,"window_end":10000,"n":3}"#])
        XCTAssertEqual(h.engine.stats.lateCount, 0)
    }

    func testAPartitionLaggingMoreThanIdleTimeoutDoesNotHoldStreamTime() throws {
        var h = try EngineHarness(windowPipeline("type: tumbling\nsize: 10s\nkey: k\naggregates: {n: count()}")
            .replacingOccurrences(of: "event_time:", with: "idle_timeout: 30s\n  event_time:"))
        h.feed(#"{"k":"A","t":1000}"#, partition: 0)
        h.feed(#"{"k":"A","t":2000}"#, partition: 1)
        h.feed(#"{"k":"A","t":32000}"#, partition: 0)
        XCTAssertEqual(h.engine.streamTime, 2000, "lag of exactly 30 s is not idle")
        h.feed(#"{"k":"A","t":32001}"#, partition: 0)
        XCTAssertEqual(h.engine.streamTime, 32001)
        XCTAssertEqual(h.values("out"), [#"{"k":"A","window_start":0,"window_end":10000,"n":2}"#])
    }

    func testWallClockIdlenessThroughTick() throws {
        let (spec, _) = PipelineLoader.load(
            text: windowPipeline("type: tumbling\nsize: 10s\nkey: k\naggregates: {n: count()}"),
            file: "t.yaml", baseDirectory: ".")
        let engine = Engine(plan: try EnginePlan(spec: try XCTUnwrap(spec)), options: EngineOptions(clock: .wallClock))
        engine.assign(partitions: [("in", 0), ("in", 1)], wallTime: 0)
        engine.process(Record(topic: "in", partition: 0, value: Array(#"{"k":"A","t":1000}"#.utf8)), wallTime: 10)
        engine.process(Record(topic: "in", partition: 0, value: Array(#"{"k":"A","t":20000}"#.utf8)), wallTime: 20)
        XCTAssertNil(engine.streamTime, "partition 1 has not delivered and is not idle yet")
        engine.tick(wallTime: 30_001)
        XCTAssertEqual(engine.streamTime, 20000)
        XCTAssertEqual(engine.takeOutputs().map { String(decoding: $0.record.value ?? [], as: UTF8.self) },
                       [#"{"k":"A","window_start":0,"window_end":10000,"n":1}"#])
    }

    func testOutputsNameTheInputThatCausedThem() throws {
        var h = try EngineHarness(windowPipeline("type: tumbling\nsize: 10s\nkey: k\naggregates: {n: count()}"))
        h.engine.process(Record(topic: "in", value: Array(#"{"k":"A","t":1000}"#.utf8)))
        h.engine.process(Record(topic: "in", value: Array(#"{"k":"A","t":11000}"#.utf8)))
        XCTAssertEqual(h.engine.takeOutputs().map(\.cause), [1])
        h.engine.finish()
        XCTAssertEqual(h.engine.takeOutputs().map(\.cause), [1])
        h.finish()
    }

    func testISO8601Parsing() {
        XCTAssertEqual(ISO8601Time.parse("1970-01-01T00:00:00Z"), 0)
        XCTAssertEqual(ISO8601Time.parse("2025-01-16T01:13:20Z"), 1_736_990_000_000)
        XCTAssertEqual(ISO8601Time.parse("2025-01-16T01:13:20.123456Z"), 1_736_990_000_123)
        XCTAssertEqual(ISO8601Time.parse("2025-01-15T20:13:20-05:00"), 1_736_990_000_000)
        XCTAssertEqual(ISO8601Time.parse("2025-01-16 01:13:20+0000"), 1_736_990_000_000)
        XCTAssertEqual(ISO8601Time.parse("2024-02-29T00:00:00Z"), 1_709_164_800_000)
        XCTAssertEqual(ISO8601Time.parse("1969-12-31T23:59:59.5Z"), -500)
        for bad in ["2025-02-29T00:00:00Z", "2025-01-16", "2025-01-16T25:00:00Z", "2025-01-16T01:13:20Zjunk", ""] {
            XCTAssertNil(ISO8601Time.parse(bad), bad)
        }
    }
}

enum RecordMatchText {
    static func text(_ bytes: [UInt8]?) -> String { RecordMatch.text(bytes) }
}
