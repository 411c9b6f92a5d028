import Foundation
import XCTest
import SluiceSupport

final class JSONParserTests: XCTestCase {
    private func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Value? {
        do {
            return try JSON.parse(text)
        } catch {
            XCTFail("unexpected error \(error.message) for \(text)", file: file, line: line)
            return nil
        }
    }

    /// Asserts that `text` is rejected with `reason` at byte `offset`.
    private func assertRejects(
        _ text: String, _ reason: String, at offset: Int, file: StaticString = #filePath, line: UInt = #line
    ) {
        assertRejects(Array(text.utf8), reason, at: offset, file: file, line: line)
    }

    private func assertRejects(
        _ bytes: [UInt8], _ reason: String, at offset: Int, file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            let value = try JSON.parse(bytes)
            XCTFail("expected an error, got \(value)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.reason, reason, file: file, line: line)
            XCTAssertEqual(error.offset, offset, file: file, line: line)
        }
    }

    func testTutorialRecord() {
        let value = parse(#"{"id": 1, "timestamp": 1736990000, "value": 42, "category": "A"}"#)
        let expected: JSONObject = ["id": .int(1), "timestamp": .int(1736990000), "value": .int(42), "category": .string("A")]
        XCTAssertEqual(value, .object(expected))
        XCTAssertEqual(value?.objectValue?.keys, ["id", "timestamp", "value", "category"])
    }

    func testScalars() {
        XCTAssertEqual(parse("null"), .null)
        XCTAssertEqual(parse("true"), .bool(true))
        XCTAssertEqual(parse(" false "), .bool(false))
        XCTAssertEqual(parse("\"\""), .string(""))
        XCTAssertEqual(parse("[]"), .array([]))
        XCTAssertEqual(parse("{}"), .object(JSONObject()))
        XCTAssertEqual(parse(" \t\r\n[ 1 , [ ] , { } ]\n"), .array([.int(1), .array([]), .object(JSONObject())]))
    }

    func testIntegers() {
        XCTAssertEqual(parse("0"), .int(0))
        XCTAssertEqual(parse("-0"), .int(0))
        XCTAssertEqual(parse("42"), .int(42))
        XCTAssertEqual(parse("-17"), .int(-17))
        XCTAssertEqual(parse("9223372036854775807"), .int(Int64.max))
        XCTAssertEqual(parse("-9223372036854775808"), .int(Int64.min))
        // Beyond Int64: a double.
        XCTAssertEqual(parse("9223372036854775808"), .double(9223372036854775808.0))
        XCTAssertEqual(parse("-9223372036854775809"), .double(-9223372036854775809.0))
        XCTAssertEqual(parse("18446744073709551616"), .double(18446744073709551616.0))
        XCTAssertEqual(parse("123456789012345678901234567890"), .double(1.2345678901234568e29))
    }

    func testDoubles() {
        XCTAssertEqual(parse("1.0"), .double(1.0))
        XCTAssertEqual(parse("-0.0"), .double(-0.0))
        XCTAssertEqual(parse("0.1"), .double(0.1))
        XCTAssertEqual(parse("3.14159"), .double(3.14159))
        XCTAssertEqual(parse("1e3"), .double(1000))
        XCTAssertEqual(parse("1E+3"), .double(1000))
        XCTAssertEqual(parse("2.5e-3"), .double(0.0025))
        XCTAssertEqual(parse("1e308"), .double(1e308))
        XCTAssertEqual(parse("5e-324"), .double(.leastNonzeroMagnitude))
        XCTAssertEqual(parse("1e-400"), .double(0))
        XCTAssertEqual(parse("0.30000000000000004"), .double(0.30000000000000004))
        XCTAssertEqual(parse("123456789.123456789"), .double(123456789.123456789))
        XCTAssertEqual(parse("9007199254740993.0"), .double(9007199254740992.0))
        XCTAssertEqual(parse("1.7976931348623157e308"), .double(.greatestFiniteMagnitude))
        XCTAssertEqual(parse("0.000001"), .double(0.000001))
        XCTAssertEqual(parse("1.00000000000000000000000001"), .double(1.0))
    }

    func testDoublesAgreeWithTheStandardLibrary() {
        // The fast path must give the correctly rounded result, like Double(String).
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bits = UInt64.random(in: 1...62, using: &generator)
            let mantissa = UInt64.random(in: 0...(1 << bits), using: &generator)
            let exponent = Int.random(in: -30...30, using: &generator)
            let text = "\(mantissa)e\(exponent)"
            XCTAssertEqual(parse(text), .double(Double(text)!), text)
            let fraction = "\(mantissa / 1000).\(mantissa % 1000)"
            XCTAssertEqual(parse(fraction), .double(Double(fraction)!), fraction)
        }
    }

