import Foundation
import SluiceCore
import SluiceSupport
import XCTest

/// The engine decodes only the fields a pipeline reads, splices outputs into the input bytes and
/// feeds plain-field keys and aggregates straight from the scan. Everything it produces must be
/// byte for byte what decoding every value in full produces: checked here on the recorded
/// tutorial sample and on randomized records (malformed ones, Unicode, escapes, duplicate keys,
/// nested objects, numbers of every form), through pipelines covering each step.
final class PartialDecodingTests: XCTestCase {
    static let pipelines = DryRunTests.repository.appendingPathComponent("pipelines")

    /// Outputs, trace and counters of one engine over `records`.
    private struct Outcome: Equatable {
        var outputs: [EngineOutput.Comparable] = []
        var trace: [TraceEvent] = []
        var stats = EngineStats()
    }

    private func run(_ plan: EnginePlan, _ records: [Record], partial: Bool) -> (Outcome, Engine) {
        let engine = Engine(plan: plan, options: EngineOptions(clock: .eventTime, trace: true, partialDecoding: partial))
        var outcome = Outcome()
        for (index, record) in records.enumerated() {
            engine.process(record)
            if index % 7 == 0 { outcome.outputs += engine.takeOutputs().map(\.comparable) }
            engine.drainOutputs { outcome.outputs.append($0.comparable) }
            outcome.trace += engine.takeTrace()
        }
        engine.finish()
        outcome.outputs += engine.takeOutputs().map(\.comparable)
        outcome.trace += engine.takeTrace()
        outcome.stats = engine.stats
        return (outcome, engine)
    }

    /// Runs `plan` both ways and compares; returns whether the partial decoder was in use.
    @discardableResult
    private func compare(_ name: String, _ plan: EnginePlan, _ records: [Record], file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let (partial, engine) = run(plan, records, partial: true)
        let (whole, _) = run(plan, records, partial: false)
        XCTAssertEqual(partial.stats, whole.stats, name, file: file, line: line)
        XCTAssertEqual(partial.outputs.count, whole.outputs.count, name, file: file, line: line)
        if let index = (0..<min(partial.outputs.count, whole.outputs.count)).first(where: { partial.outputs[$0] != whole.outputs[$0] }) {
            XCTFail("\(name): output \(index) differs:\n  partial: \(partial.outputs[index])\n  whole:   \(whole.outputs[index])", file: file, line: line)
        }
        if let index = (0..<min(partial.trace.count, whole.trace.count)).first(where: { partial.trace[$0] != whole.trace[$0] }) {
            XCTFail("\(name): trace event \(index) differs:\n  partial: \(partial.trace[index])\n  whole:   \(whole.trace[index])", file: file, line: line)
        }
        XCTAssertEqual(partial.trace.count, whole.trace.count, name, file: file, line: line)
        XCTAssertFalse(whole.outputs.isEmpty && whole.stats.recordsOut.isEmpty && whole.stats.errorCount == 0, name, file: file, line: line)
        return engine.decodesPartially
    }

    private func plan(file: String) throws -> EnginePlan {
        let (spec, diagnostics) = PipelineLoader.load(file: Self.pipelines.appendingPathComponent(file).path)
        return try EnginePlan(spec: try XCTUnwrap(spec, diagnostics.map(\.description).joined(separator: "\n")))
    }

    private func plan(yaml: String) throws -> EnginePlan { try EngineDifferential.plan(yaml: yaml) }

    private var tutorialSample: [Record] { get throws { try EngineDifferential.tutorialSample() } }

    private func randomRecords(_ count: Int, seed: UInt64) -> [Record] {
        var generator = RandomRecordValues(seed: seed)
        return (0..<count).map { index in
            let value = generator.value()
            let key: [UInt8]? = index % 5 == 0 ? nil : Array(["A", "B", "é", "K"][index % 4].utf8)
            let headers = index % 3 == 0 ? [Header("h", "v\(index)")] : []
            return Record(
                topic: "input-topic", partition: Int32(index % 3), offset: Int64(index / 3),
                timestamp: 1_736_990_000_000 + Int64(index) * 700, key: key, headers: headers, value: value)
        }
    }

