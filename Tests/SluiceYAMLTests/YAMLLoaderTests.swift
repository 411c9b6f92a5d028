import SluiceSupport
import SluiceYAML
import XCTest

final class YAMLLoaderTests: XCTestCase {
    private func load(_ text: String) -> YAMLDocument {
        YAMLLoader.load(text, file: "p.yaml")
    }

    private func loc(_ line: Int, _ column: Int) -> SourceLocation {
        SourceLocation(file: "p.yaml", line: line, column: column)
    }

    func testBlockLocations() throws {
        let text = """
            pipeline: demo
            source:
              topics: [in, out]
            steps:
              - filter: "value > 0"
              - map:
                  set:
                    x: value * 2
            """
        let document = load(text)
        XCTAssertEqual(document.diagnostics, [])
        let root = try XCTUnwrap(document.root)
        XCTAssertEqual(root.kindName, "mapping")
        XCTAssertEqual(root.location, loc(1, 1))
        XCTAssertEqual(root.value(forKey: "pipeline")?.location, loc(1, 11))
        XCTAssertEqual(root.value(forKey: "pipeline")?.endLocation, loc(1, 15))
        let topics = try XCTUnwrap(root.value(forKey: "source")?.value(forKey: "topics"))
        XCTAssertEqual(topics.location, loc(3, 11))
        XCTAssertEqual(topics.endLocation, loc(3, 20))
        XCTAssertEqual(topics.sequence?.map(\.location), [loc(3, 12), loc(3, 16)])
        let steps = try XCTUnwrap(root.value(forKey: "steps")?.sequence)
        XCTAssertEqual(steps.map(\.location), [loc(5, 5), loc(6, 5)])
        XCTAssertEqual(steps[0].mapping?.first?.key.location, loc(5, 5))
        XCTAssertEqual(steps[0].value(forKey: "filter")?.location, loc(5, 13))
        XCTAssertEqual(steps[0].value(forKey: "filter")?.scalar?.style, .doubleQuoted)
        let x = try XCTUnwrap(steps[1].value(forKey: "map")?.value(forKey: "set")?.value(forKey: "x"))
        XCTAssertEqual(x.location, loc(8, 12))
        XCTAssertEqual(x.scalar?.text, "value * 2")
        // A block mapping ends where its last value ends, not at the next token.
        XCTAssertEqual(root.value(forKey: "source")?.endLocation, loc(3, 20))
    }

    func testFlowLocations() throws {
        let document = load("a: {b: [1, {c: d}], e: 'f'}\n")
        XCTAssertEqual(document.diagnostics, [])
        let a = try XCTUnwrap(document.root?.value(forKey: "a"))
        XCTAssertEqual(a.location, loc(1, 4))
        XCTAssertEqual(a.endLocation, loc(1, 28))
        let b = try XCTUnwrap(a.value(forKey: "b")?.sequence)
        XCTAssertEqual(b[1].location, loc(1, 12))
        XCTAssertEqual(b[1].value(forKey: "c")?.location, loc(1, 16))
        XCTAssertEqual(a.value(forKey: "e")?.scalar?.lineStarts, [loc(1, 25)])
    }

    func testColumnsCountCharacters() throws {
        let document = load("é: ünï\nb: x\n")
        XCTAssertEqual(document.root?.value(forKey: "é")?.location, loc(1, 4))
    }

    func testAnchorsAndAliases() throws {
        let text = """
            base: &b {x: 1, y: [2]}
            copy: *b
            name: &n hello
            again: *n
            """
        let document = load(text)
        XCTAssertEqual(document.diagnostics, [])
        let root = try XCTUnwrap(document.root)
        XCTAssertEqual(root.value(forKey: "copy")?.toValue(), root.value(forKey: "base")?.toValue())
        XCTAssertEqual(root.value(forKey: "copy")?.location, loc(2, 7))
        XCTAssertEqual(root.value(forKey: "copy")?.value(forKey: "x")?.location, loc(1, 14))
        XCTAssertEqual(root.value(forKey: "again")?.scalar?.text, "hello")
    }

    func testUnknownAlias() {
        let document = load("a: *nope\n")
        XCTAssertEqual(document.diagnostics.map(\.code), ["yaml-unknown-alias"])
        XCTAssertEqual(document.diagnostics.first?.location, loc(1, 4))
    }

    func testMergeKeys() throws {
        let text = """
            defaults: &d {size: 10s, grace: 1s}
            window:
              <<: *d
              size: 60s
            """
        let document = load(text)
        XCTAssertEqual(document.diagnostics, [])
        let window = try XCTUnwrap(document.root?.value(forKey: "window"))
        // Merged pairs take the place of `<<`; explicit keys win.
        XCTAssertEqual(window.toValue(), .object(["grace": .string("1s"), "size": .string("60s")]))
    }

