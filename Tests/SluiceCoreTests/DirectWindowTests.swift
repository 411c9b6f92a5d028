import SluiceCore
import SluiceSupport
import XCTest

/// Records of a pipeline whose first step is a window on plain fields are decoded in one pass
/// and, in the common case, folded straight into the newest window without tracing. Outputs
/// and counters must be exactly those of decoding every value in full, whatever the records
/// look like (fields in changing order, whitespace, escapes, duplicates, extra fields,
/// late records, new keys and windows).
final class DirectWindowTests: XCTestCase {
    private func outcome(_ plan: EnginePlan, _ records: [Record], partial: Bool) -> ([EngineOutput.Comparable], EngineStats) {
        EngineDifferential.outcome(plan, records, partial: partial)
    }

    private func compare(_ name: String, _ plan: EnginePlan, _ records: [Record], file: StaticString = #filePath, line: UInt = #line) {
        EngineDifferential.assertSame(name, plan, records, file: file, line: line)
    }

    private func plan(yaml: String) throws -> EnginePlan { try EngineDifferential.plan(yaml: yaml) }

    /// Hand-written shapes around the common one, several times each so the remembered key
    /// layout is both hit and missed.
    private var shapedRecords: [Record] {
        let texts = [
            #"{"id":1,"timestamp":1736990001,"value":10,"category":"A"}"#,
            #"{"id":2,"timestamp":1736990002,"value":20,"category":"B"}"#,
            #"{"timestamp":1736990003,"id":3,"category":"A","value":5}"#,
            #"{"id":4, "timestamp":1736990004,"value":7,"category":"A"}"#,
            #"{"id":5,"timestamp":1736990005,"value":-3,"category":"A\u0042"}"#,
            #"{"id":6,"timestamp":1736990006,"value":1,"category":"A","value":2}"#,
            #"{"id":7,"timestamp":1736990007,"value":1,"category":"A","extra":"x","more":[1,2]}"#,
            #"{"id":8,"timestamp":1736990008,"value":1.5,"category":"A"}"#,
            #"{"id":9,"timestamp":1736990009,"value":9223372036854775807,"category":"A"}"#,
            #"{"id":10,"timestamp":1736990010,"value":9223372036854775807,"category":"A"}"#,
            #"{"id":11,"timestamp":1736990011,"category":"A"}"#,
            #"{"id":12,"timestamp":"1736990012","value":1,"category":"A"}"#,
            #"{"id":13,"timestamp":1736990013,"value":1,"category":"é"}"#,
            #"{"id":14,"timestamp":1736990014,"value":01,"category":"A"}"#,
            #"{"id":15,"timestamp":1736990015,"value":1,"category":"a-category-name-longer-than-sixteen"}"#,
            #"{"id":16,"timestamp":1736990016,"value":1,"category":"A"} "#,
            #"{"id":17,"timestamp":1736990017,"value":1,"category":"A","#,
            #"{"id":18,"timestamp":1736990018,"vaLue":1,"category":"A"}"#,
            #"{"id":19,"timestamp":1736990100,"value":4,"category":"C"}"#,
            #"{"id":20,"timestamp":1736990020,"value":4,"category":"A"}"#,
            #"{"id":21,"timestamp":1736990200,"value":4,"category":"A"}"#,
            #"{"id":22,"timestamp":1736990030,"value":4,"category":"A"}"#,
        ]
        var records: [Record] = []
        for round in 0..<3 {
            for (index, text) in texts.enumerated() {
                var bytes = Array(text.utf8)
                if round == 2, let colon = bytes.firstIndex(of: UInt8(ascii: ":")) { bytes.insert(UInt8(ascii: " "), at: colon + 1) }
                records.append(Record(
                    topic: "input-topic", partition: Int32(index % 2), offset: Int64(records.count),
                    timestamp: 1_736_990_000_000 + Int64(index) * 1000, key: Array("k\(index % 3)".utf8), value: bytes))
            }
        }
        return records
    }

