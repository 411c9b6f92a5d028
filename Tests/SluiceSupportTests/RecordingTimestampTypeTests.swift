import SluiceSupport
import XCTest

/// The envelope's `tstype` says who set the timestamp, as kcat writes it.
final class RecordingTimestampTypeTests: XCTestCase {
    func testTimestampTypeIsWrittenAsGiven() {
        let record = Record(topic: "t", offset: 1, timestamp: 1736990000000, value: Array("{}".utf8))
        XCTAssertTrue(record.envelopeLine().contains(#""tstype":"create","ts":1736990000000"#))
        var bytes: [UInt8] = []
        record.writeEnvelope(into: &bytes, broker: 1, timestampType: "logappend")
        let line = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(line.contains(#""offset":1,"tstype":"logappend","ts":1736990000000,"broker":1"#), line)
        // A recording with either type reads back the same record.
        let read = RecordingReader.records(from: bytes, file: "test.jsonl")
        XCTAssertEqual(read.diagnostics, [])
        XCTAssertEqual(read.records, [record])
    }
}
