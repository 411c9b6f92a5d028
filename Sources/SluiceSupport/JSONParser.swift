/// A cursor over UTF-8 bytes that builds `Value`s; see `JSON` for the accepted language.
///
/// Internal so that the recording reader can walk an envelope's top-level fields itself and
/// learn where each value starts (for diagnostics) while reusing the same scanning code.
struct JSONParser {
    /// The bytes (at least one: callers handle empty input, which has no base address).
    let base: UnsafePointer<UInt8>
    let end: Int
    var pos = 0
    var depth = 0
    /// Reused buffer for strings with escapes.
    var scratch: [UInt8] = []

    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.end = count
    }

    // MARK: Cursor helpers

    @inline(__always) var atEnd: Bool { pos >= end }

    /// The byte at the cursor; only call when `!atEnd`.
    @inline(__always) var current: UInt8 { base[pos] }

    @inline(__always) mutating func skipWhitespace() {
        var p = pos
        while p < end {
            let c = base[p]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { break }
            p += 1
        }
        pos = p
    }

    /// An error for the byte at `offset` (or the end of input) in the form users see.
    func unexpected(at offset: Int, expecting: String? = nil) -> JSONError {
        let suffix = expecting.map { ", expected \($0)" } ?? ""
        guard offset < end else { return JSONError("unexpected end of input\(suffix)", at: offset) }
        return JSONError("unexpected \(JSONParser.describe(byte: base[offset]))\(suffix)", at: offset)
    }

    static func describe(byte c: UInt8) -> String {
        if c >= 0x21 && c < 0x7F { return "character '\(Character(Unicode.Scalar(c)))'" }
        switch c {
        case 0x20: return "space"
        case 0x0A: return "newline"
        case 0x0D: return "carriage return"
        case 0x09: return "tab"
        default:
            let hex = String(c, radix: 16)
            return "byte 0x\(hex.count == 1 ? "0" + hex : hex)"
        }
    }

    // MARK: Values

    /// Parses a whole document: one value, then only whitespace.
    mutating func parseDocument() throws(JSONError) -> Value {
        let value = try parseValue()
        skipWhitespace()
        guard atEnd else {
            throw JSONError("unexpected \(JSONParser.describe(byte: current)) after the json value", at: pos)
        }
        return value
    }

    /// Parses one value after optional whitespace.
    ///
    /// Iterative rather than recursive: enclosing arrays and objects wait in `parents`, so deep
    /// input costs heap memory, never stack, whatever the build mode or thread. The innermost
    /// open container lives in local variables, which keeps flat records fast.
    mutating func parseValue() throws(JSONError) -> Value {
        // Lone scalars (such as envelope fields) skip the container machinery.
        skipWhitespace()
        if pos < end {
            let c = base[pos]
            if c == UInt8(ascii: "\"") { return .string(try parseString()) }
            if c == UInt8(ascii: "-") || c &- UInt8(ascii: "0") < 10 { return try parseNumber() }
        }
        var parents: [OpenContainer] = []
        var inContainer = false
        var isObject = false
        var open = 0
        var elements: [Value] = []
        var fields: [(key: String, value: Value)] = []
        var index: [ExactKey: Int]? = nil
        var key = ""
        var value: Value

        next: while true {
            skipWhitespace()
            guard pos < end else { throw unexpected(at: pos, expecting: "a json value") }
            let c = base[pos]
            switch c {
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = try parseNumber()
            case UInt8(ascii: "t"):
                try parseLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try parseLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try parseLiteral("null")
                value = .null
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                let opensObject = c == UInt8(ascii: "{")
                let bracket = pos
                depth += 1
                if depth > JSON.maxDepth { throw JSONError("nesting deeper than \(JSON.maxDepth) levels", at: bracket) }
                pos += 1
                skipWhitespace()
                if pos < end && base[pos] == c &+ 2 {  // ']' and '}' come two after '[' and '{'
                    pos += 1
                    depth -= 1
                    value = opensObject ? .object(JSONObject()) : .array([])
                    break
                }
                if inContainer {
                    var parent = OpenContainer(open: open, isObject: isObject)
                    swap(&parent.elements, &elements)
                    swap(&parent.fields, &fields)
                    swap(&parent.index, &index)
                    swap(&parent.key, &key)
                    parents.append(parent)
                }
                inContainer = true
                isObject = opensObject
                open = bracket
                if opensObject {
                    // Room for a typical record up front; nested objects are usually smaller.
                    fields.reserveCapacity(depth == 1 ? 8 : 4)
                    key = try parseKey(open: open)
                }
                continue next
            default:
                throw unexpected(at: pos, expecting: "a json value")
            }

            // A complete value: add it to the open containers, closing those that end here.
            while inContainer {
                if isObject {
                    // Duplicate keys: keep the first position and the last value.
                    if let i = duplicateIndex(of: key, in: fields, index: &index) {
                        fields[i].value = value
                    } else {
                        fields.append((key: key, value: value))
                        index?[ExactKey(key)] = fields.count - 1
                    }
                } else {
                    elements.append(value)
                }
                skipWhitespace()
                guard pos < end else {
                    throw JSONError(isObject ? "unterminated object" : "unterminated array", at: open)
                }
                let separator = base[pos]
                pos += 1
                if separator == UInt8(ascii: ",") {
                    if isObject { key = try parseKey(open: open) }
                    continue next
                }
                if isObject {
                    guard separator == UInt8(ascii: "}") else { throw unexpected(at: pos - 1, expecting: "',' or '}'") }
                    var closed: [(key: String, value: Value)] = []
                    swap(&closed, &fields)
                    index = nil
                    value = .object(JSONObject(closed))
                } else {
                    guard separator == UInt8(ascii: "]") else { throw unexpected(at: pos - 1, expecting: "',' or ']'") }
                    var closed: [Value] = []
                    swap(&closed, &elements)
                    value = .array(closed)
                }
                depth -= 1
                guard var parent = parents.popLast() else {
                    inContainer = false
                    break
                }
                swap(&parent.elements, &elements)
                swap(&parent.fields, &fields)
                swap(&parent.index, &index)
                swap(&parent.key, &key)
                isObject = parent.isObject
                open = parent.open
            }
            return value
        }
    }

    mutating func parseLiteral(_ word: StaticString) throws(JSONError) {
        let start = pos
        let length = word.utf8CodeUnitCount
        let text = word.utf8Start
        if end - pos >= length {
            var i = 0
            while i < length && base[pos + i] == text[i] { i += 1 }
            // The literal must not run on into more letters ("nullx", "falsy").
            if i == length && (pos + i == end || !isLetter(base[pos + i])) {
                pos += length
                return
            }
        }
        var stop = pos
        while stop < end && stop - pos < 16 && isLetter(base[stop]) { stop += 1 }
        let found = String(decoding: UnsafeBufferPointer(start: base + pos, count: stop - pos), as: UTF8.self)
        throw JSONError("invalid literal '\(found)', expected '\(word)'", at: start)
    }

    @inline(__always) private func isLetter(_ c: UInt8) -> Bool {
        (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z")
    }

    /// Parses `"key" :` inside an object whose `{` is at `open`.
    mutating func parseKey(open: Int) throws(JSONError) -> String {
        skipWhitespace()
        guard pos < end else { throw JSONError("unterminated object", at: open) }
        guard base[pos] == UInt8(ascii: "\"") else {
            throw unexpected(at: pos, expecting: "a string key")
        }
        let key = try parseString()
        try expectColon()
        return key
    }

    /// Scans `"key" :` like `parseKey`, leaving the key where `scanString` put it.
    mutating func scanKey(open: Int) throws(JSONError) -> StringContent {
        skipWhitespace()
        guard pos < end else { throw JSONError("unterminated object", at: open) }
        guard base[pos] == UInt8(ascii: "\"") else {
            throw unexpected(at: pos, expecting: "a string key")
        }
        let content = try scanString()
        try expectColon()
        return content
    }

    @inline(__always) private mutating func expectColon() throws(JSONError) {
        skipWhitespace()
        guard pos < end, base[pos] == UInt8(ascii: ":") else {
            throw unexpected(at: pos, expecting: "':' after the object key")
        }
        pos += 1
    }

    /// Calls `body` with the bytes of scanned string content.
    func withBytes<R>(of content: StringContent, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        switch content {
        case .input(let start, let count): return body(UnsafeBufferPointer(start: base + start, count: count))
        case .scratch: return scratch.withUnsafeBufferPointer(body)
        }
    }

    /// The index of an earlier field whose key has the same bytes as `key`.
    ///
    /// Keys are compared as bytes, as JSON defines them (Swift's `==` would also equate
    /// canonically equivalent Unicode); lengths first, which are cheap and usually differ.
    /// Past `linearLimit` fields a hash index keeps hostile objects linear.
    @inline(__always)
    private func duplicateIndex(
        of key: String, in fields: [(key: String, value: Value)], index: inout [ExactKey: Int]?
    ) -> Int? {
        if index != nil { return index?[ExactKey(key)] }
        if fields.count >= JSONParser.linearLimit {
            var map: [ExactKey: Int] = [:]
            map.reserveCapacity(fields.count * 2)
            for (i, field) in fields.enumerated() { map[ExactKey(field.key)] = i }
            index = map
            return map[ExactKey(key)]
        }
        let length = key.utf8.count
        for i in 0..<fields.count where fields[i].key.utf8.count == length {
            if fields[i].key.utf8.elementsEqual(key.utf8) { return i }
        }
        return nil
    }

    private static let linearLimit = 16
}

/// An array or object whose elements are being parsed.
struct OpenContainer {
    /// Where its bracket is, for `unterminated` errors.
    let open: Int
    let isObject: Bool
    var elements: [Value] = []
    var fields: [(key: String, value: Value)] = []
    /// A hash index of `fields`, built once an object has many keys.
    var index: [ExactKey: Int]? = nil
    /// The key whose value is being parsed.
    var key = ""

    init(open: Int, isObject: Bool) {
        self.open = open
        self.isObject = isObject
    }
}

/// A dictionary key that compares strings by their UTF-8 bytes, as JSON does.
struct ExactKey: Hashable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (a: ExactKey, b: ExactKey) -> Bool {
        a.text.utf8.elementsEqual(b.text.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
