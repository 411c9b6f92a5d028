import Foundation
import SluiceCore
import SluiceSupport
import XCTest

/// Pipeline files built to break the loader: each must give a clear error, never a crash or a hang.
///
/// Sizes are chosen so that each test does a bounded amount of work (10,000 levels, one megabyte),
/// which a quadratic step or unbounded recursion would turn into minutes or a stack overflow.
final class HostilePipelineTests: XCTestCase {
    private let hostile = SpecFixtures.root.appendingPathComponent("Tests/SluiceCoreTests/Fixtures/hostile")

    private func load(bytes: [UInt8], file: String = "hostile.yaml") -> (spec: PipelineSpec?, diagnostics: [Diagnostic]) {
        PipelineLoader.load(bytes: bytes, file: file, baseDirectory: SpecFixtures.pipelines.path)
    }

    private func load(_ text: String) -> (spec: PipelineSpec?, diagnostics: [Diagnostic]) {
        load(bytes: Array(text.utf8))
    }

    /// `line:column code message` of every diagnostic.
    private func findings(_ diagnostics: [Diagnostic]) -> [String] {
        diagnostics.map { d in "\(d.location.map { "\($0.line):\($0.column)" } ?? "-") \(d.code) \(d.message)" }
    }

    private func fixture(_ name: String) throws -> [String] {
        let bytes = try Array(Data(contentsOf: hostile.appendingPathComponent(name)))
        let (spec, diagnostics) = load(bytes: bytes, file: name)
        XCTAssertNil(spec, name)
        return findings(diagnostics)
    }

    // MARK: the fixtures

    func testTabIndentation() throws {
        XCTAssertEqual(try fixture("tab-indent.yaml"), [
            "3:1 yaml-syntax tab characters cannot be used for indentation; use spaces",
        ])
    }

    func testNULByte() throws {
        XCTAssertEqual(try fixture("nul-byte.yaml"), [
            "1:14 yaml-syntax control characters are not allowed (character 0x0)",
        ])
    }

    func testInvalidUTF8() throws {
        XCTAssertEqual(try fixture("invalid-utf8.yaml"), [
            "1:14 yaml-invalid-utf8 the file is not valid utf-8 text (byte 0xe9 at offset 13)",
        ])
    }

    func testTruncatedFlowSequence() throws {
        XCTAssertEqual(try fixture("truncated.yaml"), [
            "3:14 yaml-syntax did not find expected ',' or ']' (while parsing a flow sequence started at line 3, column 11)",
        ])
    }

    func testBillionLaughsStopsAtTheNodeLimit() throws {
        XCTAssertEqual(try fixture("billion-laughs.yaml"), [
            "13:10 yaml-too-large the document expands to more than 1000000 nodes (too many aliases?)",
        ])
    }

    func testHugeNumbersInIntegersDurationsExpressionsAndTestRecords() throws {
        XCTAssertEqual(try fixture("huge-numbers.yaml"), [
            "4:17 bad-duration invalid duration '99999999999999999999s': use a number with ms, s, m, h or d, e.g. 60s",
            "6:23 expression-syntax number 1e400 is too large",
            "6:35 expression-syntax integer 99999999999999999999 is too large (the limit is 9223372036854775807)",
            "7:33 wrong-type expected an integer, found '99999999999999999999'",
            "13:15 wrong-type expected an integer, found '99999999999999999999'",
            "14:34 bad-test '1e400' is not a finite number, which json cannot hold",
        ])
    }

    func testNonFiniteNumbersInExpectedRecords() {
        let text = SpecFixtures.pipeline(steps: "  - filter: 'true'", extra: """
            tests:
              - name: t
                input: [{ value: { a: -.inf } }]
                expect:
                  output-topic: [{ key: .nan, value: { a: [1, .inf] } }]
            """)
        XCTAssertEqual(findings(load(text).diagnostics), [
            "10:27 bad-test '-.inf' is not a finite number, which json cannot hold",
            "12:29 bad-test '.nan' is not a finite number, which json cannot hold",
            "12:51 bad-test '.inf' is not a finite number, which json cannot hold",
        ])
    }

    // MARK: generated

