@testable import SluiceCore
import SluiceSupport
import XCTest

/// The fused map path reads its aggregate key by raw bits from a decode that leaves strings
/// pending (`DirectMapRunner.aggregateRow`): keys of every length and kind, more keys than its
/// cache holds, keys read by outputs, and records that leave the path after decoding must give
/// exactly what decoding every value in full gives.
final class DirectMapKeyTests: XCTestCase {
    /// Key texts (JSON tokens): strings around the 8- and 16-byte word limits, integers that
    /// collide with strings of the same digits, escapes, non-ASCII text and `-0`.
    private static let specialKeys: [String] = {
        var keys = (0...24).map { "\"" + String(repeating: "x", count: $0) + "\"" }
        keys += (0...24).map { "\"" + String("abcdefghijklmnopqrstuvwxyz".prefix($0)) + "\"" }
        keys += ["7", "\"7\"", "-5", "0", "123456789012", "-123456789012345", "-0", "\"-0\""]
        keys += [#""A\u0042""#, #""tab\t""#, #""q\"q""#, "\"é\"", "\"B\"", "\"A\""]
        return keys
    }()

    /// Records of one layout (`{"id","timestamp","value","amount",<key field>}`, nearly all), keys
    /// drawn from the special ones and from 150 more, some with the key first, with
    /// whitespace, or without the key.
    private func records(keyField: String, count: Int, seed: UInt64) -> [Record] {
        var random = SplitMix64(seed: seed)
        var records: [Record] = []
        for index in 0..<count {
            let key: String
            switch random.next(4) {
            case 0: key = Self.specialKeys[random.next(Self.specialKeys.count)]
            case 1: key = "\"k\(random.next(150))\""
            default: key = ["\"A\"", "\"B\"", "\"C\"", "\"long-category-name-\(random.next(3))\"", "42"][random.next(5)]
            }
            let value = random.next(40) == 0 ? "\"v\"" : String(random.next(200) - 20)
            // Strings here fail the integer fold after the key's row was found.
            let amount = random.next(8) == 0 ? "\"x\"" : String(random.next(1_000))
            let time = 1_736_990_000 + index / 4
            var text: String
            switch random.next(40) {
            case 0: text = #"{"\#(keyField)":\#(key),"id":\#(index),"timestamp":\#(time),"value":\#(value),"amount":\#(amount)}"#
            case 1: text = #"{"id":\#(index), "timestamp":\#(time),"value":\#(value),"amount":\#(amount),"\#(keyField)":\#(key)}"#
            case 2: text = #"{"id":\#(index),"timestamp":\#(time),"value":\#(value),"amount":\#(amount)}"#
            default: text = #"{"id":\#(index),"timestamp":\#(time),"value":\#(value),"amount":\#(amount),"\#(keyField)":\#(key)}"#
            }
            records.append(Record(
                topic: "input-topic", partition: Int32(index % 3), offset: Int64(index / 3),
                timestamp: 1_736_990_000_000 + Int64(index) * 250, key: index % 6 == 0 ? nil : Array("r\(index % 4)".utf8),
                value: Array(text.utf8)))
        }
        return records
    }

    private func plan(keyField: String, steps: String, aggregate: String, sinks: String) throws -> EnginePlan {
        try EngineDifferential.plan(
            yaml: """
                pipeline: direct-map-keys
                source:
                  topics: [input-topic]
                  keyed_by: \(keyField)
                steps:
                \(steps)
                  - aggregate: {key: \(keyField), every: 2, aggregates: \(aggregate)}
                sinks: \(sinks)
                dead_letter:
                  topic: dlq
                """)
    }

    func testKeysAgree() throws {
        let straight = "{count: count(), sum: sum(value), average: avg(value)}"
        let computed = "{n: count(), mean: sum(value) / count(), top: max(value)}"
        let cases: [(name: String, steps: String, aggregate: String, sinks: String)] = [
            ("seed shape", "  - map: {set: {pv: value * 2, at: now()}}\n  - to: {topic: out}", straight, "[{topic: agg}]"),
            ("string arguments", "  - map: {set: {pv: value * 2}}\n  - to: {topic: out}", "{n: count(amount), total: sum(value)}", "[{topic: agg}]"),
            ("output keyed by the field", "  - map: {set: {pv: value * 2}}\n  - to: {topic: out, key: KEY}", straight, "[{topic: agg}]"),
            ("results computed", "  - map: {set: {pv: value + 1}}\n  - to: {topic: out, key: KEY}", computed, "[{topic: agg}]"),
            ("sinks keyed", "  - map: {set: {pv: value * 3}}\n  - to: {topic: out}", straight, "[{topic: agg, key: KEY}]"),
            // Most records overflow after decoding, and continue on the general path.
            ("overflowing map", "  - map: {set: {big: value * 100000000000000000}}\n  - to: {topic: out, key: KEY}", straight, "[{topic: agg}]"),
        ]
        for keyField in ["category", "c"] {
            for (index, shape) in cases.enumerated() {
                let steps = shape.steps.replacingOccurrences(of: "KEY", with: keyField)
                let sinks = shape.sinks.replacingOccurrences(of: "KEY", with: keyField)
                let plan = try plan(keyField: keyField, steps: steps, aggregate: shape.aggregate, sinks: sinks)
                let name = "\(shape.name) (\(keyField))"
                let runner = try XCTUnwrap(Engine(plan: plan).directMap, name)
                XCTAssertEqual(runner.outputKeysFromFields, steps.contains("key:"), name)
                let records = records(keyField: keyField, count: 6_000, seed: UInt64(17 + index))
                EngineDifferential.assertSame(name, plan, records, drainEvery: 7)
                EngineDifferential.assertSame(name + " wall clock", plan, records, clock: .wallClock, drainEvery: 5)
            }
        }
    }

    /// Records of the remembered layout take the fused path, their keys found by raw bits.
    func testRawKeysServe() throws {
        let plan = try plan(
            keyField: "category", steps: "  - map: {set: {pv: value * 2}}\n  - to: {topic: out, key: category}",
            aggregate: "{count: count(), sum: sum(value)}", sinks: "[{topic: agg}]")
        let engine = Engine(plan: plan)
        var records: [Record] = []
        let keys = ["\"A\"", "\"sixteen-bytes-16\"", "\"seventeen-bytes17\"", "12", "\"12\""]
        for index in 0..<1_000 {
            let text = #"{"id":\#(index),"timestamp":1736990000,"value":\#(index % 9),"category":\#(keys[index % keys.count])}"#
            records.append(Record(
                topic: "input-topic", partition: 0, offset: Int64(index), timestamp: 1_736_990_000_000, key: nil,
                value: Array(text.utf8)))
        }
        engine.process(records)
        let runner = try XCTUnwrap(engine.directMap)
        // Only each key's first record (a new key) goes on from the aggregate step.
        XCTAssertEqual(runner.missed, 0)
        XCTAssertEqual(engine.stats.recordsOut["out"], 1_000)
        XCTAssertEqual(engine.stats.recordsOut["agg"], 500)
        EngineDifferential.assertSame("raw keys", plan, records, drainEvery: 3)
    }
}
