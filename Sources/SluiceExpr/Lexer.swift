/// A token of the expression language with its UTF-8 byte range.
struct Token: Sendable {
    var kind: TokenKind
    var offset: Int
    var end: Int
}

enum Keyword: String, Sendable {
    case and, or, not, `in`, `true`, `false`, null, this
}

enum TokenKind: Sendable, Equatable {
    /// An integer literal's magnitude; up to 2^63 so that `-9223372036854775808` parses.
    case integer(UInt64)
    case number(Double)
    case string(String)
    case identifier(String)
    case keyword(Keyword)
    case symbol(String)
    case end

    /// How the token reads in an error message.
    var description: String {
        switch self {
        case .integer(let value): "number \(value)"
        case .number(let value): "number \(value)"
        case .string: "a string"
        case .identifier(let name): "'\(name)'"
        case .keyword(let keyword): "'\(keyword.rawValue)'"
        case .symbol(let symbol): "'\(symbol)'"
        case .end: "the end of the expression"
        }
    }
}

/// Splits expression source text into tokens, tracking UTF-8 byte offsets.
struct Lexer {
    private let bytes: [UInt8]
    private var position = 0

    init(_ source: String) { bytes = Array(source.utf8) }

    static func keyword(_ name: String) -> Keyword? { Keyword(rawValue: name) }
    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F || byte >= 0x80
    }
    static func isIdentifierPart(_ byte: UInt8) -> Bool { isIdentifierStart(byte) || isDigit(byte) }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
    }

    /// All tokens, ending with `.end` at offset `source.utf8.count`.
    static func tokens(_ source: String) throws(ExpressionError) -> [Token] {
        var lexer = Lexer(source)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        position + ahead < bytes.count ? bytes[position + ahead] : nil
    }

    private mutating func next() throws(ExpressionError) -> Token {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            position += 1
        }
        let start = position
        guard let byte = peek() else { return Token(kind: .end, offset: start, end: start) }
        if Lexer.isDigit(byte) { return try number() }
        if Lexer.isIdentifierStart(byte) {
            while let b = peek(), Lexer.isIdentifierPart(b) { position += 1 }
            let name = String(decoding: bytes[start..<position], as: UTF8.self)
            let kind: TokenKind = Lexer.keyword(name).map { .keyword($0) } ?? .identifier(name)
            return Token(kind: kind, offset: start, end: position)
        }
        if byte == 0x22 || byte == 0x27 { return try string(quote: byte) }
        let two = peek(1).map { String(decoding: [byte, $0], as: UTF8.self) }
        if let two, ["==", "!=", "<=", ">=", "&&", "||", "??"].contains(two) {
            position += 2
            return Token(kind: .symbol(two), offset: start, end: position)
        }
        let one = String(decoding: [byte], as: UTF8.self)
        switch one {
        case "+", "-", "*", "/", "%", "<", ">", "!", "(", ")", "[", "]", ",", ".":
            position += 1
            return Token(kind: .symbol(one), offset: start, end: position)
        case "=": throw ExpressionError("unexpected '='; use '==' to compare", offset: start)
        case "&": throw ExpressionError("unexpected '&'; use 'and' or '&&'", offset: start)
        case "|": throw ExpressionError("unexpected '|'; use 'or' or '||'", offset: start)
        case "?": throw ExpressionError("unexpected '?'; use '??' for a default value", offset: start)
        default:
            let character = String(decoding: bytes[start...].prefix(4), as: UTF8.self).first.map(String.init) ?? one
            throw ExpressionError("unexpected character '\(character)'", offset: start)
        }
    }

    private mutating func number() throws(ExpressionError) -> Token {
        let start = position
        while let b = peek(), Lexer.isDigit(b) { position += 1 }
        var isInteger = true
        if peek() == 0x2E, let after = peek(1), Lexer.isDigit(after) {
            isInteger = false
            position += 1
            while let b = peek(), Lexer.isDigit(b) { position += 1 }
        }
        if let e = peek(), e == 0x65 || e == 0x45 {
            isInteger = false
            position += 1
            if let sign = peek(), sign == 0x2B || sign == 0x2D { position += 1 }
            guard let digit = peek(), Lexer.isDigit(digit) else {
                throw ExpressionError("expected digits after the exponent 'e'", offset: position)
            }
            while let b = peek(), Lexer.isDigit(b) { position += 1 }
        }
        if let b = peek(), Lexer.isIdentifierStart(b) {
            throw ExpressionError("unexpected '\(String(decoding: [b], as: UTF8.self))' after a number", offset: position)
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger {
            guard let magnitude = UInt64(text), magnitude <= UInt64(Int64.max) + 1 else {
                throw ExpressionError("integer \(text) is too large (the limit is \(Int64.max))", offset: start)
            }
            return Token(kind: .integer(magnitude), offset: start, end: position)
        }
        guard let value = Double(text), value.isFinite else {
            throw ExpressionError("number \(text) is too large", offset: start)
        }
        return Token(kind: .number(value), offset: start, end: position)
    }

    private mutating func string(quote: UInt8) throws(ExpressionError) -> Token {
        let start = position
        position += 1
        var out: [UInt8] = []
        while true {
            guard let byte = peek() else {
                let q = quote == 0x22 ? "\"" : "'"
                throw ExpressionError("expected a closing \(q) to end the string", offset: bytes.count)
            }
            position += 1
            if byte == quote { break }
            if byte != 0x5C {
                out.append(byte)
                continue
            }
            let escapeOffset = position - 1
            guard let escaped = peek() else { continue }
            position += 1
            switch escaped {
            case 0x6E: out.append(0x0A)  // n
            case 0x74: out.append(0x09)  // t
            case 0x72: out.append(0x0D)  // r
            case 0x30: out.append(0x00)  // 0
            case 0x5C, 0x22, 0x27, 0x2F: out.append(escaped)
            case 0x75: out.append(contentsOf: try unicodeEscape(at: escapeOffset))  // u
            default:
                let shown = String(decoding: [escaped], as: UTF8.self)
                throw ExpressionError("unknown escape '\\\(shown)' in string; use '\\\\' for a backslash", offset: escapeOffset)
            }
        }
        return Token(kind: .string(String(decoding: out, as: UTF8.self)), offset: start, end: position)
    }

    /// `\uXXXX` (with a following low surrogate when needed) or `\u{X...}`, after the `u`.
    private mutating func unicodeEscape(at escapeOffset: Int) throws(ExpressionError) -> [UInt8] {
        let bad = ExpressionError("invalid unicode escape; use \\uXXXX or \\u{XXXX}", offset: escapeOffset)
        var scalarValue: UInt32
        if peek() == 0x7B {
            position += 1
            let digitsStart = position
            while let b = peek(), b != 0x7D { position += 1 }
            guard peek() == 0x7D, position > digitsStart, position - digitsStart <= 6,
                  bytes[digitsStart..<position].allSatisfy(Lexer.isHexDigit),
                  let value = UInt32(String(decoding: bytes[digitsStart..<position], as: UTF8.self), radix: 16)
            else { throw bad }
            position += 1
            scalarValue = value
        } else {
            guard let high = hex4() else { throw bad }
            scalarValue = high
            if (0xD800...0xDBFF).contains(high) {
                guard peek() == 0x5C, peek(1) == 0x75 else { throw bad }
                position += 2
                guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { throw bad }
                scalarValue = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            }
        }
        guard let scalar = Unicode.Scalar(scalarValue) else { throw bad }
        return Array(String(Character(scalar)).utf8)
    }

    private mutating func hex4() -> UInt32? {
        guard position + 4 <= bytes.count, bytes[position..<position + 4].allSatisfy(Lexer.isHexDigit),
              let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
        else { return nil }
        position += 4
        return value
    }
}
