extension Value {
    /// Appends the compact JSON text of this value (no spaces, object key order kept).
    ///
    /// Doubles are written in their shortest round-trip form with a fraction or exponent
    /// (`2.0`, `1e+16`), so they read back as doubles; infinities and NaN become `null`.
    /// Strings are written as UTF-8, escaping only `"`, `\` and control characters.
    public func writeJSON(into out: inout [UInt8]) {
        JSONOutput.with { output in
            output.write(self)
            out.append(contentsOf: output.bytes)
        }
    }

    /// The compact JSON text of this value.
    public var jsonText: String {
        JSONOutput.with { output in
            output.write(self)
            return String(decoding: output.bytes, as: UTF8.self)
        }
    }
}

extension JSON {
    /// The compact JSON text of `value` as UTF-8 bytes (see `Value.writeJSON(into:)`).
    public static func serialize(_ value: Value) -> [UInt8] {
        JSONOutput.with { output in
            output.write(value)
            return Array(output.bytes)
        }
    }

    /// Appends `text` as a quoted, escaped JSON string.
    public static func writeString(_ text: String, into out: inout [UInt8]) {
        JSONOutput.with { output in
            output.writeString(text)
            out.append(contentsOf: output.bytes)
        }
    }

    /// Appends UTF-8 `bytes` as a quoted JSON string; ill-formed UTF-8 is written with U+FFFD
    /// in place of each bad sequence, since JSON text cannot carry arbitrary bytes.
    public static func writeString(utf8 bytes: [UInt8], into out: inout [UInt8]) {
        JSONOutput.with { output in
            output.writeString(utf8: bytes)
            out.append(contentsOf: output.bytes)
        }
    }
}

extension JSONOutput {
    mutating func write(_ value: Value) {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .int(let number): writeInteger(number)
        case .double(let number): writeDouble(number)
        case .string(let text): writeString(text)
        case .array(let elements):
            append(UInt8(ascii: "["))
            for i in elements.indices {
                if i > 0 { append(UInt8(ascii: ",")) }
                write(elements[i])
            }
            append(UInt8(ascii: "]"))
        case .object(let object):
            append(UInt8(ascii: "{"))
            let fields = object.fields
            for i in fields.indices {
                if i > 0 { append(UInt8(ascii: ",")) }
                writeString(fields[i].key)
                append(UInt8(ascii: ":"))
                write(fields[i].value)
            }
            append(UInt8(ascii: "}"))
        }
    }

    mutating func writeString(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { writeEscaped($0) }
        if done == nil {
            var copy = text
            copy.withUTF8 { writeEscaped($0) }
        }
    }

    /// Writes bytes as a JSON string, replacing ill-formed UTF-8 with U+FFFD.
    mutating func writeString(utf8 bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            if UTF8Check.isValid(buffer) {
                writeEscaped(buffer)
            } else {
                writeString(String(decoding: buffer, as: UTF8.self))
            }
        }
    }

    /// Writes well-formed UTF-8 as a quoted JSON string, copying runs that need no escaping.
    mutating func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        if let plain = bytes.baseAddress, !JSONOutput.needsEscaping(plain, bytes.count) {
            // The common case (keys, most text): one copy between the quotes.
            reserve(bytes.count + 2)
            appendReserved(UInt8(ascii: "\""))
            JSONOutput.copy(plain, to: start + count, bytes.count)
            advance(by: bytes.count)
            appendReserved(UInt8(ascii: "\""))
            return
        }
        append(UInt8(ascii: "\""))
        var runStart = 0
        for i in 0..<bytes.count {
            let c = bytes[i]
            if c >= 0x20 && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") { continue }
            if runStart < i { append(UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
            runStart = i + 1
            reserve(6)
            appendReserved(UInt8(ascii: "\\"))
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): appendReserved(c)
            case 0x08: appendReserved(UInt8(ascii: "b"))
            case 0x0C: appendReserved(UInt8(ascii: "f"))
            case 0x0A: appendReserved(UInt8(ascii: "n"))
            case 0x0D: appendReserved(UInt8(ascii: "r"))
            case 0x09: appendReserved(UInt8(ascii: "t"))
            default:
                appendReserved(UInt8(ascii: "u"))
                appendReserved(UInt8(ascii: "0"))
                appendReserved(UInt8(ascii: "0"))
                appendReserved(JSONOutput.hexDigit(c >> 4))
                appendReserved(JSONOutput.hexDigit(c & 0x0F))
            }
        }
        if runStart < bytes.count { append(UnsafeBufferPointer(rebasing: bytes[runStart...])) }
        append(UInt8(ascii: "\""))
    }

    /// Whether any of `count` bytes at `p` is '"', a backslash or a control character, eight
    /// bytes at a time (a flagged lowest byte is exact; higher flags only follow a real one).
    @inline(__always)
    static func needsEscaping(_ p: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var i = 0
        while i + 8 <= count {
            let w = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
            let quote = w ^ 0x2222_2222_2222_2222
            let backslash = w ^ 0x5C5C_5C5C_5C5C_5C5C
            // A byte below 0x20, '"' or a backslash sets its high bit in one of these; bytes
            // from 0x80 are excluded by `& ~w`.
            let flags = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (w &- 0x2020_2020_2020_2020)) & ~w & highs
            if flags != 0 { return true }
            i += 8
        }
        while i < count {
            let c = p[i]
            if c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { return true }
            i += 1
        }
        return false
    }

    @inline(__always) private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// Writes the decimal digits of `number`, two at a time from the end.
    mutating func writeInteger(_ number: Int64) {
        reserve(20)
        advance(by: JSONNumberText.integer(number, into: start + count))
    }

    /// Writes the shortest round-trip form of `number` (`2.0`, `0.1`, `1e-07`); `null` when not finite.
    mutating func writeDouble(_ number: Double) {
        reserve(32)
        if let written = JSON.writeDouble(number, at: start + count) {
            advance(by: written)
            return
        }
        // Not reached (a double's text is at most 24 bytes); `description` is the same text.
        var text = number.description
        text.withUTF8 { append($0) }
    }
}
