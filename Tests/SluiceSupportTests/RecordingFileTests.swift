import Foundation
import XCTest
import SluiceSupport

final class RecordingFileTests: XCTestCase {
    func testReadsAFileWhole() throws {
        let path = NSTemporaryDirectory() + "sluice-recording-\(UUID().uuidString).jsonl"
        var content = ""
        for i in 0..<50_000 { content += "{\"topic\":\"t\",\"payload\":\"\(i)\"}\n" }
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = try RecordingFile.read(path: path)
        XCTAssertEqual(bytes, Array(content.utf8))
        XCTAssertEqual(RecordingReader.records(from: bytes, file: path).records.count, 50_000)
    }

    func testReportsUnreadableFiles() {
        XCTAssertThrowsError(try RecordingFile.read(path: "/nonexistent/recording.jsonl")) { error in
            XCTAssertEqual(
                (error as? Diagnostic)?.description,
                "error: cannot read '/nonexistent/recording.jsonl': no such file or directory [recording-unreadable]")
        }
        XCTAssertThrowsError(try RecordingFile.read(path: NSTemporaryDirectory())) { error in
            XCTAssertEqual((error as? Diagnostic)?.code, "recording-unreadable")
        }
    }
}
