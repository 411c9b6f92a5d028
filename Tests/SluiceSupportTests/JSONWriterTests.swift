import Foundation
import XCTest
import SluiceSupport

final class JSONWriterTests: XCTestCase {
    func testCompactOutputKeepsKeyOrder() {
        let value: Value = .object([
            "id": .int(1), "timestamp": .int(1736990000), "value": .int(42), "category": .string("A"),
            "nested": .object(["z": .null, "a": .array([.bool(true), .bool(false), .double(1.5)])]),
        ])
        XCTAssertEqual(
            value.jsonText,
            #"{"id":1,"timestamp":1736990000,"value":42,"category":"A","nested":{"z":null,"a":[true,false,1.5]}}"#)
        XCTAssertEqual(JSON.serialize(value), Array(value.jsonText.utf8))
    }

    func testIntegers() {
        let cases: [(Int64, String)] = [
            (0, "0"), (7, "7"), (-7, "-7"), (10, "10"), (99, "99"), (100, "100"), (-100, "-100"),
            (12345, "12345"), (1736990000000, "1736990000000"),
            (Int64.max, "9223372036854775807"), (Int64.min, "-9223372036854775808"),
        ]
        for (number, text) in cases {
            XCTAssertEqual(Value.int(number).jsonText, text)
        }
        for exponent in 0..<19 {
            var power: Int64 = 1
            for _ in 0..<exponent { power *= 10 }
            XCTAssertEqual(Value.int(power).jsonText, String(power))
            XCTAssertEqual(Value.int(power - 1).jsonText, String(power - 1))
            XCTAssertEqual(Value.int(-power).jsonText, String(-power))
        }
    }

    func testDoubles() {
        XCTAssertEqual(Value.double(2).jsonText, "2.0")
        XCTAssertEqual(Value.double(-0.0).jsonText, "-0.0")
        XCTAssertEqual(Value.double(0.1).jsonText, "0.1")
        XCTAssertEqual(Value.double(0.1 + 0.2).jsonText, "0.30000000000000004")
        XCTAssertEqual(Value.double(1e16).jsonText, "1e+16")
        XCTAssertEqual(Value.double(1e-7).jsonText, "1e-07")
        XCTAssertEqual(Value.double(123.456).jsonText, "123.456")
        XCTAssertEqual(Value.double(.infinity).jsonText, "null")
        XCTAssertEqual(Value.double(-.infinity).jsonText, "null")
        XCTAssertEqual(Value.double(.nan).jsonText, "null")
    }

    func testDoublesRoundTrip() throws {
        let samples: [Double] = [
            0.1, 1.0 / 3.0, 2.0, 1e16, 1e-7, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -123456.789, 0x1p53 + 2,
        ]
        for sample in samples {
            XCTAssertEqual(try JSON.parse(Value.double(sample).jsonText), .double(sample))
        }
        for _ in 0..<1000 {
            let sample = Double(bitPattern: UInt64.random(in: 0...UInt64.max))
            guard sample.isFinite else { continue }
            XCTAssertEqual(try JSON.parse(Value.double(sample).jsonText), .double(sample), "\(sample)")
        }
    }

    func testStringEscapes() {
        XCTAssertEqual(Value.string("plain").jsonText, #""plain""#)
        XCTAssertEqual(Value.string("a\"b\\c/d").jsonText, #""a\"b\\c/d""#)
        XCTAssertEqual(Value.string("\u{08}\u{0C}\n\r\t").jsonText, #""\b\f\n\r\t""#)
        XCTAssertEqual(Value.string("\u{0}\u{1}\u{1F}\u{7F}").jsonText, "\"\\u0000\\u0001\\u001f\u{7F}\"")
        XCTAssertEqual(Value.string("café 中文 😀").jsonText, "\"café 中文 😀\"")
        XCTAssertEqual(Value.string("").jsonText, #""""#)
        XCTAssertEqual(Value.object(["k\"ey\n": .string("v")]).jsonText, #"{"k\"ey\n":"v"}"#)
    }

    func testLongStringsGrowTheBuffer() throws {
        let long = String(repeating: "abc\"é", count: 10_000)
        let text = Value.array([.string(long), .string(long)]).jsonText
        XCTAssertEqual(try JSON.parse(text), .array([.string(long), .string(long)]))
    }

    func testWriteJSONAppends() {
        var out = Array("prefix:".utf8)
        Value.array([.int(1), .string("x")]).writeJSON(into: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), #"prefix:[1,"x"]"#)
    }

    func testWriteStringHelpers() {
        var out: [UInt8] = []
        JSON.writeString("a\"b", into: &out)
        JSON.writeString(utf8: [0x61, 0xFF, 0x62], into: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "\"a\\\"b\"\"a\u{FFFD}b\"")
    }

    func testRoundTripOfParsedDocuments() throws {
        let documents = [
            #"{"id":1,"timestamp":1736990000,"value":42,"category":"A"}"#,
            #"[null,true,false,0,-1,1.5,"s",[],{},{"a":[{"b":"c"}]}]"#,
            #"{"quote\"d":"line\nbreak","uni":"é😀","ctrl":"\u0001"}"#,
            #"{"big":9223372036854775807,"small":-9223372036854775808,"huge":1e+30,"tiny":1e-30}"#,
        ]
        for document in documents {
            let value = try JSON.parse(document)
            XCTAssertEqual(value.jsonText, document)
            XCTAssertEqual(try JSON.parse(value.jsonText), value)
        }
    }

    func testRandomDocumentsRoundTrip() throws {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<300 {
            let value = randomValue(depth: 0, using: &generator)
            let text = value.jsonText
            XCTAssertEqual(try JSON.parse(text), value, text)
            XCTAssertEqual(try JSON.parse(Array(text.utf8)), value, text)
        }
    }

    /// Random JSON-like values (unique keys, finite doubles) of moderate depth.
    private func randomValue(depth: Int, using generator: inout SeededGenerator) -> Value {
        let pick = Int.random(in: 0..<(depth > 5 ? 6 : 8), using: &generator)
        switch pick {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .int(Int64.random(in: Int64.min...Int64.max, using: &generator) >> Int64.random(in: 0...63, using: &generator))
        case 3:
            let double = Double.random(in: -1e6...1e6, using: &generator) * pow(10, Double(Int.random(in: -20...20, using: &generator)))
            return .double(double)
        case 4, 5: return .string(randomString(using: &generator))
        case 6: return .array((0..<Int.random(in: 0...5, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) })
        default:
            var object = JSONObject()
            for i in 0..<Int.random(in: 0...6, using: &generator) {
                object[randomString(using: &generator) + "#\(i)"] = randomValue(depth: depth + 1, using: &generator)
            }
            return .object(object)
        }
    }

    private func randomString(using generator: inout SeededGenerator) -> String {
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{7F}", "é", "中", "😀", "\u{2028}"]
        return String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
    }
}

typealias SeededGenerator = SplitMix64