    func testWindowsFedStraightFromTheScanAgree() throws {
        let generated = Benchmark.tutorialRecords(count: 30_000)
        let randomRecords = RandomRecordValues.records(seed: 17, count: 3_000)
        let windows = [
            "{type: tumbling, size: 60s, grace: 10s, key: category, late_topic: late, aggregates: {count: count(), sum: sum(value), average: avg(value), min: min(value), max: max(value)}}",
            "{type: tumbling, size: 5s, key: category, aggregates: {n: count(), s: sum(value), first: first(value), last: last(value)}}",
            "{type: hopping, size: 60s, advance: 20s, key: category, aggregates: {n: count(), s: sum(value)}}",
            "{type: tumbling, size: 60s, key: category, emit: update, aggregates: {n: count(), s: sum(value)}}",
        ]
        let schemas = ["", "schema: ../schemas/tutorial-record.schema.json"]
        for (index, window) in windows.enumerated() {
            for schema in schemas {
                let plan = try windowPlan(window, schema: schema)
                compare("window \(index) \(schema) (generated)", plan, generated)
                compare("window \(index) \(schema) (random)", plan, randomRecords)
                compare("window \(index) \(schema) (shapes)", plan, shapedRecords)
            }
        }
    }

    /// Keys remembered per field position are matched even at the very end of a record (the
    /// last key is followed by only a short value), and a key that differs from the remembered
    /// one only in its first or only in its last bytes is not taken for it.
    func testRememberedKeysAtTheEndOfRecordsAgree() throws {
        let texts = [
            #"{"timestamp":1736990001,"value":1,"category":"A"}"#,
            #"{"timestamp":1736990002,"value":2,"category":"B"}"#,
            #"{"timestamp":1736990003,"value":3,"categorx":"A"}"#,
            #"{"timestamp":1736990004,"value":4,"catxgory":"A"}"#,
            #"{"timestamp":1736990005,"value":5,"category":"A"}"#,
            #"{"timestamp":1736990006,"value":6,"category":"A","v":1}"#,
            #"{"timestamp":1736990007,"value":7,"category":"A","w":2}"#,
            #"{"timestamp":1736990008,"value":8,"category":"A","abcdefghijkl":3}"#,
            #"{"timestamp":1736990009,"value":9,"category":"A","abcdefghijkx":3}"#,
            #"{"timestamp":1736990010,"valuf":9,"category":"A"}"#,
            #"{"timestamp":1736990011,"value":1,"category":"A"}"#,
            #"{"timestamp":1736990012,"value":2,"category":"C"}"#,
        ]
        let records = (0..<4 * texts.count).map { index in
            Record(
                topic: "input-topic", partition: 0, offset: Int64(index), timestamp: 0, key: nil,
                value: Array(texts[index % texts.count].utf8))
        }
        for schema in ["", "schema: ../schemas/tutorial-record.schema.json"] {
            let plan = try windowPlan("{type: tumbling, size: 5s, key: category, aggregates: {n: count(), s: sum(value)}}", schema: schema)
            compare("keys at the end \(schema)", plan, records)
        }
    }

    private func windowPlan(key: String = "category", topics: String = "[input-topic]", schema: String = "") throws -> EnginePlan {
        try windowPlan(
            "{type: tumbling, size: 10s, grace: 2s, key: \(key), late_topic: late, aggregates: {n: count(), s: sum(value), a: avg(value), lo: min(value), hi: max(value)}}",
            key: key, topics: topics, schema: schema)
    }

