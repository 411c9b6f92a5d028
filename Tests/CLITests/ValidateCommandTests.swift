import Foundation
import SluiceSupport
import XCTest

final class ValidateCommandTests: XCTestCase {
    private let bad = "Tests/SluiceCoreTests/Fixtures/bad"

    func testExamplePipelinesAreValid() throws {
        let pipelines = try FileManager.default
            .contentsOfDirectory(atPath: SluiceBinary.root.appendingPathComponent("pipelines").path)
            .filter { $0.hasSuffix(".yaml") }.sorted().map { "pipelines/" + $0 }
        let result = try SluiceBinary.run(["validate"] + pipelines)
        XCTAssertEqual(result.status, 0, result.stdout)
        XCTAssertEqual(result.stdout, "\(pipelines.count) files checked: ok\n")
        let single = try SluiceBinary.run(["validate", "pipelines/seed-processor.yaml"])
        XCTAssertEqual(single.stdout, "pipelines/seed-processor.yaml: ok\n")
    }

    func testRepartitionTopicIsANoteThatDoesNotFail() throws {
        let result = try SluiceBinary.run(["validate", "testdata/repartition/category-totals.yaml"])
        XCTAssertEqual(result.status, 0, result.stdout)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, result.stdout)
        XCTAssertTrue(lines[0].hasPrefix("testdata/repartition/category-totals.yaml:"), lines[0])
        XCTAssertTrue(lines[0].contains(": note: aggregate is keyed by 'category'"), lines[0])
        XCTAssertTrue(lines[0].contains("'category-totals-2-repartition'"), lines[0])
        XCTAssertTrue(lines[0].hasSuffix("declare 'keyed_by: category' on the source [repartition-topic]"), lines[0])
        XCTAssertEqual(lines[1], "testdata/repartition/category-totals.yaml: ok")
    }

    func testErrorsAreReportedWithFileLineAndColumn() throws {
        let result = try SluiceBinary.run(["validate", "misspelled-window-type.yaml", "bad-duration.yaml"],
                                          in: SluiceBinary.root.appendingPathComponent(bad))
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, """
            misspelled-window-type.yaml:6:13: error: unknown window type 'tumbleing' (did you mean 'tumbling'?) [unknown-value]
            bad-duration.yaml:7:13: error: invalid duration '60 parsecs': use a number with ms, s, m, h or d, e.g. 60s [bad-duration]
            2 files checked: 2 errors

            """)
    }

    func testGoldenFilesMatchTheCommandOutput() throws {
        let folder = SluiceBinary.root.appendingPathComponent(bad)
        for name in ["several-errors", "unclosed-flow-sequence", "window-key-syntax-error", "unknown-top-level-key"] {
            let result = try SluiceBinary.run(["validate", name + ".yaml"], in: folder)
            let expected = try String(contentsOf: folder.appendingPathComponent(name + ".expected"), encoding: .utf8)
            XCTAssertEqual(result.status, 1, name)
            XCTAssertEqual(result.stdout, expected, name)
        }
    }

    func testJSONFormat() throws {
        let result = try SluiceBinary.run(["validate", "--format", "json", "\(bad)/several-errors.yaml"])
        XCTAssertEqual(result.status, 1)
        guard case .array(let items) = try JSON.parse(result.stdout) else { return XCTFail("not an array") }
        XCTAssertEqual(items.count, 10)
        let first = try XCTUnwrap(items.first?.objectValue)
        XCTAssertEqual(first.keys, ["file", "line", "column", "severity", "code", "message"])
        XCTAssertEqual(first["file"], .string("\(bad)/several-errors.yaml"))
        XCTAssertEqual(first["line"], .int(1))
        XCTAssertEqual(first["column"], .int(11))
        XCTAssertEqual(first["severity"], .string("error"))
        XCTAssertEqual(first["code"], .string("bad-name"))
    }

    func testGitHubFormat() throws {
        let result = try SluiceBinary.run(["validate", "--format", "github", "\(bad)/misspelled-window-type.yaml"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout.split(separator: "\n").first.map(String.init),
            "::error file=\(bad)/misspelled-window-type.yaml,line=6,col=13::unknown window type 'tumbleing' (did you mean 'tumbling'?) [unknown-value]")
    }

    func testMissingFileAndUsageErrorsExitTwo() throws {
        let missing = try SluiceBinary.run(["validate", "pipelines/seed-processor.yaml", "no/such.yaml"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stdout.contains("no/such.yaml: error: cannot read 'no/such.yaml': no such file [io-error]"))
        XCTAssertEqual(try SluiceBinary.run(["validate"]).status, 2)
        let format = try SluiceBinary.run(["validate", "--format", "xml", "pipelines/seed-processor.yaml"])
        XCTAssertEqual(format.status, 2)
        XCTAssertTrue(format.stderr.contains("unknown format 'xml'"))
    }
}
