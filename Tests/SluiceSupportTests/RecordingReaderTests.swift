import XCTest
import SluiceSupport

final class RecordingReaderTests: XCTestCase {
    private func read(_ text: String, file: String = "in.jsonl") -> [RecordingLine] {
        Array(RecordingReader(bytes: Array(text.utf8), file: file))
    }

    private func records(_ text: String) -> [Record] {
        read(text).compactMap { if case .record(let record, _) = $0 { record } else { nil } }
    }

    private func diagnostics(_ text: String) -> [Diagnostic] {
        read(text).compactMap { if case .invalid(let diagnostic) = $0 { diagnostic } else { nil } }
    }

    /// Asserts that the only line of `text` is invalid with `message` at `column`.
    private func assertInvalid(
        _ text: String, _ message: String, column: Int, file: StaticString = #filePath, line: UInt = #line
    ) {
        let lines = read(text)
        guard lines.count == 1, case .invalid(let diagnostic) = lines[0] else {
            return XCTFail("expected one invalid line, got \(lines)", file: file, line: line)
        }
        XCTAssertEqual(diagnostic.message, message, file: file, line: line)
        XCTAssertEqual(diagnostic.location?.column, column, file: file, line: line)
        XCTAssertEqual(diagnostic.code, "recording-invalid-line", file: file, line: line)
        XCTAssertEqual(diagnostic.severity, .error, file: file, line: line)
    }

