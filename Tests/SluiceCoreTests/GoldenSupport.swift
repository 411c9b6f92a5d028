import Foundation
import SluiceCore
import SluiceSupport
import XCTest

/// Shared runner of golden fixture folders: each `NAME.yaml` is validated from its folder and its
/// report compared with `NAME.expected`, the exact text `sluice validate NAME.yaml` prints there.
/// With `SLUICE_UPDATE_GOLDEN=1` the expected files are rewritten instead.
enum GoldenFixtures {
    /// Checks every fixture in `folder` (at least `minimumCount`) and returns each one's
    /// diagnostics for the caller's own assertions.
    static func check(
        _ folder: URL, minimumCount: Int, file: StaticString = #filePath, line: UInt = #line
    ) throws -> [(name: String, diagnostics: [Diagnostic])] {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, minimumCount, file: file, line: line)
        let update = ProcessInfo.processInfo.environment["SLUICE_UPDATE_GOLDEN"] == "1"
        var results: [(name: String, diagnostics: [Diagnostic])] = []
        for name in files {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let diagnostics = PipelineLoader.load(text: text, file: name, baseDirectory: folder.path).diagnostics
            let actual = ValidationReport(files: [(name, diagnostics)]).render(.text)
            let expectedURL = folder.appendingPathComponent(name.replacingOccurrences(of: ".yaml", with: ".expected"))
            if update {
                try actual.write(to: expectedURL, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try? String(contentsOf: expectedURL, encoding: .utf8)
            XCTAssertEqual(actual, expected ?? "(no \(expectedURL.lastPathComponent))", name, file: file, line: line)
            results.append((name, diagnostics))
        }
        return results
    }
}
