import SluiceSupport

/// Works out where each line of a scalar's text starts in the file.
///
/// libyaml only gives the scalar's start and end; literal block lines map one to one onto the
/// file lines after the header, other multi-line styles are matched line by line (best effort).
enum ScalarLines {
    static func lineStarts(text: String, style: ScalarStyle, start: SourceLocation, end: SourceLocation,
                           source: SourceText) -> [SourceLocation] {
        let quoted = style == .singleQuoted || style == .doubleQuoted
        let first = SourceLocation(file: start.file, line: start.line, column: start.column + (quoted ? 1 : 0))
        guard text.utf8.contains(0x0A) || style == .literal || style == .folded else { return [first] }
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        switch style {
        case .literal: return literalStarts(lines, start: start, source: source)
        case .folded: return matchedStarts(lines, first: nil, start: start, end: end, source: source)
        default: return matchedStarts(lines, first: first, start: start, end: end, source: source)
        }
    }

    /// Literal block: text line k is file line header+1+k, indented by the block indentation.
    private static func literalStarts(_ lines: [Substring.UnicodeScalarView], start: SourceLocation,
                                      source: SourceText) -> [SourceLocation] {
        var indent: Int?
        for (k, line) in lines.enumerated() where !line.isEmpty {
            if let fileLine = source.line(start.line + 1 + k) {
                indent = max(0, leadingSpaces(fileLine) - leadingSpaces(line))
                break
            }
        }
        return lines.indices.map { k in
            var column = (indent ?? 0) + 1
            if !lines[k].isEmpty, let fileLine = source.line(start.line + 1 + k) {
                column = max(0, leadingSpaces(fileLine) - leadingSpaces(lines[k])) + 1
            }
            return SourceLocation(file: start.file, line: start.line + 1 + k, column: column)
        }
    }

    /// Folded and multi-line flow scalars: find each text line's beginning in the following file lines.
    private static func matchedStarts(_ lines: [Substring.UnicodeScalarView], first: SourceLocation?,
                                      start: SourceLocation, end: SourceLocation,
                                      source: SourceText) -> [SourceLocation] {
        var result: [SourceLocation] = []
        var cursor = start.line + 1
        var lastColumn = 1
        let lastLine = min(max(end.line, start.line + 1), source.lineCount)
        for (k, line) in lines.enumerated() {
            if k == 0, let first {
                result.append(first)
                continue
            }
            let wanted = line.drop(while: { $0 == " " || $0 == "\t" })
            var found: SourceLocation?
            if !wanted.isEmpty, cursor <= lastLine {
                for number in cursor...lastLine {
                    guard let fileLine = source.line(number) else { break }
                    let content = fileLine.drop(while: { $0 == " " || $0 == "\t" })
                    // A folded line may join several file lines: compare the part both have.
                    let length = min(12, wanted.count, content.count)
                    if length > 0, content.prefix(length).elementsEqual(wanted.prefix(length)) {
                        let column = max(0, leadingSpaces(fileLine) - leadingSpaces(line)) + 1
                        found = SourceLocation(file: start.file, line: number, column: column)
                        break
                    }
                }
            }
            let location = found ?? SourceLocation(file: start.file, line: cursor, column: lastColumn)
            result.append(location)
            lastColumn = location.column
            cursor = location.line + 1
        }
        return result
    }

    private static func leadingSpaces(_ line: Substring.UnicodeScalarView) -> Int {
        line.prefix(while: { $0 == " " || $0 == "\t" }).count
    }
}

extension YAMLScalar {
    /// The file location of the character at a UTF-8 byte offset into `text`.
    ///
    /// Exact for plain scalars, single-line single-quoted scalars and literal blocks; for
    /// double-quoted scalars with escapes and for folded text it may be off by a few columns.
    public func location(ofUTF8Offset offset: Int) -> SourceLocation {
        let bytes = Array(text.utf8)
        let end = min(max(0, offset), bytes.count)
        var lineIndex = 0
        var lineStart = 0
        for index in 0..<end where bytes[index] == 0x0A {
            lineIndex += 1
            lineStart = index + 1
        }
        let before = bytes[lineStart..<end]
        // Columns count unicode scalars, like libyaml: count the bytes that start a scalar.
        var columns = before.reduce(0) { $0 + ($1 & 0xC0 != 0x80 ? 1 : 0) }
        switch style {
        case .singleQuoted: columns += before.reduce(0) { $0 + ($1 == 0x27 ? 1 : 0) }       // '' in the file
        case .doubleQuoted: columns += before.reduce(0) { $0 + ($1 == 0x22 || $1 == 0x5C ? 1 : 0) } // \" and \\
        default: break
        }
        let base: SourceLocation
        if lineIndex < lineStarts.count {
            base = lineStarts[lineIndex]
        } else if let last = lineStarts.last {
            base = SourceLocation(file: last.file, line: last.line + lineIndex - (lineStarts.count - 1), column: 1)
        } else {
            base = SourceLocation(file: "", line: 1 + lineIndex, column: 1)
        }
        return SourceLocation(file: base.file, line: base.line, column: base.column + columns)
    }
}