    /// One window step over records keyed by `key` with event time in `timestamp` (seconds),
    /// results to `out`, dead letters to `dlq`; `after` adds steps behind the window.
    private func windowPlan(
        _ window: String, key: String = "category", topics: String = "[input-topic]", schema: String = "", after: String = ""
    ) throws -> EnginePlan {
        try plan(yaml: """
            pipeline: direct-window
            source:
              topics: \(topics)
              keyed_by: \(key)
              event_time: {field: timestamp, unit: seconds}
              \(schema)
            steps:
              - window: \(window)
            \(after)
            sinks:
              - topic: out
            dead_letter:
              topic: dlq
            """)
    }

    /// Records of one remembered key layout with every kind of number and string in its
    /// fields: the layout is matched word by word, and whatever it cannot read exactly (long,
    /// negative or malformed numbers, numbers or strings at the very end, escapes) must come
    /// out as the full scan has it.
    func testNumbersAndStringsInARememberedLayoutAgree() throws {
        let numbers = [
            "0", "-0", "7", "-7", "12", "123456", "1234567", "12345678", "123456789", "-123456789", "1234567890123",
            "123456789012345", "1234567890123456", "12345678901234567", "123456789012345678", "1234567890123456789",
            "-999999999999999", "01", "-01", "00", "1.5", "1e3", "1E3", "2.", "-", "--1", "1a", "9223372036854775807",
        ]
        let categories = ["A", "", "AB", "ABCDEFG", "ABCDEFGH", "ABCDEFGHI", "ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOPQ", "A\\u0041", "é"]
        var texts: [String] = []
        var timeTexts: [String] = []
        for (index, number) in numbers.enumerated() {
            let category = categories[index % categories.count]
            let second = 1_736_990_000 + index
            texts.append(#"{"id":\#(index),"timestamp":\#(second),"value":3,"category":"A"}"#)
            texts.append(#"{"id":\#(index),"timestamp":\#(second),"value":\#(number),"category":"\#(category)"}"#)
            texts.append(#"{"id":\#(number),"timestamp":\#(second),"value":4,"category":"B"}"#)
            texts.append(#"{"id":\#(index),"timestamp":\#(second),"category":"\#(category)","value":\#(number)}"#)
            texts.append(#"{"id":\#(index),"timestamp":\#(second),"category":"\#(category)","value":\#(number)}"#)
            // Event times of every form come last: a large one moves stream time far ahead.
            timeTexts.append(#"{"id":\#(index),"timestamp":\#(number),"value":5,"category":"C"}"#)
            texts.append(#"{"id":\#(index),"timestamp":\#(second),"value":6,"category":"\#(category)"}"#)
            texts.append(#"{"i":1,"timestamp":\#(second),"value":\#(number),"category":"D"}"#)
            texts.append(#"{"a-key-longer-than-the-longest-token":1,"timestamp":\#(second),"value":2,"category":"D"}"#)
            texts.append(#"{"id":\#(index),"timestamp":\#(second),"value":6,"category":"\#(category)"} "#)
            texts.append(#"{"id":\#(index),"timestamp":\#(second),"value":6,"category":"\#(category)","id":1}"#)
            texts.append(#"{"id":\#(index),"timestamp":\#(second),"value":6,"categorz":"\#(category)"}"#)
        }
        texts += timeTexts
        var records: [Record] = []
        for round in 0..<2 {
            for (index, text) in texts.enumerated() {
                records.append(Record(
                    topic: "input-topic", partition: Int32(index % 3), offset: Int64(records.count),
                    timestamp: 1_736_990_000_000 + Int64(round), key: nil, value: Array(text.utf8)))
            }
        }
        for schema in ["", "schema: ../schemas/tutorial-record.schema.json"] {
            compare("layout numbers \(schema)", try windowPlan(schema: schema), records)
            compare("layout numbers by id \(schema)", try windowPlan(key: "id", schema: schema), records)
        }
    }

    /// Stream time over partitions that records cycle through, partitions past the table of
    /// numbered partitions, negative partition numbers and several topics, with records late
    /// on some partitions: the same outputs, late records and stream time as the full path.
    func testPartitionsAndTopicsAgree() throws {
        let partitionSets: [[Int32]] = [[0, 1, 2], [2, 0, 1, 0], [0, 1500, 3], [-1, 0, -7], [1023, 1024, 5000, 0], [7]]
        let topics = ["t1", "t2", "t3"]
        var records: [Record] = []
        var second: Int64 = 1_736_990_000
        for set in 0..<partitionSets.count {
            let partitions = partitionSets[set]
            for index in 0..<400 {
                if index % 7 == 0 { second += 1 }
                // Some partitions lag behind: their records are late once the others moved on.
                let lag: Int64 = index % 11 == 0 ? 15 : 0
                let topic = topics[(index / partitions.count + set) % (set % 2 == 0 ? 1 : topics.count)]
                let text = #"{"id":\#(index),"timestamp":\#(second - lag),"value":\#(index % 13),"category":"\#(["A", "B", "C"][index % 3])"}"#
                records.append(Record(
                    topic: topic, partition: partitions[index % partitions.count], offset: Int64(records.count),
                    timestamp: second * 1000, key: nil, value: Array(text.utf8)))
            }
        }
        compare("partitions and topics", try windowPlan(topics: "[t1, t2, t3]"), records)
        compare("partitions and topics by id", try windowPlan(key: "id", topics: "[t1, t2, t3]"), records)
    }

    /// Many keys per window (integer keys, and strings of every length up to past what the
    /// raw-key rows hold), so that rows are found both by raw bits and by value.
    func testManyKeysAgree() throws {
        var records: [Record] = []
        for index in 0..<6_000 {
            let second = 1_736_990_000 + Int64(index / 20)
            let category = String(repeating: "k", count: index % 19) + String(index % 97)
            let text = #"{"id":\#(index % 211),"timestamp":\#(second),"value":\#(index % 17 - 8),"category":"\#(category)"}"#
            records.append(Record(
                topic: "input-topic", partition: Int32(index % 4), offset: Int64(index), timestamp: second * 1000, key: nil,
                value: Array(text.utf8)))
        }
        compare("many keys", try windowPlan(), records)
        compare("many integer keys", try windowPlan(key: "id"), records)
    }

    /// Results of a last window step go to the sinks as JSON written straight from the
    /// state: the same outputs, byte for byte, as the result objects a following step sees
    /// (a filter keeping every result), whatever the aggregates and values.
    func testWindowResultsWrittenDirectlyAgree() throws {
        let records = Benchmark.tutorialRecords(count: 20_000) + RandomRecordValues.records(seed: 23, count: 3_000)
        let windows = [
            "{type: tumbling, size: 60s, grace: 10s, key: category, aggregates: {count: count(), sum: sum(value), average: avg(value), min: min(value), max: max(value)}}",
            "{type: tumbling, size: 5s, key: category, aggregates: {n: count(value), first: first(value), last: last(value), distinct: count_distinct(value)}}",
            "{type: hopping, size: 60s, advance: 20s, key: category, aggregates: {n: count(), mean: sum(value) / count()}}",
            "{type: tumbling, size: 60s, key: id, emit: update, aggregates: {total_1: sum(value), low: min(value)}}",
        ]
        for (index, window) in windows.enumerated() {
            let key = index == 3 ? "id" : "category"
            let (direct, directStats) = outcome(try windowPlan(window, key: key), records, partial: true)
            let (built, builtStats) = outcome(try windowPlan(window, key: key, after: "  - filter: window_end > 0"), records, partial: true)
            XCTAssertEqual(directStats, builtStats, "window \(index)")
            XCTAssertEqual(direct.count, built.count, "window \(index)")
            XCTAssertGreaterThan(direct.count, 10, "window \(index)")
            if let at = (0..<min(direct.count, built.count)).first(where: { direct[$0] != built[$0] }) {
                XCTFail("window \(index): output \(at) differs:\n  direct: \(direct[at])\n  built:  \(built[at])")
            }
        }
    }
}
