/// Reads `.env` files the way python-dotenv does, for `sluice run`'s configuration.
///
/// Lines are `KEY=VALUE`, optionally prefixed with `export `. Blank lines and lines starting
/// with `#` are skipped. Values may be single-quoted (taken literally), double-quoted (with
/// `\n`, `\t`, `\"` and `\\` escapes, and may span lines) or bare (an inline ` #` starts a
/// comment; surrounding spaces are trimmed). `${VAR}` in unquoted and double-quoted values is
/// replaced from earlier lines or from `environment`. Lines that are not assignments are
/// reported by line number, never by content, since they may hold secrets.
public enum DotEnv {
    public struct Result: Sendable, Equatable {
        public var values: [String: String]
        /// 1-based line numbers of lines that could not be read.
        public var badLines: [Int]
    }

    /// Parses `text`; `environment` resolves `${VAR}` references not defined in the file.
    public static func parse(_ text: String, environment: [String: String] = [:]) -> Result {
        var values: [String: String] = [:]
        var badLines: [Int] = []
        let chars = Array(text.unicodeScalars)
        var i = 0
        var line = 1
        func skipSpaces() {
            while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 }
        }
        func skipToLineEnd() {
            while i < chars.count, chars[i] != "\n" { i += 1 }
            if i < chars.count {
                i += 1
                line += 1
            }
        }
        while i < chars.count {
            let startLine = line
            skipSpaces()
            guard i < chars.count else { break }
            if chars[i] == "\n" || chars[i] == "\r" || chars[i] == "#" {
                skipToLineEnd()
                continue
            }
            var name = readName(chars, &i)
            if name == "export" {
                skipSpaces()
                name = readName(chars, &i)
            }
            skipSpaces()
            guard !name.isEmpty, i < chars.count, chars[i] == "=" else {
                badLines.append(startLine)
                skipToLineEnd()
                continue
            }
            i += 1
            skipSpaces()
            let lookup: (String) -> String? = { values[$0] ?? environment[$0] }
            guard let value = readValue(chars, &i, &line, lookup: lookup) else {
                badLines.append(startLine)
                skipToLineEnd()
                continue
            }
            values[name] = value
            skipToLineEnd()
        }
        return Result(values: values, badLines: badLines)
    }

    private static func readName(_ chars: [Unicode.Scalar], _ i: inout Int) -> String {
        var name = String.UnicodeScalarView()
        while i < chars.count, chars[i].properties.isAlphabetic || ("0"..."9").contains(chars[i]) || chars[i] == "_" || chars[i] == "." || chars[i] == "-" {
            name.append(chars[i])
            i += 1
        }
        return String(name)
    }

    /// Reads a value starting at `i`; nil when a quote is not closed.
    private static func readValue(
        _ chars: [Unicode.Scalar], _ i: inout Int, _ line: inout Int, lookup: (String) -> String?
    ) -> String? {
        guard i < chars.count else { return "" }
        let quote = chars[i]
        if quote == "'" || quote == "\"" {
            var j = i + 1
            var raw = String.UnicodeScalarView()
            var lines = 0
            while j < chars.count, chars[j] != quote {
                if quote == "\"", chars[j] == "\\", j + 1 < chars.count {
                    j += 1
                    switch chars[j] {
                    case "n": raw.append("\n")
                    case "t": raw.append("\t")
                    case "r": raw.append("\r")
                    case "\"", "\\", "'": raw.append(chars[j])
                    default:
                        raw.append("\\")
                        raw.append(chars[j])
                    }
                } else {
                    if chars[j] == "\n" { lines += 1 }
                    raw.append(chars[j])
                }
                j += 1
            }
            guard j < chars.count else { return nil }
            i = j + 1
            line += lines
            let text = String(raw)
            if quote == "'" { return text }
            return expand(text, lookup: lookup)
        }
        var raw = String.UnicodeScalarView()
        while i < chars.count, chars[i] != "\n" {
            // ` #` starts a comment in a bare value.
            if chars[i] == "#", let last = raw.last, last == " " || last == "\t" { break }
            raw.append(chars[i])
            i += 1
        }
        let text = String(raw).trimmingSpaces()
        return expand(text, lookup: lookup)
    }

    /// Replaces `${NAME}` (and `${NAME:-default}`) from `lookup`; unknown names become empty,
    /// as in python-dotenv.
    static func expand(_ text: String, lookup: (String) -> String?) -> String {
        guard text.contains("${") else { return text }
        var output = ""
        var rest = Substring(text)
        while let start = rest.firstRange(of: "${") {
            output += rest[..<start.lowerBound]
            let after = rest[start.upperBound...]
            guard let close = after.firstIndex(of: "}") else {
                output += rest[start.lowerBound...]
                return output
            }
            let inside = String(after[..<close])
            let parts = inside.split(separator: ":-", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            output += lookup(name) ?? (parts.count > 1 ? String(parts[1]) : "")
            rest = after[after.index(after: close)...]
        }
        return output + rest
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and carriage returns.
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
            let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(scalars[first...last])
    }
}
