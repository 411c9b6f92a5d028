/// A position in a source file; line and column are 1-based, column counts characters.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

public enum Severity: String, Sendable, Hashable, Codable {
    case error, warning, note
}

/// One finding about user input: a value, never printed by the library itself.
///
/// Codes are stable identifiers (e.g. `yaml-syntax`, `unknown-key`, `bad-duration`) that users
/// can search for; messages are lowercase and say what is wrong and, where possible, how to fix it.
public struct Diagnostic: Sendable, Hashable, Error, CustomStringConvertible {
    public var severity: Severity
    public var code: String
    public var message: String
    public var location: SourceLocation?

    public init(_ severity: Severity, code: String, _ message: String, at location: SourceLocation?) {
        self.severity = severity
        self.code = code
        self.message = message
        self.location = location
    }

    public static func error(_ code: String, _ message: String, at location: SourceLocation?) -> Diagnostic {
        Diagnostic(.error, code: code, message, at: location)
    }

    public static func warning(_ code: String, _ message: String, at location: SourceLocation?) -> Diagnostic {
        Diagnostic(.warning, code: code, message, at: location)
    }

    /// `file:line:col: error: message [code]`, the format compilers and editors understand.
    public var description: String {
        let place = location.map { "\($0): " } ?? ""
        return "\(place)\(severity.rawValue): \(message) [\(code)]"
    }
}

/// Collects diagnostics from several phases; the caller decides how to render them.
public struct Diagnostics: Sendable {
    public private(set) var all: [Diagnostic] = []

    public init() {}

    public var hasErrors: Bool { all.contains { $0.severity == .error } }
    public var errorCount: Int { all.filter { $0.severity == .error }.count }
    public var warningCount: Int { all.filter { $0.severity == .warning }.count }

    public mutating func emit(_ diagnostic: Diagnostic) { all.append(diagnostic) }
    public mutating func emit(contentsOf diagnostics: [Diagnostic]) { all.append(contentsOf: diagnostics) }

    public mutating func error(_ code: String, _ message: String, at location: SourceLocation?) {
        all.append(.error(code, message, at: location))
    }

    public mutating func warning(_ code: String, _ message: String, at location: SourceLocation?) {
        all.append(.warning(code, message, at: location))
    }

    /// Diagnostics in file, line, column order (stable for equal positions).
    public var sorted: [Diagnostic] {
        all.enumerated().sorted { a, b in
            let la = a.element.location, lb = b.element.location
            switch (la, lb) {
            case let (x?, y?) where x != y: return x < y
            case (nil, _?): return true
            case (_?, nil): return false
            default: return a.offset < b.offset
            }
        }.map(\.element)
    }
}
