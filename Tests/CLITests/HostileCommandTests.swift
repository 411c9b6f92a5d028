import Foundation
import SluiceSupport
import XCTest

/// Hostile files through the real binary: clear errors, exit codes, and no lost records.
final class HostileCommandTests: XCTestCase {
    private let hostile = "Tests/SluiceCoreTests/Fixtures/hostile"
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func testValidateReportsEachHostileFile() throws {
        let files = ["billion-laughs", "huge-numbers", "invalid-utf8", "nul-byte", "tab-indent", "truncated"].map { $0 + ".yaml" }
        let result = try SluiceBinary.run(["validate"] + files, in: SluiceBinary.root.appendingPathComponent(hostile))
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, """
            billion-laughs.yaml:13:10: error: the document expands to more than 1000000 nodes (too many aliases?) [yaml-too-large]
            huge-numbers.yaml:4:17: error: invalid duration '99999999999999999999s': use a number with ms, s, m, h or d, e.g. 60s [bad-duration]
            huge-numbers.yaml:6:23: error: number 1e400 is too large [expression-syntax]
            huge-numbers.yaml:6:35: error: integer 99999999999999999999 is too large (the limit is 9223372036854775807) [expression-syntax]
            huge-numbers.yaml:7:33: error: expected an integer, found '99999999999999999999' [wrong-type]
            huge-numbers.yaml:13:15: error: expected an integer, found '99999999999999999999' [wrong-type]
            huge-numbers.yaml:14:34: error: '1e400' is not a finite number, which json cannot hold [bad-test]
            invalid-utf8.yaml:1:14: error: the file is not valid utf-8 text (byte 0xe9 at offset 13) [yaml-invalid-utf8]
            nul-byte.yaml:1:14: error: control characters are not allowed (character 0x0) [yaml-syntax]
            tab-indent.yaml:3:1: error: tab characters cannot be used for indentation; use spaces [yaml-syntax]
            truncated.yaml:3:14: error: did not find expected ',' or ']' (while parsing a flow sequence started at line 3, column 11) [yaml-syntax]
            6 files checked: 11 errors

            """)
    }

    func testValidateTenThousandDeepFile() throws {
        let deep = "pipeline: deep\nx: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n"
        try deep.write(to: scratch.appendingPathComponent("deep.yaml"), atomically: true, encoding: .utf8)
        let result = try SluiceBinary.run(["validate", "deep.yaml"], in: scratch)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, """
            deep.yaml:2:515: error: the document nests deeper than 512 levels [yaml-too-deep]
            deep.yaml: 1 error

            """)
    }

    /// Lines that are not JSON, hold invalid UTF-8, a NUL byte, a number JSON cannot hold or a
    /// truncated object are skipped with an error each; the records around them all come through.
    func testDryRunKeepsTheRecordsAroundBadLines() throws {
        let result = try SluiceBinary.run(["dry-run", "pipeline.yaml", "-i", "bad-lines.jsonl"],
                                          in: SluiceBinary.root.appendingPathComponent(hostile))
        XCTAssertEqual(result.status, 0, result.stderr)
        let produced = RecordingReader.records(from: Array(result.stdout.utf8), file: "stdout").records
        XCTAssertEqual(produced.map { "\($0.topic) \(String(decoding: $0.key ?? [], as: UTF8.self))" },
                       ["out a", "out b", "dlq f", "out h"])
        XCTAssertEqual(produced.last.map { String(decoding: $0.value ?? [], as: UTF8.self) }, #"{"value":3,"doubled":6}"#)
        XCTAssertEqual(produced[2].value, Array(#"{"value":1e400}"#.utf8), "the dead letter keeps the original value")
        let skipped = result.stderr.split(separator: "\n").filter { $0.hasSuffix("(line skipped)") }
        XCTAssertEqual(skipped, [
            "bad-lines.jsonl:2:1: error: invalid json: invalid literal 'this', expected 'true' [recording-invalid-line] (line skipped)",
            "bad-lines.jsonl:4:53: error: invalid json: invalid utf-8 in string [recording-invalid-line] (line skipped)",
            "bad-lines.jsonl:5:43: error: invalid json: unescaped control character (byte 0x00) in string [recording-invalid-line] (line skipped)",
            "bad-lines.jsonl:6:49: error: invalid json: number out of range [recording-invalid-line] (line skipped)",
            "bad-lines.jsonl:8:1: error: invalid json: unterminated object [recording-invalid-line] (line skipped)",
        ])
        XCTAssertTrue(result.stderr.contains("unreadable input lines skipped: 5"), result.stderr)
    }

    /// A 10 MB payload goes through the pipeline whole, between two ordinary records.
    func testDryRunTenMegabytePayload() throws {
        let blob = String(repeating: "x", count: 10 << 20)
        let payload = #"{"value":3,"blob":"\#(blob)"}"#
        var recording: [UInt8] = []
        Record(topic: "in", partition: 0, offset: 0, timestamp: 1, key: Array("a".utf8), value: Array(#"{"value":1}"#.utf8))
            .writeEnvelope(into: &recording)
        Record(topic: "in", partition: 0, offset: 1, timestamp: 2, key: Array("big".utf8), value: Array(payload.utf8))
            .writeEnvelope(into: &recording)
        Record(topic: "in", partition: 0, offset: 2, timestamp: 3, key: Array("c".utf8), value: Array(#"{"value":2}"#.utf8))
            .writeEnvelope(into: &recording)
        let input = scratch.appendingPathComponent("big.jsonl")
        try Data(recording).write(to: input)
        let pipeline = SluiceBinary.root.appendingPathComponent(hostile).appendingPathComponent("pipeline.yaml")
        let result = try SluiceBinary.run(["dry-run", pipeline.path, "-i", input.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let produced = RecordingReader.records(from: Array(result.stdout.utf8), file: "stdout").records
        XCTAssertEqual(produced.map { String(decoding: $0.key ?? [], as: UTF8.self) }, ["a", "big", "c"])
        // Compared as a Bool: a failure message with 10 MB in it helps nobody.
        let expected = Array(#"{"value":3,"blob":"\#(blob)","doubled":6}"#.utf8)
        XCTAssertTrue(produced.count == 3 && produced[1].value == expected, "payload of \(produced.dropFirst().first?.value?.count ?? 0) bytes")
    }
}
