/// Where a scanned string's content is: a slice of the input, or the parser's scratch buffer.
enum StringContent {
    case input(start: Int, count: Int)
    case scratch
}

extension JSONParser {
    /// Parses the string whose opening quote is at the cursor.
    @inline(__always)
    mutating func parseString() throws(JSONError) -> String {
        // Kept apart from `scratch` on the fast path so that it is not retained needlessly.
        if case .input(let start, let count) = try scanString() {
            return String(decoding: UnsafeBufferPointer(start: base + start, count: count), as: UTF8.self)
        }
        return String(decoding: scratch, as: UTF8.self)
    }

    /// Parses the string whose opening quote is at the cursor, as UTF-8 bytes.
    mutating func parseStringBytes() throws(JSONError) -> [UInt8] {
        switch try scanString() {
        case .input(let start, let count):
            return Array(UnsafeBufferPointer(start: base + start, count: count))
        case .scratch:
            return scratch
        }
    }

    /// Scans a string, leaving the cursor after its closing quote.
    ///
    /// The fast path covers the common case, printable ASCII without escapes: the content is
    /// then a slice of the input and needs no copying or validation here.
    @inline(__always)
    mutating func scanString() throws(JSONError) -> StringContent {
        let open = pos
        let start = pos + 1
        var p = start
        while p < end {
            let c = base[p]
            if c == UInt8(ascii: "\"") {
                pos = p + 1
                return .input(start: start, count: p - start)
            }
            if c == UInt8(ascii: "\\") || c < 0x20 || c >= 0x80 { break }
            p += 1
        }
        pos = p
        return try scanStringSlowly(open: open, start: start)
    }

    /// Continues a string with escapes, control characters or non-ASCII bytes.
    private mutating func scanStringSlowly(open: Int, start: Int) throws(JSONError) -> StringContent {
        var copying = false
        while true {
            // A run of bytes that stand for themselves (valid UTF-8 included), copied in one go.
            let runStart = pos
            var p = pos
            while p < end {
                let c = base[p]
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { break }
                if c < 0x80 {
                    p += 1
                } else {
                    let length = UTF8Check.sequenceLength(base, at: p, end: end)
                    guard length > 0 else { throw JSONError("invalid utf-8 in string", at: p) }
                    p += length
                }
            }
            if copying && p > runStart {
                scratch.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: p - runStart))
            }
            pos = p
            guard pos < end else { throw JSONError("unterminated string", at: open) }
            let c = base[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                return copying ? .scratch : .input(start: start, count: pos - 1 - start)
            }
            if c < 0x20 {
                throw JSONError(
                    "unescaped control character (\(JSONParser.describe(byte: c))) in string", at: pos)
            }
            if !copying {
                copying = true
                scratch.removeAll(keepingCapacity: true)
                scratch.append(contentsOf: UnsafeBufferPointer(start: base + start, count: pos - start))
            }
            try parseEscape(open: open)
        }
    }

    /// Decodes the escape at the cursor (on the backslash) into `scratch`.
    private mutating func parseEscape(open: Int) throws(JSONError) {
        let at = pos
        guard pos + 1 < end else { throw JSONError("unterminated string", at: open) }
        let kind = base[pos + 1]
        pos += 2
        switch kind {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(kind)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hexQuad(escapeAt: at)
            if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw JSONError("lone surrogate escape '\\u\(hex(scalar))' in string", at: at)
            }
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                let lowAt = pos
                guard pos + 1 < end, base[pos] == UInt8(ascii: "\\"), base[pos + 1] == UInt8(ascii: "u") else {
                    throw JSONError("lone surrogate escape '\\u\(hex(scalar))' in string", at: at)
                }
                pos += 2
                let low = try hexQuad(escapeAt: lowAt)
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw JSONError("lone surrogate escape '\\u\(hex(scalar))' in string", at: at)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            appendUTF8(scalar)
        default:
            let shown = kind >= 0x21 && kind < 0x7F ? "'\\\(Character(Unicode.Scalar(kind)))'" : "escape"
            throw JSONError("invalid escape \(shown) in string", at: at)
        }
    }

    /// Reads the four hex digits after `\u`.
    private mutating func hexQuad(escapeAt: Int) throws(JSONError) -> UInt32 {
        var result: UInt32 = 0
        for _ in 0..<4 {
            guard pos < end else { throw JSONError("invalid unicode escape, expected four hex digits", at: escapeAt) }
            let c = base[pos]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw JSONError("invalid unicode escape, expected four hex digits", at: escapeAt)
            }
            result = result << 4 | UInt32(digit)
            pos += 1
        }
        return result
    }

    private func hex(_ unit: UInt32) -> String {
        let digits = String(unit, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}

/// UTF-8 well-formedness checks (RFC 3629: no overlongs, surrogates or values past U+10FFFF).
enum UTF8Check {
    /// The length of the well-formed sequence starting at `i`, or 0 if it is ill-formed.
    static func sequenceLength(_ p: UnsafePointer<UInt8>, at i: Int, end: Int) -> Int {
        let b0 = p[i]
        if b0 < 0x80 { return 1 }
        @inline(__always) func continuation(_ k: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            i + k < end && p[i + k] >= low && p[i + k] <= high
        }
        switch b0 {
        case 0xC2...0xDF:
            return continuation(1) ? 2 : 0
        case 0xE0:
            return continuation(1, 0xA0) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return continuation(1) && continuation(2) ? 3 : 0
        case 0xED:
            return continuation(1, 0x80, 0x9F) && continuation(2) ? 3 : 0
        case 0xF0:
            return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3:
            return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4:
            return continuation(1, 0x80, 0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default:
            return 0
        }
    }

    /// Whether all of `bytes` is well-formed UTF-8.
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = bytes.baseAddress else { return true }
        var i = 0
        let end = bytes.count
        while i < end {
            if p[i] < 0x80 {
                i += 1
                continue
            }
            let length = sequenceLength(p, at: i, end: end)
            if length == 0 { return false }
            i += length
        }
        return true
    }
}