    func testStrings() {
        XCTAssertEqual(parse(#""hello""#), .string("hello"))
        XCTAssertEqual(parse(#""a\"b\\c\/d""#), .string("a\"b\\c/d"))
        XCTAssertEqual(parse(#""\b\f\n\r\t""#), .string("\u{08}\u{0C}\n\r\t"))
        XCTAssertEqual(parse(#""\u0041\u00e9\u4e2D""#), .string("Aé中"))
        XCTAssertEqual(parse(#""\u0000""#), .string("\u{0}"))
        XCTAssertEqual(parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(parse("\"café 中文 😀\""), .string("café 中文 😀"))
        XCTAssertEqual(parse("\"mixed é \\n\""), .string("mixed é \n"))
        XCTAssertEqual(parse("\"\u{7F}\""), .string("\u{7F}"))
    }

    func testUnicodeAndQuotesInKeys() {
        let value = parse(#"{"na\"me": "x", "clé": "vàlue", "😀": "\"quoted\"", "": 1}"#)
        let expected: JSONObject = [
            "na\"me": .string("x"), "clé": .string("vàlue"), "😀": .string("\"quoted\""), "": .int(1),
        ]
        XCTAssertEqual(value, .object(expected))
    }

    func testDuplicateKeysKeepFirstPositionAndLastValue() {
        let value = parse(#"{"a": 1, "b": 2, "a": 3}"#)
        XCTAssertEqual(value?.objectValue?.keys, ["a", "b"])
        XCTAssertEqual(value?.objectValue?["a"], .int(3))
        // Escaped and unescaped spellings of the same key are the same key.
        XCTAssertEqual(parse(#"{"a": 1, "\u0061": 2}"#), .object(["a": .int(2)]))
        // Canonically equivalent but different bytes: different JSON keys.
        XCTAssertEqual(parse("{\"\u{e9}\": 1, \"e\u{301}\": 2}")?.objectValue?.count, 2)
    }

    func testManyKeysUseTheHashIndex() {
        var text = "{"
        for i in 0..<100 { text += "\"k\(i)\": \(i), " }
        text += "\"k7\": \"again\", \"k99\": \"last\"}"
        let object = parse(text)?.objectValue
        XCTAssertEqual(object?.count, 100)
        XCTAssertEqual(object?["k7"], .string("again"))
        XCTAssertEqual(object?["k99"], .string("last"))
        XCTAssertEqual(object?.keys.first, "k0")
        XCTAssertEqual(object?.keys.last, "k99")
    }

    func testParsesFromBytesAndBuffers() throws {
        let bytes = Array(#"[1, "two"]"#.utf8)
        XCTAssertEqual(try JSON.parse(bytes), .array([.int(1), .string("two")]))
        let value = try bytes.withUnsafeBytes { raw throws(JSONError) in try JSON.parse(raw) }
        XCTAssertEqual(value, .array([.int(1), .string("two")]))
        // A slice of a larger buffer: only the slice is read.
        let slice = try bytes.withUnsafeBytes { raw throws(JSONError) in
            try JSON.parse(UnsafeRawBufferPointer(rebasing: raw[1..<2]))
        }
        XCTAssertEqual(slice, .int(1))
    }

    func testDeepNesting() {
        let ok = String(repeating: "[", count: JSON.maxDepth) + String(repeating: "]", count: JSON.maxDepth)
        XCTAssertNotNil(parse(ok))
        let tooDeep = String(repeating: "[", count: JSON.maxDepth + 1) + String(repeating: "]", count: JSON.maxDepth + 1)
        assertRejects(tooDeep, "nesting deeper than 512 levels", at: JSON.maxDepth)
        let objects = String(repeating: #"{"a":"#, count: 100_000)
        assertRejects(objects, "nesting deeper than 512 levels", at: 5 * JSON.maxDepth)
        // Deep input does not exhaust the stack of a thread with a small stack either.
        let done = expectation(description: "parsed on a small stack")
        let thread = Thread {
            _ = try? JSON.parse(String(repeating: "[", count: 100_000))
            _ = try? JSON.parse(ok)
            done.fulfill()
        }
        thread.stackSize = 512 * 1024
        thread.start()
        wait(for: [done], timeout: 30)
    }

    func testRejectsMalformedJSON() {
        assertRejects("", "unexpected end of input, expected a json value", at: 0)
        assertRejects("   ", "unexpected end of input, expected a json value", at: 3)
        assertRejects("{\"a\": 1} x", "unexpected character 'x' after the json value", at: 9)
        assertRejects("1 2", "unexpected character '2' after the json value", at: 2)
        assertRejects("NaN", "unexpected character 'N', expected a json value", at: 0)
        assertRejects("[Infinity]", "unexpected character 'I', expected a json value", at: 1)
        assertRejects("-Infinity", "unexpected character 'I', expected a digit", at: 1)
        assertRejects("tru", "invalid literal 'tru', expected 'true'", at: 0)
        assertRejects("nul", "invalid literal 'nul', expected 'null'", at: 0)
        assertRejects("[falsy]", "invalid literal 'falsy', expected 'false'", at: 1)
        assertRejects("nan", "invalid literal 'nan', expected 'null'", at: 0)
        assertRejects("[1,]", "unexpected character ']', expected a json value", at: 3)
        assertRejects("[1 2]", "unexpected character '2', expected ',' or ']'", at: 3)
        assertRejects("{\"a\" 1}", "unexpected character '1', expected ':' after the object key", at: 5)
        assertRejects("{\"a\": 1,}", "unexpected character '}', expected a string key", at: 8)
        assertRejects("{a: 1}", "unexpected character 'a', expected a string key", at: 1)
        assertRejects("{'a': 1}", "unexpected character ''', expected a string key", at: 1)
        assertRejects("{\"a\": 1", "unterminated object", at: 0)
        assertRejects("[1, [2", "unterminated array", at: 4)
        assertRejects("\"abc", "unterminated string", at: 0)
        assertRejects("[\"abc\\", "unterminated string", at: 1)
        assertRejects("{\"a\": 1 \"b\": 2}", "unexpected character '\"', expected ',' or '}'", at: 8)
        assertRejects("[1]]", "unexpected character ']' after the json value", at: 3)
    }

    func testRejectsBadNumbers() {
        assertRejects("01", "leading zero in number", at: 0)
        assertRejects("[-012]", "leading zero in number", at: 1)
        assertRejects("+1", "unexpected character '+', expected a json value", at: 0)
        assertRejects("-", "unexpected end of input, expected a digit", at: 1)
        assertRejects("1.", "unexpected end of input, expected a digit after the decimal point", at: 2)
        assertRejects("1.e5", "unexpected character 'e', expected a digit after the decimal point", at: 2)
        assertRejects(".5", "unexpected character '.', expected a json value", at: 0)
        assertRejects("1e", "unexpected end of input, expected a digit in the exponent", at: 2)
        assertRejects("1e+", "unexpected end of input, expected a digit in the exponent", at: 3)
        assertRejects("0x10", "unexpected character 'x' after the json value", at: 1)
        assertRejects("1e400", "number out of range", at: 0)
        assertRejects("[-1e99999999999]", "number out of range", at: 1)
    }

    func testRejectsBadStrings() {
        assertRejects("\"a\nb\"", "unescaped control character (newline) in string", at: 2)
        assertRejects("\"a\tb\"", "unescaped control character (tab) in string", at: 2)
        assertRejects("\"\u{1}\"", "unescaped control character (byte 0x01) in string", at: 1)
        assertRejects(#""\x""#, "invalid escape '\\x' in string", at: 1)
        assertRejects(#""ab\u12G4""#, "invalid unicode escape, expected four hex digits", at: 3)
        assertRejects(#""\u12""#, "invalid unicode escape, expected four hex digits", at: 1)
        assertRejects(#""\ud800""#, "lone surrogate escape '\\ud800' in string", at: 1)
        assertRejects(#""\ud800x""#, "lone surrogate escape '\\ud800' in string", at: 1)
        assertRejects(#""\ud800\u0041""#, "lone surrogate escape '\\ud800' in string", at: 1)
        assertRejects(#""x\udc00""#, "lone surrogate escape '\\udc00' in string", at: 2)
    }

    func testRejectsInvalidUTF8() {
        let quote = UInt8(ascii: "\"")
        assertRejects([quote, 0xFF, quote], "invalid utf-8 in string", at: 1)
        assertRejects([quote, 0x61, 0xC3, quote], "invalid utf-8 in string", at: 2)  // truncated
        assertRejects([quote, 0xC0, 0xAF, quote], "invalid utf-8 in string", at: 1)  // overlong
        assertRejects([quote, 0xED, 0xA0, 0x80, quote], "invalid utf-8 in string", at: 1)  // surrogate
        assertRejects([quote, 0xF4, 0x90, 0x80, 0x80, quote], "invalid utf-8 in string", at: 1)  // > U+10FFFF
        assertRejects([quote, 0x5C, 0x6E, 0x80, quote], "invalid utf-8 in string", at: 3)  // after an escape
        assertRejects([0xEF, 0xBB, 0xBF, 0x31], "unexpected byte 0xef, expected a json value", at: 0)  // BOM
        XCTAssertEqual(try? JSON.parse([quote, 0xF0, 0x9F, 0x98, 0x80, quote]), .string("😀"))
    }

    func testErrorMessageIncludesTheOffset() {
        XCTAssertThrowsError(try JSON.parse("[1, x]")) { error in
            XCTAssertEqual((error as? JSONError)?.message, "unexpected character 'x', expected a json value at byte 4")
            XCTAssertEqual("\(error)", "unexpected character 'x', expected a json value at byte 4")
        }
    }

    func testParsesManyTutorialRecords() throws {
        // A smoke test of the hot path; throughput is measured outside the test suite.
        let categories = ["A", "B", "C", "D"]
        var total: Int64 = 0
        for i in 0..<200_000 {
            let line = #"{"id": \#(i), "timestamp": \#(1736990000 + i), "value": \#(i % 100), "category": "\#(categories[i % 4])"}"#
            guard case .object(let object) = try JSON.parse(line), case .int(let v)? = object["value"] else {
                return XCTFail("not an object with an integer value: \(line)")
            }
            total += v
        }
        XCTAssertEqual(total, 2000 * 4950)
    }
}