    func testTutorialPipelinesTakeThePartialPathAndAgree() throws {
        let sample = try tutorialSample
        XCTAssertGreaterThan(sample.count, 300)
        let random = randomRecords(4_000, seed: 11)
        for file in ["seed-processor.yaml", "category-windows.yaml", "large-values.yaml", "user-sessions.yaml"] {
            let plan = try plan(file: file)
            let partial = compare(file + " (tutorial sample)", plan, sample)
            compare(file + " (random)", plan, random)
            if file == "seed-processor.yaml" || file == "category-windows.yaml" { XCTAssertTrue(partial, file) }
        }
        let generated = Benchmark.tutorialRecords(count: 20_000)
        XCTAssertTrue(compare("seed-processor (generated)", try plan(file: "seed-processor.yaml"), generated))
        XCTAssertTrue(compare("category-windows (generated)", try plan(file: "category-windows.yaml"), generated))
    }

    /// Pipelines exercising each step, with overwrites, select and drop, keys, and windows whose
    /// keys and aggregates are plain fields (fed from the scan) or not.
    func testEveryStepAgreesOnRandomRecords() throws {
        let steps = [
            // Overwriting a field the record has (whole value), then reading what was written.
            """
              - filter: {where: "has(value)"}
              - map: {set: {value: value * 2, doubled: value, c: category}}
              - to: {topic: mapped, key: category}
            """,
            """
              - map: {set: {n: "coalesce(value, 0)", extra: "concat('x', category)"}}
              - select: [category, n, a.b, extra]
              - map: {set: {m: n}}
            """,
            """
              - drop: [id, a.b]
              - map: {set: {x: "coalesce(value, 1)", y: "has(a)"}}
            """,
            """
              - map: {set: {whole: this}}
            """,
            """
              - filter: {where: "value > 10"}
              - aggregate: {key: category, every: 2, aggregates: {n: count(), s: sum(value), hi: max(value), lo: min(value)}}
            """,
            """
              - aggregate: {key: category, aggregates: {n: count(), s: sum(value), firsts: first(id), d: count_distinct(value)}}
              - map: {set: {k: key()}}
            """,
            """
              - window: {type: tumbling, size: 60s, grace: 10s, key: category, emit: update, late_topic: late,
                  aggregates: {n: count(), s: sum(value), a: avg(value), lo: min(value), hi: max(value), f: first(value), l: last(id)}}
            """,
            """
              - window: {type: hopping, size: 60s, advance: 20s, key: category,
                  aggregates: {n: count(), s: sum(value), hi: max(value), nv: count(value)}}
            """,
            """
              - window: {type: tumbling, size: 30s, key: "concat(category, '!')", aggregates: {s: sum(value * 2), n: count()}}
            """,
            """
              - map: {set: {category: "concat('c-', category)"}}
              - window: {type: tumbling, size: 30s, key: category, aggregates: {s: sum(value), n: count()}}
            """,
            """
              - window: {type: session, gap: 20s, key: category, aggregates: {n: count(), s: sum(value)}}
            """,
            """
              - window: {type: sliding, size: 20s, key: category, aggregates: {n: count(), s: sum(value)}}
            """,
        ]
        let eventTimes = ["", "event_time: {field: timestamp, unit: seconds}", "event_time: {field: id, unit: milliseconds}"]
        let records = randomRecords(3_000, seed: 5)
        var partialCount = 0
        for (index, body) in steps.enumerated() {
            for eventTime in eventTimes {
                let yaml = """
                    pipeline: case-\(index)
                    source:
                      topics: [input-topic]
                      \(eventTime)
                    steps:
                    \(body)
                    sinks:
                      - topic: out
                        key: \(index < 4 ? "category" : "key()")
                    dead_letter:
                      topic: dlq
                    """
                if compare("case \(index) \(eventTime)", try plan(yaml: yaml), records) { partialCount += 1 }
            }
        }
        XCTAssertGreaterThan(partialCount, 20, "most cases should use partial decoding")
    }

    /// Schemas checked on scanned fields agree with the full check, whatever they constrain.
    func testSchemasAgree() throws {
        let schemas = [
            #"{"type":"object","properties":{"id":{"type":"integer"},"timestamp":{"type":"integer"},"value":{"type":"integer"},"category":{"type":"string"}},"required":["timestamp","value","category"]}"#,
            #"{"type":"object","properties":{"value":{"type":["number","null"]},"a":{"type":"object","properties":{"b":{"type":"integer"}},"required":["b"]}},"additionalProperties":{"type":["integer","string","object","array","null","boolean","number"]}}"#,
            #"{"type":"object","properties":{"id":{},"timestamp":{},"value":{"type":"integer"},"category":{"enum":["A","B","C"]}},"additionalProperties":false}"#,
            #"{"properties":{"value":{"type":"integer","nullable":true},"category":{"type":"string"}},"required":["category","category"]}"#,
            #"{"type":"array"}"#,
            #"{"type":"object","enum":[{"value":1}]}"#,
            #"{"type":"object","properties":{"caté":{"type":"string"}}}"#,
        ]
        let records = randomRecords(3_000, seed: 9)
        for (index, schema) in schemas.enumerated() {
            var seeds = try plan(file: "seed-processor.yaml")
            seeds.source.schema = try SchemaCheck(schema: try JSON.parse(schema))
            compare("schema \(index) on seed-processor", seeds, records)
            var windows = try plan(file: "category-windows.yaml")
            windows.source.schema = seeds.source.schema
            compare("schema \(index) on category-windows", windows, records)
        }
    }
}

