@testable import SluiceCore
import SluiceSupport
import XCTest

/// Pipelines of the seed-processor's shape (integer maps, `to` steps, then an aggregate or the
/// sinks) run fused from the one-pass scan (`DirectMapRunner`). Outputs, dead letters, their
/// order and the counters must be exactly those of decoding every value in full, whatever the
/// records look like and whatever the maps compute (overflows included).
final class DirectMapTests: XCTestCase {
    private func compare(
        _ name: String, _ plan: EnginePlan, _ records: [Record], clock: EngineOptions.Clock = .eventTime,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        EngineDifferential.assertSame(name, plan, records, clock: clock, drainEvery: 7, file: file, line: line)
    }

    private func plan(yaml: String) throws -> EnginePlan { try EngineDifferential.plan(yaml: yaml) }

    private func records(_ texts: [String?], rounds: Int = 3) -> [Record] {
        var records: [Record] = []
        for round in 0..<rounds {
            for (index, text) in texts.enumerated() {
                var bytes = text.map { Array($0.utf8) }
                if round == 2, let colon = bytes?.firstIndex(of: UInt8(ascii: ":")) { bytes?.insert(UInt8(ascii: " "), at: colon + 1) }
                let key: [UInt8]? = index % 5 == 4 ? nil : Array("k\(index % 4)".utf8)
                let headers: [Header] = index % 3 == 0 ? [Header(name: "h", value: [1])] : []
                let timestamp = 1_736_990_000_000 + Int64(records.count) * 1000
                records.append(Record(
                    topic: "input-topic", partition: Int32(index % 3), offset: Int64(records.count), timestamp: timestamp,
                    key: key, headers: headers, value: bytes))
            }
        }
        return records
    }

    /// Hand-written records around the common shape: every way out of the fused path.
    private var hostileRecords: [Record] {
        records([
            #"{"id":1,"timestamp":1736990001,"value":10,"category":"A"}"#,
            #"{"id":2,"timestamp":1736990002,"value":20,"category":"B"}"#,
            #"{"id":3,"timestamp":1736990003,"value":-0,"category":"A"}"#,
            #"{"id":-0,"timestamp":1736990003,"value":3,"category":"A"}"#,
            #"{"id":4,"timestamp":1736990004,"value":-7,"category":"A"}"#,
            #"{"id":5,"timestamp":1736990005,"value":999999999999999999,"category":"A"}"#,
            #"{"id":6,"timestamp":1736990006,"value":4611686018427387904,"category":"A"}"#,
            #"{"id":7,"timestamp":1736990007,"value":9223372036854775807,"category":"B"}"#,
            #"{"id":8,"timestamp":1736990008,"value":-999999999999999999,"category":"B"}"#,
            #"{"id":9,"timestamp":1736990009,"category":"A"}"#,
            #"{"id":10,"timestamp":1736990010,"value":5}"#,
            #"{"id":11,"timestamp":1736990011,"value":"5","category":"A"}"#,
            #"{"id":12,"timestamp":1736990012,"value":1.5,"category":"A"}"#,
            #"{"id":13,"timestamp":1736990013,"value":1,"category":"A","extra":"x"}"#,
            #"{"id":14,"timestamp":1736990014,"value":1,"category":"A","x":1,"y":2,"z":3}"#,
            #"{"id":15,"timestamp":1736990015,"value":1,"category":"A","value":2}"#,
            #"{"id":16,"timestamp":1736990016,"value":1,"category":"A\u0042"}"#,
            #"{"id":17, "timestamp":1736990017,"value":1,"category":"A"}"#,
            #"{"id":18,"timestamp":1736990018,"value":1,"category":"A","processed_value":1}"#,
            #"{"id":19,"timestamp":1736990019,"value":1,"category":"A","a":2}"#,
            #"{"id":20,"timestamp":1736990020,"value":2,"category":"x-0,y"}"#,
            #"{"id":21,"timestamp":1736990021,"value":2,"category":"-0}"}"#,
            #"{"id":22,"timestamp":1736990022,"value":3,"category":"é"}"#,
            #"{"id":23,"timestamp":1736990023,"value":3,"category":7}"#,
            #"{"id":24,"timestamp":1736990024,"value":{"n":1},"category":"A"}"#,
            #"{"id":25,"timestamp":1736990025,"value":3,"category":"A"} "#,
            #"{"id":26,"timestamp":1736990026,"value":3,"category":"A","#,
            #"{}"#,
            "not json",
            nil,
            #"{"id":27,"timestamp":"1736990027","value":3,"category":"A"}"#,
            #"{"id":28,"timestamp":1736990028,"value":3,"category":"a-category-name-longer-than-sixteen"}"#,
            #"{"timestamp":1736990029,"category":"C","value":8,"id":29}"#,
            #"{"id":30,"timestamp":1736990030,"value":3,"category":"A"}"#,
            #"{"id":31,"timestamp":1736990031,"value":3,"category":"B"}"#,
            #"{"id":32,"timestamp":1736990032,"value":3,"category":"D"}"#,
        ])
    }

