import SluiceSupport

/// The loaded file's text split into lines the way libyaml counts them, for computing positions
/// that libyaml's marks do not give directly (block scalar lines, reader errors).
final class SourceText {
    let text: String
    let file: String
    private var cachedLines: [Substring.UnicodeScalarView]?

    init(text: String, file: String) {
        self.text = text
        self.file = file
    }

    /// Line `number` (1-based) without its line break, or nil past the end.
    func line(_ number: Int) -> Substring.UnicodeScalarView? {
        let all = lines
        guard number >= 1, number <= all.count else { return nil }
        return all[number - 1]
    }

    var lineCount: Int { lines.count }

    /// The unicode scalar at a 1-based line and column, if there is one.
    func scalar(atLine line: Int, column: Int) -> Unicode.Scalar? {
        guard let text = self.line(line), column >= 1 else { return nil }
        var index = text.startIndex
        var remaining = column - 1
        while remaining > 0, index < text.endIndex {
            text.formIndex(after: &index)
            remaining -= 1
        }
        return index < text.endIndex ? text[index] : nil
    }

    /// Number of unicode scalars after any byte order mark: libyaml's mark index at the end of input.
    var scalarCount: Int {
        let count = text.unicodeScalars.count
        return text.unicodeScalars.first == "\u{FEFF}" ? count - 1 : count
    }

    /// Just past the last non-blank character, where "unexpected end of file" errors are best shown.
    var endOfContent: SourceLocation {
        var number = lineCount
        while number > 1, let text = line(number), text.allSatisfy({ $0 == " " || $0 == "\t" }) {
            number -= 1
        }
        let text = line(number)
        var length = text?.count ?? 0
        if let text {
            length -= text.reversed().prefix(while: { $0 == " " || $0 == "\t" }).count
        }
        return SourceLocation(file: file, line: number, column: length + 1)
    }

    /// The location of a byte offset into the UTF-8 bytes of the file (for libyaml reader errors).
    static func location(ofByteOffset offset: Int, in bytes: [UInt8], file: String) -> SourceLocation {
        let prefix = String(decoding: bytes.prefix(max(0, offset)), as: UTF8.self)
        var line = 1, column = 1
        var afterCR = false
        for (position, scalar) in prefix.unicodeScalars.enumerated() {
            if position == 0, scalar == "\u{FEFF}" { continue }
            if scalar == "\n" {
                if !afterCR { line += 1; column = 1 }
                afterCR = false
                continue
            }
            afterCR = scalar == "\r"
            if Self.isBreak(scalar) { line += 1; column = 1 } else { column += 1 }
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    /// Line breaks as libyaml counts them: LF, CR, CRLF (once), NEL, LS, PS.
    static func isBreak(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x0D, 0x85, 0x2028, 0x2029: true
        default: false
        }
    }

    private var lines: [Substring.UnicodeScalarView] {
        if let cachedLines { return cachedLines }
        let scalars = Substring(text).unicodeScalars
        var result: [Substring.UnicodeScalarView] = []
        var start = scalars.startIndex
        if start < scalars.endIndex, scalars[start] == "\u{FEFF}" { scalars.formIndex(after: &start) }
        var index = start
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if Self.isBreak(scalar) {
                result.append(scalars[start..<index])
                scalars.formIndex(after: &index)
                if scalar == "\r", index < scalars.endIndex, scalars[index] == "\n" {
                    scalars.formIndex(after: &index)
                }
                start = index
            } else {
                scalars.formIndex(after: &index)
            }
        }
        result.append(scalars[start..<scalars.endIndex])
        cachedLines = result
        return result
    }
}