extension EngineOutput {
    /// The parts of an output to compare (`EngineOutput` itself is not `Equatable`).
    struct Comparable: Equatable, CustomStringConvertible {
        var record: Record
        var cause: Int64

        var description: String {
            let value = record.value.map { String(decoding: $0, as: UTF8.self) } ?? "null"
            let key = record.key.map { String(decoding: $0, as: UTF8.self) } ?? "null"
            return "\(record.topic) key=\(key) ts=\(record.timestamp) cause=\(cause) headers=\(record.headers.map { "\($0.name)=\(String(decoding: $0.value ?? [], as: UTF8.self))" }) \(value)"
        }
    }

    var comparable: Comparable { Comparable(record: record, cause: cause) }
}

/// Deterministic random record values for the tutorial's fields: missing, repeated and extra
/// fields, numbers of all forms, strings with escapes and Unicode (including canonically
/// equivalent spellings), nested objects, whitespace, and broken texts.
struct RandomRecordValues {
    private var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    private mutating func next(_ bound: Int) -> Int { random.next(bound) }

    private mutating func pick(_ items: [String]) -> String { items[next(items.count)] }

    private mutating func space() -> String { next(8) == 0 ? pick([" ", "\n", "\t"]) : "" }

    mutating func value() -> [UInt8]? {
        if next(60) == 0 { return nil }  // a tombstone
        var fields: [(String, String)] = [
            ("\"id\"", String(next(100_000))),
            ("\"timestamp\"", next(15) == 0 ? pick(["1736990100.5", "\"x\"", "null", "-5"]) : String(1_736_990_000 + next(2_000))),
            ("\"value\"", number()),
            ("\"category\"", category()),
        ]
        for i in stride(from: fields.count - 1, to: 0, by: -1) where next(4) == 0 { fields.swapAt(i, next(i + 1)) }
        if next(8) == 0 { fields.remove(at: next(fields.count)) }
        if next(10) == 0 { fields.append((pick(["\"value\"", "\"category\"", "\"\\u0076alue\""]), number())) }
        if next(4) == 0 {
            fields.insert((pick(["\"a\"", "\"extra\"", "\"caté\"", "\"\""]), nested(depth: 0)), at: next(fields.count + 1))
        }
        let text = space() + "{" + fields.map { space() + $0.0 + space() + ":" + space() + $0.1 }.joined(separator: ",") + space() + "}"
        var bytes = Array(text.utf8)
        if next(15) == 0 {
            switch next(3) {
            case 0: bytes.removeLast(1 + next(bytes.count - 1))
            case 1: bytes[next(bytes.count)] = [0x00, 0xFF, 0x22, 0x7D, 0x2C][next(5)]
            default: bytes.insert(0xC3, at: next(bytes.count))
            }
        }
        return bytes
    }

    private mutating func number() -> String {
        pick([
            String(next(100)), String(next(100)), String(next(100)), String(-next(50)), "-0", "1.5", "2.0", "1e2", "0.1",
            "12345678901234567890", "9223372036854775807", "\"7\"", "null", "true", String(next(1000)),
        ])
    }

    private mutating func category() -> String {
        pick([
            "\"A\"", "\"B\"", "\"C\"", "\"A\"", "\"B\"", "\"Ü \\\"q\\\" 🚀\"", "\"\\u0041\"", "\"a\\/b\"", "\"é\"", "\"e\u{301}\"",
            "\"K\"", "\"\u{212A}\"", "\"\"", "7", "null", "[\"A\"]", "{\"x\":1}",
        ])
    }

    private mutating func nested(depth: Int) -> String {
        switch next(depth > 1 ? 3 : 5) {
        case 0: return number()
        case 1: return category()
        case 2: return "null"
        case 3: return "[" + (0..<next(3)).map { _ in nested(depth: depth + 1) }.joined(separator: ", ") + "]"
        default:
            let body = (0..<next(4)).map { _ in pick(["\"b\"", "\"c\"", "\"b\""]) + ":" + space() + nested(depth: depth + 1) }
            return "{" + body.joined(separator: ",") + "}"
        }
    }
}