    private var randomRecords: [Record] {
        var random = RandomRecordValues(seed: 29)
        var records: [Record] = []
        for index in 0..<3_000 {
            let key: [UInt8]? = index % 4 == 0 ? nil : Array("k".utf8)
            let timestamp = 1_736_990_000_000 + Int64(index) * 700
            records.append(Record(
                topic: "input-topic", partition: Int32(index % 3), offset: Int64(index / 3), timestamp: timestamp, key: key,
                value: random.value()))
        }
        return records
    }

    /// Integer fields spliced into object text are the bytes the JSON writer gives.
    func testSplicedIntegersAreCanonical() throws {
        let names = ["a", "b\"c", "é"]
        let fields = JSONIntegerFields(names: names)
        var numbers: [Int64] = [Int64.min, Int64.max, -1, 0, 1]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            numbers += [power - 1, power, power + 1, -power, -(power - 1), power / 3 * 2 + 7]
        }
        let objects = [#"{"x":1}"#, "{}", #"{"id":1,"s":"t","v":-5}"#]
        for object in objects {
            for start in numbers.indices {
                let values = (0..<3).map { numbers[(start + $0 * 7) % numbers.count] }
                for count in 1...3 {
                    let spliced = values.withUnsafeBufferPointer { pointer in
                        Array(object.utf8).withUnsafeBufferPointer { fields.splice($0, values: pointer.baseAddress!, count: count) }
                    }
                    guard case .object(var expected) = try JSON.parse(Array(object.utf8)) else { return XCTFail("not an object") }
                    for k in 0..<count { expected[names[k]] = .int(values[k]) }
                    XCTAssertEqual(String(decoding: spliced, as: UTF8.self), String(decoding: JSON.serialize(.object(expected)), as: UTF8.self))
                }
            }
        }
    }

    func testSeedProcessorAgrees() throws {
        let file = DryRunTests.repository.appendingPathComponent("pipelines/seed-processor.yaml").path
        let (spec, diagnostics) = PipelineLoader.load(file: file)
        let plan = try EnginePlan(spec: try XCTUnwrap(spec, diagnostics.map(\.description).joined(separator: "\n")))
        XCTAssertNotNil(Engine(plan: plan).directMap, "the seed processor runs fused")
        XCTAssertNil(Engine(plan: plan, options: EngineOptions(trace: true)).directMap, "not with tracing")
        // Generated records all take the fused path (a new key continues on the general one).
        let engine = Engine(plan: plan)
        engine.process(Benchmark.tutorialRecords(count: 5_000))
        let runner = try XCTUnwrap(engine.directMap)
        XCTAssertEqual(runner.tried, 4096)
        XCTAssertEqual(runner.missed, 0)
        XCTAssertTrue(runner.enabled)
        XCTAssertEqual(engine.stats.recordsOut["output-topic"], 5_000)
        compare("seed-processor (generated)", plan, Benchmark.tutorialRecords(count: 20_000))
        compare("seed-processor (random)", plan, randomRecords)
        compare("seed-processor (hostile)", plan, hostileRecords)
        compare("seed-processor (hostile, wall clock)", plan, hostileRecords, clock: .wallClock)
    }

    private static let keyed = "  keyed_by: category"

