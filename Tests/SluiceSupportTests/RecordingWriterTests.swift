import XCTest
import SluiceSupport

final class RecordingWriterTests: XCTestCase {
    func testWritesTheKcatEnvelope() {
        let record = Record(
            topic: "output-topic", partition: 0, offset: 0, timestamp: 1736990000000, key: Array("A".utf8),
            headers: [Header("k", "v")], value: Array(#"{"id":1}"#.utf8))
        XCTAssertEqual(
            record.envelopeLine(),
            #"{"topic":"output-topic","partition":0,"offset":0,"tstype":"create","ts":1736990000000,"broker":-1,"headers":["k","v"],"key":"A","payload":"{\"id\":1}"}"# + "\n")
    }

    func testNullsAndNoHeaders() {
        let record = Record(topic: "t", partition: 3, offset: 7, timestamp: -1, key: nil, value: nil)
        XCTAssertEqual(
            record.envelopeLine(broker: 2),
            #"{"topic":"t","partition":3,"offset":7,"tstype":"create","ts":-1,"broker":2,"key":null,"payload":null}"# + "\n")
        let withNullHeader = Record(topic: "t", headers: [Header(name: "h", value: nil)], value: [])
        XCTAssertTrue(withNullHeader.envelopeLine().contains(#""headers":["h",null],"key":null,"payload":"""#))
    }

    func testEscapesAndInvalidUTF8() {
        let record = Record(
            topic: "t\"q", key: [0x61, 0xFF, 0x62], headers: [Header("n\n", "é")], value: Array("line\nbreak\t\u{1}😀".utf8))
        let line = record.envelopeLine()
        XCTAssertTrue(line.contains(#""topic":"t\"q""#), line)
        XCTAssertTrue(line.contains(#""key":"a\#u{FFFD}b""#), line)
        XCTAssertTrue(line.contains(#""headers":["n\n","é"]"#), line)
        XCTAssertTrue(line.contains(#""payload":"line\nbreak\t\u0001😀""#), line)
        XCTAssertEqual(line.filter { $0 == "\n" }.count, 1)
    }

    func testRoundTrip() {
        let records = [
            Record(
                topic: "input-topic", partition: 1, offset: 42, timestamp: 1736990000000, key: Array("A".utf8),
                headers: [Header("a", "1"), Header(name: "b", value: nil), Header("a", "2")],
                value: Array(#"{"id": 1, "s": "q\"uote\\d", "u": "é😀"}"#.utf8)),
            Record(topic: "t", partition: 0, offset: 0, timestamp: 0, key: nil, value: nil),
            Record(topic: "t", partition: 2147483647, offset: Int64.max, timestamp: Int64.min, key: [], value: []),
            Record(topic: "ü", offset: 3, key: Array("\u{0}\u{1F}".utf8), value: Array("\r\n".utf8)),
        ]
        var writer = RecordingWriter(broker: 1)
        writer.write(contentsOf: records)
        let (read, diagnostics) = RecordingReader.records(from: writer.bytes, file: "out")
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(read, records)
        // Written again, the text is the same.
        var again = RecordingWriter(broker: 1)
        again.write(contentsOf: read)
        XCTAssertEqual(again.text, writer.text)
        XCTAssertEqual(writer.text.split(separator: "\n").count, records.count)
    }

    func testKcatLineRoundTrips() throws {
        let line = #"{"topic":"input-topic","partition":0,"offset":42,"tstype":"create","ts":1736990000000,"broker":-1,"headers":["h","v"],"key":"A","payload":"{\"id\":1}"}"# + "\n"
        let (records, _) = RecordingReader.records(from: Array(line.utf8), file: "f")
        XCTAssertEqual(records.first?.envelopeLine(), line)
    }

    func testWriterAppendsAndTakes() {
        var writer = RecordingWriter()
        writer.write(Record(topic: "a", value: nil))
        var out = Array("x".utf8)
        Record(topic: "b", value: nil).writeEnvelope(into: &out)
        XCTAssertTrue(String(decoding: out, as: UTF8.self).hasPrefix(#"x{"topic":"b""#))
        let taken = writer.takeBytes()
        XCTAssertTrue(String(decoding: taken, as: UTF8.self).hasPrefix(#"{"topic":"a""#))
        XCTAssertEqual(writer.bytes, [])
    }
}