    func testBillionLaughsStops() {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(refs)]\n"
        }
        let start = Date()
        let document = load(text)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertNil(document.root)
        XCTAssertEqual(document.diagnostics.map(\.code), ["yaml-too-large"])
        XCTAssertNotNil(document.diagnostics.first?.location)
    }

    func testDeepNesting() {
        let document = load(String(repeating: "[", count: 10_000))
        XCTAssertNil(document.root)
        XCTAssertEqual(document.diagnostics.map(\.code), ["yaml-too-deep"])
        XCTAssertEqual(document.diagnostics.first?.location, loc(1, 513))
        let fine = load(String(repeating: "[", count: 100) + String(repeating: "]", count: 100))
        XCTAssertEqual(fine.diagnostics, [])
    }

    func testDeepNestingThroughAliases() {
        let inner = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        let text = "a: &a \(inner)\nb: " + String(repeating: "[", count: 300) + "*a" + String(repeating: "]", count: 300)
        XCTAssertEqual(load(text).diagnostics.map(\.code), ["yaml-too-deep"])
    }

    func testUnclosedFlowSequence() throws {
        let document = load("a: [x, y\nb: 1\n")
        XCTAssertNil(document.root)
        let error = try XCTUnwrap(document.diagnostics.first)
        XCTAssertEqual(error.code, "yaml-syntax")
        XCTAssertEqual(error.location, loc(2, 2))
        XCTAssertTrue(error.message.contains("while parsing a flow sequence started at line 1, column 4"), error.message)
        XCTAssertEqual(error.message, error.message.lowercased())
    }

    func testUnclosedFlowSequenceAtEnd() throws {
        let error = try XCTUnwrap(load("[a, b").diagnostics.first)
        XCTAssertEqual(error.code, "yaml-syntax")
        XCTAssertEqual(error.location, loc(1, 6))
    }

    func testErrorAtEndOfFilePointsAfterLastContent() throws {
        let error = try XCTUnwrap(load("a: [x, y\n\n").diagnostics.first)
        XCTAssertEqual(error.location, loc(1, 9))
    }

    func testBadIndentation() throws {
        let error = try XCTUnwrap(load("a:\n  b: 1\n c: 2\n").diagnostics.first)
        XCTAssertEqual(error.code, "yaml-syntax")
        XCTAssertEqual(error.location, loc(3, 2))
    }

    func testTabIndentation() throws {
        let error = try XCTUnwrap(load("a:\n\tb: 1\n").diagnostics.first)
        XCTAssertEqual(error.code, "yaml-syntax")
        XCTAssertEqual(error.location, loc(2, 1))
        XCTAssertEqual(error.message, "tab characters cannot be used for indentation; use spaces")
    }

    func testDuplicateKeys() throws {
        let document = load("window:\n  type: tumbling\n  size: 1s\n  size: 2s\n")
        XCTAssertNotNil(document.root)
        XCTAssertEqual(document.diagnostics, [
            .error("yaml-duplicate-key", "duplicate key 'size' (first defined at line 3)", at: loc(4, 3)),
        ])
    }

    func testMultipleDocuments() throws {
        let document = load("a: 1\n---\nb: 2\n")
        XCTAssertEqual(document.diagnostics.map(\.code), ["yaml-multiple-documents"])
        XCTAssertEqual(document.diagnostics.first?.location, loc(2, 1))
    }

    func testEmptyInput() {
        for text in ["", "\n\n", "# only a comment\n"] {
            let document = load(text)
            XCTAssertNil(document.root)
            XCTAssertEqual(document.diagnostics, [])
        }
    }

    func testInvalidUTF8Bytes() throws {
        let bytes: [UInt8] = Array("a: 1\nb: x".utf8) + [0xFF, 0x41] + Array("\n".utf8)
        let document = YAMLLoader.load(bytes: bytes, file: "p.yaml")
        XCTAssertNil(document.root)
        let error = try XCTUnwrap(document.diagnostics.first)
        XCTAssertEqual(error.code, "yaml-invalid-utf8")
        XCTAssertEqual(error.location, loc(2, 5))
        // Valid bytes load like text.
        let good = YAMLLoader.load(bytes: Array("a: é\n".utf8), file: "p.yaml")
        XCTAssertEqual(good.root?.value(forKey: "a")?.scalar?.text, "é")
    }

    func testNULByte() throws {
        let document = load("a: 1\nb: x\u{0}y\n")
        XCTAssertNil(document.root)
        let error = try XCTUnwrap(document.diagnostics.first)
        XCTAssertEqual(error.code, "yaml-syntax")
        XCTAssertEqual(error.location, loc(2, 5))
    }

    func testMangledInputNeverCrashes() {
        let sample = Array("""
            pipeline: demo # c
            source: {topics: [in], event_time: {field: ts, unit: seconds}}
            steps:
              - map: &m
                  set: {x: "a\\u00e9 \\"q\\"", y: 'it''s'}
              - window: {<<: *m, size: 60s}
            text: |
              line one
                line two
            folded: >-
              a
              b
            """.utf8)
        var seed: UInt64 = 42
        func next(_ bound: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(bound))
        }
        let pieces: [UInt8] = Array("[]{}:-,'\"|>&*!#\t\n \\é".utf8) + [0, 0xFF, 0xC3]
        for _ in 0..<400 {
            var bytes = sample
            for _ in 0...next(4) {
                let at = next(bytes.count)
                switch next(3) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(pieces[next(pieces.count)], at: at)
                default: bytes[at] = pieces[next(pieces.count)]
                }
            }
            let document = YAMLLoader.load(bytes: bytes, file: "p.yaml")
            _ = document.root?.toValue()
            if document.root == nil, !document.diagnostics.isEmpty {
                XCTAssertNotNil(document.diagnostics.first?.location)
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if let scalar = YAMLLoader.load(text, file: "p.yaml").root?.value(forKey: "text")?.scalar {
                for offset in 0...scalar.text.utf8.count { _ = scalar.location(ofUTF8Offset: offset) }
            }
        }
    }

    func testTags() throws {
        let root = try XCTUnwrap(load("a: !!str 12\nb: !custom x\n").root)
        XCTAssertEqual(root.value(forKey: "a")?.tag, "!!str")
        XCTAssertEqual(root.value(forKey: "a")?.toValue(), .string("12"))
        XCTAssertEqual(root.value(forKey: "b")?.tag, "!custom")
    }
}