    func testKcatEnvelope() {
        let line = #"{"topic":"input-topic","partition":2,"offset":42,"tstype":"create","ts":1736990000000,"broker":1,"headers":["h","v","n",null],"key":"A","payload":"{\"id\":1}"}"#
        XCTAssertEqual(read(line), [
            .record(Record(
                topic: "input-topic", partition: 2, offset: 42, timestamp: 1736990000000, key: Array("A".utf8),
                headers: [Header("h", "v"), Header(name: "n", value: nil)], value: Array(#"{"id":1}"#.utf8)),
                line: 1),
        ])
    }

    func testHandWrittenLines() {
        let text = """
            {"topic": "t", "key": null, "value": {"id": 1, "category": "A", "tags": ["x", "y"]}}

            {"topic": "t", "partition": 1, "value": "text"}
            {"topic": "t", "headers": {"trace": "abc", "empty": null}, "payload": null}
            {"topic": "t", "value": null}
            """
        let result = records(text)
        XCTAssertEqual(result.count, 4)
        XCTAssertEqual(result[0].value, Array(#"{"id":1,"category":"A","tags":["x","y"]}"#.utf8))
        XCTAssertNil(result[0].key)
        XCTAssertEqual(result[0].timestamp, 0)
        XCTAssertEqual(result[1].partition, 1)
        XCTAssertEqual(result[1].value, Array(#""text""#.utf8))
        XCTAssertEqual(result[2].headers, [Header("trace", "abc"), Header(name: "empty", value: nil)])
        XCTAssertNil(result[2].value)
        XCTAssertEqual(result[3].value, Array("null".utf8))
    }

    func testLineNumbersCountBlankLines() {
        let text = "\n{\"topic\":\"a\"}\n   \n\r\n{\"topic\":\"b\"}\r\n"
        let lines = read(text)
        XCTAssertEqual(lines.count, 2)
        guard case .record(let first, let firstLine) = lines[0], case .record(let second, let secondLine) = lines[1] else {
            return XCTFail("expected two records")
        }
        XCTAssertEqual([first.topic, second.topic], ["a", "b"])
        XCTAssertEqual([firstLine, secondLine], [2, 5])
    }

    func testDefaultOffsetsRunPerPartition() {
        let text = """
            {"topic":"t"}
            {"topic":"t"}
            {"topic":"t","partition":1}
            {"topic":"t","offset":10}
            {"topic":"t"}
            {"topic":"t","partition":1}
            """
        XCTAssertEqual(records(text).map(\.offset), [0, 1, 0, 10, 11, 1])
    }

    func testBadLinesAreReportedAndReadingGoesOn() {
        let text = """
            {"topic":"t","payload":"1"}
            not json
            {"topic":"t","payload":"2"}
            {"topic":"t","partition":"0"}
            {"topic":"t","payload":"3"}
            """
        let lines = read(text, file: "rec.jsonl")
        XCTAssertEqual(lines.count, 5)
        XCTAssertEqual(records(text).map { String(decoding: $0.value ?? [], as: UTF8.self) }, ["1", "2", "3"])
        let messages = lines.compactMap { line -> String? in
            if case .invalid(let diagnostic) = line { diagnostic.description } else { nil }
        }
        XCTAssertEqual(
            messages,
            [
                "rec.jsonl:2:1: error: invalid json: invalid literal 'not', expected 'null' [recording-invalid-line]",
                "rec.jsonl:4:26: error: field 'partition' must be an integer from 0 to 2147483647, not \"0\" [recording-invalid-line]",
            ])
        // The bad line does not use up an offset.
        XCTAssertEqual(records(text).map(\.offset), [0, 1, 2])
    }

    func testInvalidJSONColumns() {
        assertInvalid(#"{"topic":"t",}"#, "invalid json: unexpected character '}', expected a string key", column: 14)
        assertInvalid(#"{"topic":"t""#, "invalid json: unterminated object", column: 1)
        assertInvalid(#"  {"topic":"t"} x"#, "invalid json: unexpected character 'x' after the json value", column: 17)
        assertInvalid(#"{"topic":"é","key":"a\x"}"#, "invalid json: invalid escape '\\x' in string", column: 22)
        assertInvalid(#"{"topic":"t","value":[1,}"#, "invalid json: unexpected character '}', expected a json value", column: 25)
        assertInvalid(#"{"topic":"t" "key":"a"}"#, "invalid json: unexpected character '\"', expected ',' or '}'", column: 14)
    }

    func testInvalidEnvelopes() {
        assertInvalid(#"[1, 2]"#, "expected a json object (one record per line), not an array", column: 1)
        assertInvalid(#""text""#, "expected a json object (one record per line), not \"text\"", column: 1)
        assertInvalid(#"  {"payload":"x"}"#, "missing required field 'topic'", column: 3)
        assertInvalid(#"{"topic":""}"#, "field 'topic' must be a non-empty string, not \"\"", column: 10)
        assertInvalid(#"{"topic":7}"#, "field 'topic' must be a non-empty string, not 7", column: 10)
        assertInvalid(#"{"topic":"t","partition":-1}"#, "field 'partition' must be an integer from 0 to 2147483647, not -1", column: 26)
        assertInvalid(#"{"topic":"t","partition":2147483648}"#, "field 'partition' must be an integer from 0 to 2147483647, not 2147483648", column: 26)
        assertInvalid(#"{"topic":"t","offset":1.5}"#, "field 'offset' must be a non-negative integer, not 1.5", column: 23)
        assertInvalid(#"{"topic":"t","ts":"now"}"#, "field 'ts' must be an integer (milliseconds since the epoch), not \"now\"", column: 19)
        assertInvalid(#"{"topic":"t","key":1}"#, "field 'key' must be a string or null, not 1", column: 20)
        assertInvalid(#"{"topic":"t","payload":{"a":1}}"#, "field 'payload' must be a string or null (use 'value' for any json), not an object", column: 24)
        assertInvalid(#"{"topic":"t","payload":"x","value":1}"#, "an envelope has either 'payload' or 'value', not both", column: 36)
        assertInvalid(#"{"topic":"t","headers":["a"]}"#, "field 'headers' must list name, value pairs, but has 1 elements", column: 24)
        assertInvalid(#"{"topic":"t","headers":[1,"v"]}"#, "header names must be strings, not 1", column: 24)
        assertInvalid(#"{"topic":"t","headers":{"a":true}}"#, "header 'a' must be a string or null, not true", column: 24)
        assertInvalid(#"{"topic":"t","headers":"a=b"}"#, "field 'headers' must be an array of names and values or an object, not \"a=b\"", column: 24)
        assertInvalid(#"{"topic":"t","paylod":"x"}"#, "unknown field 'paylod'; did you mean 'payload'?", column: 14)
        assertInvalid(#"{"topic":"t","id":1}"#, "unknown field 'id'", column: 14)
        assertInvalid(#"{"topic":"t","topic":"u"}"#, "duplicate field 'topic'", column: 14)
    }

    func testInvalidUTF8IsAnErrorWithACharacterColumn() {
        var bytes = Array(#"{"topic":"é","payload":""#.utf8)
        bytes += [0xFF]
        bytes += Array("\"}\n".utf8)
        let lines = Array(RecordingReader(bytes: bytes, file: "f"))
        guard lines.count == 1, case .invalid(let diagnostic) = lines[0] else { return XCTFail("\(lines)") }
        XCTAssertEqual(diagnostic.message, "invalid json: invalid utf-8 in string")
        XCTAssertEqual(diagnostic.location, SourceLocation(file: "f", line: 1, column: 25))
    }

    func testByteOrderMarkAndDefaultTopic() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(#"{"payload":"x"}"#.utf8)
        let lines = Array(RecordingReader(bytes: bytes, file: "f", defaultTopic: "input-topic"))
        XCTAssertEqual(lines, [.record(Record(topic: "input-topic", value: Array("x".utf8)), line: 1)])
    }

    func testRecordsFromBytes() {
        let (records, diagnostics) = RecordingReader.records(
            from: Array("{\"topic\":\"a\"}\n{\n{\"topic\":\"b\"}".utf8), file: "x.jsonl")
        XCTAssertEqual(records.map(\.topic), ["a", "b"])
        XCTAssertEqual(diagnostics.map { $0.location?.line }, [2])
    }

    func testDecoderForParsedObjects() throws {
        var decoder = RecordingEnvelopeDecoder()
        let object: JSONObject = ["key": .string("A"), "ts": .int(5), "value": .object(["id": .int(1)])]
        let record = try decoder.decode(object, defaultTopic: "in")
        XCTAssertEqual(record, Record(topic: "in", offset: 0, timestamp: 5, key: Array("A".utf8), value: Array(#"{"id":1}"#.utf8)))
        XCTAssertEqual(try decoder.decode(object, defaultTopic: "in").offset, 1)
        XCTAssertThrowsError(try decoder.decode(["partition": .string("x")], defaultTopic: "in")) { error in
            XCTAssertEqual(error as? RecordingEnvelopeError, RecordingEnvelopeError(
                field: "partition", "field 'partition' must be an integer from 0 to 2147483647, not \"x\""))
        }
        XCTAssertThrowsError(try decoder.decode(["key": .null])) { error in
            XCTAssertEqual((error as? RecordingEnvelopeError)?.field, nil)
        }
    }
}