    /// Every prefix of a real pipeline (cut every 7 bytes and at every line end) loads to a spec
    /// or to at least one error; the cut inside `topics: [` is a syntax error at the end.
    func testTruncatedAtEveryPoint() throws {
        let bytes = try Array(Data(contentsOf: SpecFixtures.pipelines.appendingPathComponent("category-windows.yaml")))
        var cuts = Set(stride(from: 0, to: bytes.count, by: 7))
        for (i, byte) in bytes.enumerated() where byte == 0x0A { cuts.insert(i) }
        for cut in cuts.sorted() {
            let (spec, diagnostics) = load(bytes: Array(bytes[..<cut]))
            XCTAssertTrue((spec == nil) == diagnostics.contains { $0.severity == .error }, "cut at \(cut)")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let flow = try XCTUnwrap(text.range(of: "topics: [input-topic"))
        let (spec, diagnostics) = load(String(text[..<flow.upperBound]))
        XCTAssertNil(spec)
        XCTAssertEqual(diagnostics.first?.code, "yaml-syntax")
        XCTAssertEqual(diagnostics.first?.message, "did not find expected ',' or ']' (while parsing a flow sequence started at line 8, column 11)")
    }

    func testTenThousandDeepFlowSequence() {
        let text = "pipeline: deep\nx: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n"
        XCTAssertEqual(findings(load(text).diagnostics), ["2:515 yaml-too-deep the document nests deeper than 512 levels"])
    }

    func testTenThousandDeepFlowMapping() {
        let text = "pipeline: " + String(repeating: "{a: ", count: 10_000) + "1" + String(repeating: "}", count: 10_000) + "\n"
        XCTAssertEqual(findings(load(text).diagnostics), ["1:2055 yaml-too-deep the document nests deeper than 512 levels"])
    }

    func testTenThousandDeepBlockSequence() {
        let text = "pipeline: deep\nx:\n" + String(repeating: "- ", count: 10_000) + "x\n"
        let diagnostics = load(text).diagnostics
        XCTAssertEqual(diagnostics.map(\.code), ["yaml-too-deep"])
    }

    /// An alias of a deep node inside itself nests past the limit without any deep text.
    func testDeepAliasNesting() {
        var text = "pipeline: deep\na0: &a0 [x]\n"
        for i in 1...600 { text += "a\(i): &a\(i) [*a\(i - 1)]\n" }
        XCTAssertEqual(load(text).diagnostics.map(\.code), ["yaml-too-deep"])
    }

    /// A one-megabyte key and a 600 KB function name: reported without a did-you-mean search
    /// (whose distance table would be megabytes by kilobytes).
    func testHugeUnknownKeyAndFunctionName() {
        let key = String(repeating: "x", count: 1 << 20)
        let keyFindings = load("pipeline: t\n? \(key)\n: 1\n").diagnostics.filter { $0.code == "unknown-key" }
        XCTAssertEqual(keyFindings.count, 1)
        XCTAssertFalse(keyFindings.first?.message.contains("did you mean") ?? true)

        let name = String(repeating: "lenght", count: 100_000)
        let text = SpecFixtures.pipeline(steps: "  - map: {set: {y: \"\(name)(value)\"}}")
        let diagnostics = load(text).diagnostics
        XCTAssertEqual(diagnostics.map(\.code), ["expression-syntax"])
        XCTAssertEqual(diagnostics.first?.message, "unknown function '\(name)'")
    }

    /// Field paths 10,000 names long: in `select` and `event_time` an error (the type checker
    /// and the engine follow them recursively); inside an expression, read in linear time.
    func testTenThousandNameFieldPaths() {
        let path = Array(repeating: "a", count: 10_000).joined(separator: ".")
        let select = SpecFixtures.pipeline(steps: "  - select: {fields: ['\(path)']}")
        XCTAssertEqual(findings(load(select).diagnostics), ["5:23 bad-field-path the field path has 10000 levels; at most 128 are allowed"])

        let eventTime = "pipeline: t\nsource:\n  topics: [in]\n  event_time: {field: '\(path)', unit: seconds}\nsinks:\n  - topic: out\n"
        XCTAssertEqual(findings(load(eventTime).diagnostics), ["4:23 bad-field-path the field path has 10000 levels; at most 128 are allowed"])

        let limit = Array(repeating: "a", count: 128).joined(separator: ".")
        XCTAssertNotNil(load(SpecFixtures.pipeline(steps: "  - select: {fields: ['\(limit)']}")).spec)

        let map = SpecFixtures.pipeline(steps: "  - map: {set: {y: '\(path)', z: 'value\(String(repeating: "[0]", count: 10_000))'}}")
        let (spec, diagnostics) = load(map)
        XCTAssertNotNil(spec, findings(diagnostics).joined(separator: "\n"))
    }

    /// A schema that makes every field known: deep paths into it are checked step by step.
    func testDeepFieldPathAgainstASchema() {
        let path = Array(repeating: "a", count: 10_000).joined(separator: ".")
        let text = """
            pipeline: t
            source:
              topics: [in]
              schema: ../schemas/tutorial-record.schema.json
            steps:
              - map: {set: {y: '\(path)'}}
            sinks:
              - topic: out
            """
        let diagnostics = load(text).diagnostics
        XCTAssertEqual(diagnostics.map(\.code), ["unknown-field"])
        XCTAssertEqual(diagnostics.first?.message.hasPrefix("unknown field 'a'"), true)
    }
}
