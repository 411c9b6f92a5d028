import SluiceSupport
import SluiceYAML
import XCTest

final class YAMLScalarTests: XCTestCase {
    private func loc(_ line: Int, _ column: Int) -> SourceLocation {
        SourceLocation(file: "p.yaml", line: line, column: column)
    }

    private func scalar(_ text: String, key: String = "k") throws -> YAMLScalar {
        let document = YAMLLoader.load(text, file: "p.yaml")
        XCTAssertEqual(document.diagnostics, [])
        return try XCTUnwrap(document.root?.value(forKey: key)?.scalar)
    }

    private func offset(of needle: String, in text: String) throws -> Int {
        let range = try XCTUnwrap(text.range(of: needle))
        return text.utf8.distance(from: text.startIndex, to: range.lowerBound)
    }

    func testPlainOffsets() throws {
        let value = try scalar("k: category +\n")
        XCTAssertEqual(value.style, .plain)
        XCTAssertEqual(value.lineStarts, [loc(1, 4)])
        XCTAssertEqual(value.location(ofUTF8Offset: 9), loc(1, 13))
        XCTAssertEqual(value.location(ofUTF8Offset: 0), loc(1, 4))
    }

    func testDoubleQuotedOffsets() throws {
        let value = try scalar("k: \"category +\"\n")
        XCTAssertEqual(value.style, .doubleQuoted)
        XCTAssertEqual(value.location(ofUTF8Offset: 9), loc(1, 14))
        let escaped = try scalar(#"k: "a[\"x\"] +""# + "\n")
        XCTAssertEqual(escaped.text, #"a["x"] +"#)
        XCTAssertEqual(escaped.location(ofUTF8Offset: try offset(of: "+", in: escaped.text)), loc(1, 14))
    }

    func testSingleQuotedOffsets() throws {
        let value = try scalar("k: 'it''s é +'\n")
        XCTAssertEqual(value.text, "it's é +")
        XCTAssertEqual(value.style, .singleQuoted)
        XCTAssertEqual(value.location(ofUTF8Offset: try offset(of: "+", in: value.text)), loc(1, 13))
    }

    func testNonASCIIBeforeOffset() throws {
        let value = try scalar("k: naïve café + x\n")
        XCTAssertEqual(value.location(ofUTF8Offset: try offset(of: "+", in: value.text)), loc(1, 15))
    }

    func testLiteralBlock() throws {
        let text = """
            k: |  # a comment
              first line
                indented é
              third + x

            other: 1
            """
        let value = try scalar(text)
        XCTAssertEqual(value.style, .literal)
        XCTAssertEqual(value.text, "first line\n  indented é\nthird + x\n")
        XCTAssertEqual(value.lineStarts, [loc(2, 3), loc(3, 3), loc(4, 3), loc(5, 3)])
        XCTAssertEqual(value.location(ofUTF8Offset: try offset(of: "+", in: value.text)), loc(4, 9))
        XCTAssertEqual(value.location(ofUTF8Offset: try offset(of: "é", in: value.text)), loc(3, 14))
    }

    func testLiteralBlockWithLeadingEmptyLine() throws {
        let value = try scalar("k: |-\n\n    a\n    b +\n")
        XCTAssertEqual(value.text, "\na\nb +")
        XCTAssertEqual(value.lineStarts, [loc(2, 5), loc(3, 5), loc(4, 5)])
        XCTAssertEqual(value.location(ofUTF8Offset: try offset(of: "+", in: value.text)), loc(4, 7))
    }

    func testFoldedBlock() throws {
        let value = try scalar("k: >\n  one\n  two\n\n  three +\n")
        XCTAssertEqual(value.style, .folded)
        XCTAssertEqual(value.text, "one two\nthree +\n")
        XCTAssertEqual(value.lineStarts.first, loc(2, 3))
        XCTAssertEqual(value.lineStarts[1], loc(5, 3))
        XCTAssertEqual(value.location(ofUTF8Offset: try offset(of: "+", in: value.text)), loc(5, 9))
    }

    func testMultiLineQuoted() throws {
        let value = try scalar("k: \"a +\n\n    b\"\n")
        XCTAssertEqual(value.text, "a +\nb")
        XCTAssertEqual(value.lineStarts, [loc(1, 5), loc(3, 5)])
        XCTAssertEqual(value.location(ofUTF8Offset: try offset(of: "b", in: value.text)), loc(3, 5))
    }

    func testLocationWithoutLineStarts() {
        let value = YAMLScalar(text: "ab", style: .plain, lineStarts: [])
        XCTAssertEqual(value.location(ofUTF8Offset: 1).column, 2)
        XCTAssertEqual(value.location(ofUTF8Offset: 99).column, 3)
    }
}