    /// Each shape: its steps, sinks, whether it runs fused, and the source's extra lines.
    private let shapes: [(steps: String, sinks: String, fused: Bool, source: String)] = [
        // Overflowing multiplications, every kind of input, keys from fields.
        (
            """
              - map: {set: {big: value * 1000000000000000000, neg: -value, t: timestamp(), n: now(), p: partition(), o: offset()}}
              - to: {topic: out, key: category}
              - map: {set: {c: 7, s: id + value - 3, m: -(value * -2) * id}}
              - to: {topic: out2, key: id}
              - to: {topic: out3}
            """, "[{topic: agg}]", true, DirectMapTests.keyed
        ),
        // No aggregate: the sinks take the records, one keyed by a field.
        ("  - map: {set: {doubled: value * 2}}\n  - to: {topic: out}", "[{topic: all}, {topic: keyed, key: category}]", true, DirectMapTests.keyed),
        // Only sinks, no steps.
        ("", "[{topic: all}]", true, DirectMapTests.keyed),
        // A map alone before the aggregate.
        ("  - map: {set: {doubled: value * 9223372036854775807}}", "[{topic: agg}]", true, DirectMapTests.keyed),
        // Event time from a field, results that need expressions, sinks keyed from results.
        (
            "  - map: {set: {pv: value * 2}}\n  - to: {topic: out}",
            "[{topic: agg, key: category}]", true, DirectMapTests.keyed + "\n  event_time: {field: timestamp, unit: seconds}"
        ),
        // An aggregate followed by more steps.
        ("  - map: {set: {pv: value * 2}}\n  - to: {topic: out}", "[{topic: agg}]", true, DirectMapTests.keyed),
        // Not fused: a map overwriting a field, a map reading an added field, a double.
        ("  - map: {set: {value: value * 2}}\n  - to: {topic: out}", "[{topic: agg}]", false, DirectMapTests.keyed),
        ("  - map: {set: {value: value * 2}}\n  - to: {topic: out}", "[{topic: all}]", false, DirectMapTests.keyed),
        ("  - map: {set: {a: value * 2}}\n  - map: {set: {b: a + 1}}\n  - to: {topic: out}", "[{topic: agg}]", false, DirectMapTests.keyed),
        ("  - map: {set: {a: value * 2.5}}\n  - to: {topic: out}", "[{topic: agg}]", false, DirectMapTests.keyed),
        // Fused, but every record has a string there and goes to the general path.
        ("  - map: {set: {a: category}}\n  - to: {topic: out}", "[{topic: agg}]", true, DirectMapTests.keyed),
        // Not fused: records re-keyed before the aggregate.
        ("  - map: {set: {a: value * 2}}\n  - to: {topic: out}", "[{topic: agg}]", false, ""),
    ]

    func testShapesAgree() throws {
        let aggregates = [
            "{key: category, every: 3, aggregates: {count: count(), sum: sum(value), average: avg(value)}}",
            "{key: category, every: 2, aggregates: {n: count(), mean: sum(value) / count(), top: max(value)}}",
        ]
        for (index, shape) in shapes.enumerated() {
            for (variant, aggregate) in aggregates.enumerated() {
                for schema in ["", "  schema: ../schemas/tutorial-record.schema.json"] {
                    // The shapes ending in sinks only get no aggregate step.
                    let aggregateStep = shape.sinks.contains("all") || shape.sinks.contains("keyed") ? "" : "  - aggregate: \(aggregate)\n"
                    let after = index == 5 ? "  - to: {topic: after}\n" : ""
                    let yaml = """
                        pipeline: direct-map-\(index)
                        source:
                          topics: [input-topic]
                        \(schema)
                        \(shape.source)
                        steps:
                        \(shape.steps.isEmpty ? "" : shape.steps + "\n")\(aggregateStep)\(after)
                        sinks: \(shape.sinks)
                        dead_letter:
                          topic: dlq
                        """
                    let plan = try plan(yaml: yaml)
                    let name = "shape \(index) aggregate \(variant) \(schema.isEmpty ? "" : "schema")"
                    XCTAssertEqual(Engine(plan: plan).directMap != nil, shape.fused, name)
                    compare("\(name) (generated)", plan, Benchmark.tutorialRecords(count: 3_000))
                    compare("\(name) (random)", plan, randomRecords)
                    compare("\(name) (hostile)", plan, hostileRecords)
                    compare("\(name) (hostile, wall clock)", plan, hostileRecords, clock: .wallClock)
                }
            }
        }
    }
}
