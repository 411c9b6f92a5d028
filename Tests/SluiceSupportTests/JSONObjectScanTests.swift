import SluiceSupport
import XCTest

/// `JSONObjectScan` must agree with `JSON.parse`: it accepts only what parsing accepts, its
/// field values are the parsed ones, and "canonical" texts are exactly what writing gives back.
final class JSONObjectScanTests: XCTestCase {
    /// Checks one text against the full parser; returns whether the scan accepted it.
    @discardableResult
    private func check(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let scan = JSONObjectScan()
        let accepted = bytes.withUnsafeBufferPointer { scan.scan($0) }
        let parsed = try? JSON.parse(bytes)
        let shown = String(decoding: bytes.prefix(200), as: UTF8.self)
        guard accepted else {
            // Rejections are fine for invalid texts and the cases left to the full parser; a
            // plain tutorial-like object must not be one of them (that would only be slow).
            if case .object(let object)? = parsed, object.count <= scan.capacity,
                object.keys.allSatisfy({ $0.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x80 && $0 != 0x5C && $0 != 0x22 } }),
                Set(object.keys).count == object.count, !bytes.contains(0x5C)
            {
                let rawKeys = Self.rawKeyCount(bytes)
                XCTAssertNotEqual(rawKeys, object.count, "a plain object was not scanned: \(shown)", file: file, line: line)
            }
            return false
        }
        guard case .object(let object)? = parsed else {
            XCTFail("scanned, but parsing gives \(String(describing: parsed)): \(shown)", file: file, line: line)
            return true
        }
        XCTAssertEqual(scan.count, object.count, shown, file: file, line: line)
        bytes.withUnsafeBufferPointer { text in
            for i in 0..<min(scan.count, object.count) {
                let field = scan[i]
                let key = String(decoding: text[field.keyStart..<(field.keyStart + field.keyCount)], as: UTF8.self)
                XCTAssertEqual(key, object.fields[i].key, shown, file: file, line: line)
                XCTAssertEqual(scan.value(at: i, in: text), object.fields[i].value, "\(key) in \(shown)", file: file, line: line)
                XCTAssertEqual(scan.index(of: UnsafeBufferPointer(rebasing: text[field.keyStart..<(field.keyStart + field.keyCount)]), in: text.baseAddress!), i)
            }
        }
        // Canonical must mean exactly what writing gives; the reverse may be missed (escaped
        // nested keys, for one, are never called canonical), which only costs a re-encoding.
        if scan.isCanonical {
            XCTAssertEqual(JSON.serialize(.object(object)), bytes, "canonical, but written back differently: \(shown)", file: file, line: line)
        }
        return true
    }

    /// Top-level keys counted from the raw text (for texts without escapes or nesting).
    private static func rawKeyCount(_ bytes: [UInt8]) -> Int {
        guard !bytes.contains(UInt8(ascii: "[")), bytes.filter({ $0 == UInt8(ascii: "{") }).count == 1 else { return -1 }
        return bytes.filter { $0 == UInt8(ascii: ":") }.count
    }

    func testTutorialRecordsAreScannedAndCanonical() {
        let scan = JSONObjectScan()
        let text = Array(#"{"id":1,"timestamp":1736990000,"value":42,"category":"A"}"#.utf8)
        XCTAssertTrue(check(text))
        XCTAssertTrue(text.withUnsafeBufferPointer { scan.scan($0) })
        XCTAssertTrue(scan.isCanonical)
        XCTAssertEqual(scan.count, 4)
        XCTAssertEqual(scan[1].kind, .int)
        XCTAssertEqual(scan[3].kind, .string)
    }

    func testEdgeCases() {
        let accepted = [
            "{}", " { } ", #"{"a":1}"#, #"{"a":-0}"#, #"{"a":-0.0}"#, #"{"a":1.0}"#, #"{"a":1e2}"#, #"{"a":1.5E+3}"#,
            #"{"a":123456789012345678}"#, #"{"a":1234567890123456789}"#, #"{"a":12345678901234567890}"#,
            #"{"a":-9223372036854775808}"#, #"{"a":0.1}"#, #"{"a":1e-7}"#, #"{"a":1e16}"#, #"{"a":1e+16}"#,
            #"{"a":"\u00e9"}"#, #"{"a":"é"}"#, #"{"a":"\/"}"#, #"{"a":"\n\t\"\\"}"#, #"{"a":"\u001f"}"#, #"{"a":"\u001F"}"#,
            #"{"a":"\ud83d\ude80"}"#, #"{"a":[1,[2,{"b":[]}],{}]}"#, #"{"a":{"b":1,"b":2}}"#, #"{"a":{"b":1,"c":{"b":2}}}"#,
            #"{"a":true,"b":false,"c":null}"#, "{\"a\" : 1 , \"b\":\n2}", #"{"a":[1, 2]}"#, #"{"a":{"\u0062":1,"b":2}}"#,
            #"{"x":"a\u0000b"}"#, #"{"":1}"#, #"{"a":"\u007f"}"#, #"{"a":"\u00"}"#,
        ]
        for text in accepted { check(Array(text.utf8)) }
        let rejected = [
            "", "{", "}", "[]", "1", #""a""#, #"{"a"}"#, #"{"a":}"#, #"{"a":1,}"#, #"{"a":01}"#, #"{"a":-}"#, #"{"a":1.}"#,
            #"{"a":1e400}"#, #"{"a":tru}"#, #"{"a":truex}"#, #"{"a":"x}"#, #"{"a":[1,]}"#, #"{"a":[1}"#, #"{"a":{"b"}}"#,
            #"{"a":1}x"#, #"{"a":1,"a":2}"#, #"{"\u0061":1}"#, #"{"é":1}"#, #"{"a":"\ud800"}"#, #"{"a":"\x"}"#, "{\"a\":\"\u{1}\"}",
        ]
        for text in rejected {
            let bytes = Array(text.utf8)
            let scan = JSONObjectScan()
            XCTAssertFalse(bytes.withUnsafeBufferPointer { scan.scan($0) }, text)
            check(bytes)
        }
        check([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D])  // invalid UTF-8
        check(Array((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8))
        check(Array(("{\"a\":" + String(repeating: "[", count: 510) + String(repeating: "]", count: 510) + "}").utf8))
        check(Array(("{\"a\":" + String(repeating: "[", count: 511) + String(repeating: "]", count: 511) + "}").utf8))
    }

    func testRandomTextsAgreeWithTheParser() {
        var generator = RandomJSONText(seed: 7)
        var accepted = 0
        for _ in 0..<20_000 {
            if check(generator.record()) { accepted += 1 }
        }
        XCTAssertGreaterThan(accepted, 5_000, "most generated records should take the scanned path")
    }

    /// Strings are escaped eight bytes at a time: a special byte at any position must be found.
    func testEscapingAtEveryPosition() {
        func reference(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\u{1}": out += "\\u0001"
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        for length in 0..<20 {
            for position in 0..<max(1, length) {
                for special in ["\"", "\\", "\n", "\t", "\u{1}", "é", "🚀", " ", "~"] {
                    var characters = Array(repeating: Character("a"), count: length)
                    if position < length { characters[position] = Character(special) }
                    let text = String(characters)
                    XCTAssertEqual(Value.string(text).jsonText, reference(text), text.debugDescription)
                }
            }
        }
    }

    func testAppendingFieldsEqualsWritingTheWholeObject() {
        let base: JSONObject = ["id": .int(1), "s": .string("é \"q\" 🚀"), "n": .object(["x": .array([.null, .double(1.5)])])]
        let added: [(key: String, value: Value)] = [("doubled", .int(4)), ("at", .double(0.1)), ("tab\t", .string("\u{1}"))]
        var whole = base
        for field in added { whole[field.key] = field.value }
        XCTAssertEqual(JSON.appending(added[...], toObject: JSON.serialize(.object(base))), JSON.serialize(.object(whole)))
        XCTAssertEqual(JSON.appending(added[...], toObject: Array("{}".utf8)), JSON.serialize(.object(JSONObject(added))))
        XCTAssertEqual(JSON.appending([][...], toObject: Array("{}".utf8)), Array("{}".utf8))
    }
}

/// Deterministic random JSON texts: tutorial-like records with every kind of variation
/// (missing, repeated and extra fields, numbers of all forms, escapes, Unicode, nesting,
/// whitespace), random objects, and broken texts.
struct RandomJSONText {
    private var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func next(_ bound: Int) -> Int { random.next(bound) }

    private mutating func pick<T>(_ items: [T]) -> T { items[next(items.count)] }

    /// One record value's bytes.
    mutating func record() -> [UInt8] {
        var text: String
        switch next(20) {
        case 0..<12: text = tutorial()
        case 12..<16: text = value(depth: 0, forceObject: true)
        default: text = tutorial()
        }
        var bytes = Array(text.utf8)
        if next(8) == 0 { bytes = broken(bytes) }
        return bytes
    }

    private mutating func space() -> String {
        next(6) == 0 ? pick([" ", "\n", "\t ", "\r\n"]) : ""
    }

    mutating func tutorial() -> String {
        var fields: [(String, String)] = [
            ("\"id\"", String(next(1_000_000))),
            ("\"timestamp\"", timestamp()),
            ("\"value\"", number()),
            ("\"category\"", category()),
        ]
        fields.shuffle(using: &self)
        if next(6) == 0 { fields.remove(at: next(fields.count)) }
        if next(8) == 0 { fields.append((pick(["\"value\"", "\"category\"", "\"id\""]), number())) }
        if next(5) == 0 {
            fields.insert((pick(["\"extra\"", "\"a\"", "\"caté\"", "\"\\u0076alue\"", "\"tab\\t\"", "\"\""]), value(depth: 1)), at: next(fields.count + 1))
        }
        let body = fields.map { space() + $0.0 + space() + ":" + space() + $0.1 + space() }.joined(separator: ",")
        return space() + "{" + body + "}" + space()
    }

    private mutating func timestamp() -> String {
        switch next(12) {
        case 0: return "\(1_736_990_000 + next(500)).5"
        case 1: return "\"2025-01-16T01:13:20Z\""
        case 2: return "null"
        default: return String(1_736_990_000 + next(500))
        }
    }

    mutating func number() -> String {
        pick([
            String(next(100)), String(-next(100)), "-0", "0", "1.5", "2.0", "1e2", "1E+2", "0.1", "-0.0",
            "12345678901234567890", "9223372036854775807", "-9223372036854775808", "\"7\"", "null", "true",
            String(next(1000)), String(next(1000)), String(next(1000)),
        ])
    }

    private mutating func category() -> String {
        pick([
            "\"A\"", "\"B\"", "\"C\"", "\"D\"", "\"E\"", "\"A\"", "\"B\"", "\"Ü \\\"q\\\" 🚀\"", "\"\\u0041\"", "\"a\\/b\"",
            "\"tab\\t\"", "\"\"", "\"\\ud83d\\ude80\"", "\"K\"", "\"\u{212A}\"", "7", "null", "[\"A\"]",
        ])
    }

    mutating func value(depth: Int, forceObject: Bool = false) -> String {
        let kind = forceObject ? 7 : next(depth > 2 ? 6 : 8)
        switch kind {
        case 0: return "null"
        case 1: return pick(["true", "false"])
        case 2, 3: return number()
        case 4, 5: return category()
        case 6: return "[" + (0..<next(4)).map { _ in space() + value(depth: depth + 1) + space() }.joined(separator: ",") + "]"
        default:
            let keys = ["\"a\"", "\"b\"", "\"c\"", "\"value\"", "\"é\"", "\"\\u0061\""]
            let body = (0..<next(depth == 0 ? 6 : 4)).map { _ in
                space() + pick(keys) + space() + ":" + space() + value(depth: depth + 1) + space()
            }
            return "{" + body.joined(separator: ",") + "}"
        }
    }

    private mutating func broken(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        guard !bytes.isEmpty else { return [0x7B] }
        switch next(4) {
        case 0: bytes.removeLast(1 + next(bytes.count))
        case 1: bytes[next(bytes.count)] = pick([0x00, 0xFF, 0x22, 0x7D, 0x2C, 0x3A, 0xC3, 0x5C])
        case 2: bytes.insert(pick([0x00, 0xFF, 0x22, 0x7D, 0x2C, 0x3A, 0xC3, 0x5C, 0x20]), at: next(bytes.count + 1))
        default: bytes += Array("x".utf8)
        }
        return bytes
    }
}

extension RandomJSONText: RandomNumberGenerator {
    mutating func next() -> UInt64 { UInt64(next(Int.max)) }
}
