import Foundation
import SluiceCore
import SluiceSupport
import XCTest

/// Hostile recordings and record values: each bad line or value gives a clear error, and the
/// good records around it come through unchanged.
final class HostileRecordTests: XCTestCase {
    private let hostile = SpecFixtures.root.appendingPathComponent("Tests/SluiceCoreTests/Fixtures/hostile")
    private let tenMegabytes = String(repeating: "x", count: 10 << 20)

    private func jsonError(_ bytes: [UInt8]) -> JSONError? {
        do {
            _ = try JSON.parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    private func jsonError(_ text: String) -> JSONError? { jsonError(Array(text.utf8)) }

    /// `line:column message` of each bad line, and the keys of the records read.
    private func read(_ bytes: [UInt8]) -> (keys: [String], errors: [String]) {
        let (records, diagnostics) = RecordingReader.records(from: bytes, file: "hostile.jsonl", defaultTopic: "in")
        for diagnostic in diagnostics { XCTAssertEqual(diagnostic.code, RecordingReader.invalidLineCode) }
        return (records.map { String(decoding: $0.key ?? [], as: UTF8.self) },
                diagnostics.map { "\($0.location.map { "\($0.line):\($0.column)" } ?? "-") \($0.message)" })
    }

    private func line(_ key: String, _ rest: String = #""value":{"value":1}"#) -> String {
        #"{"topic":"in","ts":1,"key":"\#(key)",\#(rest)}"#
    }

    // MARK: JSON values

    func testTenThousandDeepJSON() {
        let arrays = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        XCTAssertEqual(jsonError(arrays), JSONError("nesting deeper than 512 levels", at: 512))
        let objects = String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        XCTAssertEqual(jsonError(objects)?.reason, "nesting deeper than 512 levels")
        let deepest = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        XCTAssertNil(jsonError(deepest))
    }

    func testHugeNumbers() throws {
        XCTAssertEqual(jsonError("1e400"), JSONError("number out of range", at: 0))
        XCTAssertEqual(jsonError(#"{"a":-1e400}"#), JSONError("number out of range", at: 5))
        XCTAssertEqual(try JSON.parse("99999999999999999999"), .double(1e20))
        XCTAssertEqual(try JSON.parse("-9223372036854775808"), .int(Int64.min))
        XCTAssertEqual(try JSON.parse("9223372036854775808"), .double(9_223_372_036_854_775_808))
        let digits = String(repeating: "9", count: 100_000)
        XCTAssertEqual(jsonError(digits), JSONError("number out of range", at: 0))
    }

    func testInvalidUTF8AndNULBytes() throws {
        XCTAssertEqual(jsonError([0x22, 0x63, 0xE9, 0x22])?.reason, "invalid utf-8 in string")
        XCTAssertEqual(jsonError([0x22, 0xC0, 0x80, 0x22])?.reason, "invalid utf-8 in string")  // overlong NUL
        XCTAssertEqual(jsonError([0x22, 0xED, 0xA0, 0x80, 0x22])?.reason, "invalid utf-8 in string")  // surrogate
        XCTAssertEqual(jsonError([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22])?.reason, "invalid utf-8 in string")  // past U+10FFFF
        XCTAssertEqual(jsonError([0x22, 0x00, 0x22]), JSONError("unescaped control character (byte 0x00) in string", at: 1))
        XCTAssertEqual(jsonError([0x00]), JSONError("unexpected byte 0x00, expected a json value", at: 0))
        XCTAssertEqual(jsonError([0x31, 0x00])?.reason, "unexpected byte 0x00 after the json value")
        XCTAssertEqual(try JSON.parse(#""a\u0000b""#), .string("a\u{0}b"))
        XCTAssertEqual(jsonError(#""\udc00""#)?.reason, #"lone surrogate escape '\udc00' in string"#)
    }

    func testTenMegabyteString() throws {
        let text = #"{"blob":""# + tenMegabytes + #""}"#
        // Compared as Bools here and below: a failure message with 10 MB in it helps nobody.
        XCTAssertTrue(try JSON.parse(text).objectValue?["blob"] == .string(tenMegabytes))
        XCTAssertEqual(jsonError(String(text.dropLast(2)))?.reason, "unterminated string")
    }

    // MARK: recordings

    func testBadLinesBetweenGoodOnes() throws {
        let bytes = try Array(Data(contentsOf: hostile.appendingPathComponent("bad-lines.jsonl")))
        let (keys, errors) = read(bytes)
        XCTAssertEqual(keys, ["a", "b", "f", "h"])
        XCTAssertEqual(errors, [
            "2:1 invalid json: invalid literal 'this', expected 'true'",
            "4:53 invalid json: invalid utf-8 in string",
            "5:43 invalid json: unescaped control character (byte 0x00) in string",
            "6:49 invalid json: number out of range",
            "8:1 invalid json: unterminated object",
        ])
    }

    func testTenMegabytePayloadBetweenGoodLines() throws {
        let payload = #"{"value":3,"blob":"\#(tenMegabytes)"}"#
        let escaped = String(decoding: JSON.serialize(.string(payload)), as: UTF8.self)
        let text = [line("a"), line("big", #""payload":\#(escaped)"#), line("c")].joined(separator: "\n")
        let (records, diagnostics) = RecordingReader.records(from: Array(text.utf8), file: "big.jsonl")
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(records.map { $0.key.map { String(decoding: $0, as: UTF8.self) } }, ["a", "big", "c"])
        XCTAssertTrue(records.count == 3 && records[1].value == Array(payload.utf8))

        // The same line cut short: one error at its line, the neighbours kept.
        let cut = [line("a"), line("big", #""payload":\#(escaped)"#).dropLast(3).description, line("c")].joined(separator: "\n")
        let (keys, errors) = read(Array(cut.utf8))
        XCTAssertEqual(keys, ["a", "c"])
        XCTAssertEqual(errors, ["2:44 invalid json: unterminated string"])
    }

    func testOtherHostileLines() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let unknown = String(repeating: "k", count: 1 << 20)
        let lines = [
            line("a"),
            line("deep", #""value":\#(deep)"#),
            String(repeating: "\u{0}", count: 1 << 20),
            #"{"\#(unknown)":1}"#,
            line("ts", #""value":1"#).replacingOccurrences(of: #""ts":1"#, with: #""ts":99999999999999999999"#),
            "[1, 2, 3]",
            line("b"),
        ]
        let (keys, errors) = read(Array(lines.joined(separator: "\n").utf8))
        XCTAssertEqual(keys, ["a", "b"])
        // The envelope object is the first level: its value may nest 511 more.
        XCTAssertEqual(errors.map { $0.replacingOccurrences(of: unknown, with: "<1 MiB of k>") }, [
            "2:554 invalid json: nesting deeper than 512 levels",
            "3:1 invalid json: unexpected byte 0x00, expected a json value",
            "4:2 unknown field '<1 MiB of k>'",
            "5:20 field 'ts' must be an integer (milliseconds since the epoch), not 1e+20",
            "6:1 expected a json object (one record per line), not an array",
        ])
    }

    // MARK: the engine

    /// Values that cannot be decoded go to the dead letter topic unchanged; the rest are processed.
    func testUndecodableValuesGoToTheDeadLetterTopic() throws {
        let (spec, diagnostics) = PipelineLoader.load(file: hostile.appendingPathComponent("pipeline.yaml").path)
        let dryRun = DryRun(plan: try EnginePlan(spec: try XCTUnwrap(spec, rendered(diagnostics))))
        let values: [(key: String, value: [UInt8])] = [
            ("good", Array(#"{"value":1}"#.utf8)),
            ("utf8", [0x7B, 0x22, 0x76, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D]),
            ("nul", Array("{\"value\":1}\u{0}".utf8)),
            ("huge", Array(#"{"value":1e400}"#.utf8)),
            ("deep", Array((String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)).utf8)),
            ("big", Array(#"{"value":2,"blob":"\#(tenMegabytes)"}"#.utf8)),
            ("string", Array(#"{"value":"x"}"#.utf8)),
        ]
        var produced: [Record] = []
        for (index, item) in values.enumerated() {
            let record = Record(topic: "in", partition: 0, offset: Int64(index), timestamp: Int64(index),
                                key: Array(item.key.utf8), value: item.value)
            dryRun.feed(record) { produced.append($0) }
        }
        dryRun.finish { produced.append($0) }

        func key(_ record: Record) -> String { String(decoding: record.key ?? [], as: UTF8.self) }
        let out = produced.filter { $0.topic == "out" }
        XCTAssertEqual(out.map(key), ["good", "big"])
        XCTAssertEqual(out.last?.value?.count, (#"{"value":2,"blob":""}"#.utf8.count + (10 << 20) + #","doubled":4"#.utf8.count))

        let dead = produced.filter { $0.topic == "dlq" }
        XCTAssertEqual(dead.map(key), ["utf8", "nul", "huge", "deep", "string"])
        for record in dead {
            let original = values.first { $0.key == key(record) }?.value
            XCTAssertEqual(record.value, original, "dead letters keep the value as it was")
        }
        func message(_ record: Record) -> String? {
            record.headers.first { $0.name == "sluice.error.message" }.flatMap { $0.value.map { String(decoding: $0, as: UTF8.self) } }
        }
        XCTAssertEqual(dead.map(message), [
            "the value is not valid json: invalid utf-8 in string at byte 6",
            "the value is not valid json: unexpected byte 0x00 after the json value at byte 11",
            "the value is not valid json: number out of range at byte 9",
            "the value is not valid json: nesting deeper than 512 levels at byte 512",
            "doubled: cannot apply '*' to string and integer",
        ])
    }
}
