/// The top-level fields of a JSON object, found by one validating pass that builds no values,
/// so that a reader can decode only the fields it needs.
///
/// `scan` succeeds on exactly the texts `JSON.parse` accepts whose value is an object with at
/// most `capacity` fields and distinct keys that are ASCII without escapes; on anything else
/// (invalid JSON included) it returns false and the caller parses the text in full, which also
/// gives the exact error. One scanner is reused record after record: it owns its buffers.
///
/// It also tells whether the text is *canonical*: byte for byte what `Value.writeJSON` writes
/// for the parsed value (no whitespace, shortest numbers, minimal escapes, no duplicate keys at
/// any depth), in which case the original bytes can stand in for re-serialising the value.
public final class JSONObjectScan {
    /// What a field's value is.
    public enum Kind: UInt8, Sendable {
        case null, bool, int, double, string, array, object
    }

    /// One top-level field; offsets are byte offsets into the scanned text.
    public struct Field: Sendable {
        /// The key's bytes (without quotes).
        public var keyStart: Int
        public var keyCount: Int
        /// The value's text, `valueEnd` exclusive.
        public var valueStart: Int
        public var valueEnd: Int
        public var kind: Kind
        /// A string with escapes (its text is not its content).
        public var escaped: Bool
        /// `.int`: the value; `.double`: its bit pattern; `.bool`: 1 for true.
        public var bits: Int64
    }

    /// The most top-level fields a scan accepts.
    public let capacity = 64
    /// Nested object keys remembered for the duplicate check; past this, not canonical.
    private let nestedCapacity = 256
    @usableFromInline let fields: UnsafeMutablePointer<Field>
    private let nestedKeys: UnsafeMutablePointer<Int>
    private let levels: UnsafeMutablePointer<Int>
    /// The field count and canonical flag of the last scan. Kept behind a pointer rather than
    /// in stored properties: those would cost a dynamic exclusivity check (about 70
    /// instructions) on every access from other modules.
    @usableFromInline let results: UnsafeMutablePointer<Int>

    /// Fields of the last successful scan.
    @inlinable public var count: Int { results[0] }

    /// Whether the last scanned text is in canonical form (see the type's summary).
    @inlinable public var isCanonical: Bool { results[1] != 0 }

    public init() {
        fields = .allocate(capacity: capacity)
        nestedKeys = .allocate(capacity: nestedCapacity * 2)
        levels = .allocate(capacity: JSON.maxDepth + 1)
        results = .allocate(capacity: 2)
        results.initialize(repeating: 0, count: 2)
    }

    deinit {
        fields.deallocate()
        nestedKeys.deallocate()
        levels.deallocate()
        results.deallocate()
    }

    /// The `index`-th field of the last scan (`index < count`).
    @inlinable public subscript(index: Int) -> Field { fields[index] }

    /// The index of the field whose key has exactly the bytes of `name`, if any.
    public func index(of name: UnsafeBufferPointer<UInt8>, in text: UnsafePointer<UInt8>) -> Int? {
        guard let bytes = name.baseAddress else {
            for i in 0..<count where fields[i].keyCount == 0 { return i }
            return nil
        }
        for i in 0..<count where fields[i].keyCount == name.count {
            if memoryEqual(text + fields[i].keyStart, bytes, name.count) { return i }
        }
        return nil
    }

    /// Scans `text`; true when it is an object this scanner handles (see the type's summary).
    ///
    /// Plain strings and integers, the bulk of most records, are scanned inline; any other
    /// value (and anything invalid) goes through `JSONParser`'s own scanning.
    public func scan(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        results[0] = 0
        guard let p = text.baseAddress, text.count > 1 else { return false }
        let end = text.count
        var canonical = true
        var n = 0
        var i = 0
        if Self.skipSpace(p, &i, end) { canonical = false }
        guard i < end, p[i] == UInt8(ascii: "{") else { return false }
        i += 1
        if Self.skipSpace(p, &i, end) { canonical = false }
        if i < end, p[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                guard n < capacity, i < end, p[i] == UInt8(ascii: "\"") else { return false }
                // The key: printable ASCII without escapes, or the full path decides.
                let keyStart = i + 1
                guard let keyEnd = Self.plainStringEnd(p, from: keyStart, end) else { return false }
                let keyCount = keyEnd - keyStart
                i = keyEnd + 1
                for j in 0..<n where fields[j].keyCount == keyCount {
                    if memoryEqual(p + fields[j].keyStart, p + keyStart, keyCount) { return false }
                }
                if Self.skipSpace(p, &i, end) { canonical = false }
                guard i < end, p[i] == UInt8(ascii: ":") else { return false }
                i += 1
                if Self.skipSpace(p, &i, end) { canonical = false }
                guard i < end else { return false }
                var field = Field(
                    keyStart: keyStart, keyCount: keyCount, valueStart: i, valueEnd: i, kind: .null, escaped: false, bits: 0)
                let c = p[i]
                if c == UInt8(ascii: "\""), let stringEnd = Self.plainStringEnd(p, from: i + 1, end) {
                    field.kind = .string
                    i = stringEnd + 1
                } else if let (number, numberEnd) = Self.plainInteger(p, from: i, end) {
                    field.kind = .int
                    field.bits = number
                    if number == 0, c == UInt8(ascii: "-") { canonical = false }  // -0 is written 0
                    i = numberEnd
                } else {
                    var parser = JSONParser(base: p, count: end)
                    parser.pos = i
                    parser.depth = 1
                    do {
                        try scanValue(&parser, into: &field, canonical: &canonical)
                    } catch {
                        return false
                    }
                    i = parser.pos
                }
                field.valueEnd = i
                fields[n] = field
                n += 1
                if Self.skipSpace(p, &i, end) { canonical = false }
                guard i < end else { return false }
                let separator = p[i]
                i += 1
                if separator == UInt8(ascii: "}") { break }
                guard separator == UInt8(ascii: ",") else { return false }
                if Self.skipSpace(p, &i, end) { canonical = false }
            }
        }
        if Self.skipSpace(p, &i, end) { canonical = false }
        guard i == end else { return false }
        results[0] = n
        results[1] = canonical ? 1 : 0
        return true
    }

    /// Skips JSON whitespace at `i`; true when there was some. Records rarely have any, so
    /// one comparison usually decides.
    @inline(__always)
    private static func skipSpace(_ p: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int) -> Bool {
        guard i < end, p[i] <= 0x20 else { return false }
        let start = i
        while i < end {
            let c = p[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { break }
            i += 1
        }
        return i != start
    }

    /// The index of the closing quote of a string of printable ASCII without escapes whose
    /// content starts at `start`; nil for any other string (or none).
    @inlinable @inline(__always)
    public static func plainStringEnd(_ p: UnsafePointer<UInt8>, from start: Int, _ end: Int) -> Int? {
        var j = start
        // Eight bytes at a time: the lowest byte that is '"', a backslash, a control character or
        // from 0x80 gets its high bit set (bytes above it may be flagged too, never below).
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        while j + 8 <= end {
            let w = UInt64(littleEndian: UnsafeRawPointer(p + j).loadUnaligned(as: UInt64.self))
            let quote = w ^ 0x2222_2222_2222_2222
            let backslash = w ^ 0x5C5C_5C5C_5C5C_5C5C
            let special = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash
                | (w &- 0x2020_2020_2020_2020) & ~w | w) & highs
            if special == 0 {
                j += 8
                continue
            }
            j += special.trailingZeroBitCount >> 3
            return p[j] == UInt8(ascii: "\"") ? j : nil
        }
        while j < end {
            let c = p[j]
            if c == UInt8(ascii: "\"") { return j }
            // Control characters wrap around to large values, as do bytes from 0x80.
            if c == UInt8(ascii: "\\") || c &- 0x20 >= 0x60 { return nil }
            j += 1
        }
        return nil
    }

    /// An integer of at most 18 digits (never overflowing) at `start`, without a leading zero,
    /// fraction or exponent, with the index after it; nil for any other number (or none).
    @inlinable @inline(__always)
    public static func plainInteger(_ p: UnsafePointer<UInt8>, from start: Int, _ end: Int) -> (Int64, Int)? {
        var j = start
        let negative = p[j] == UInt8(ascii: "-")
        if negative { j += 1 }
        guard j < end else { return nil }
        let first = p[j] &- UInt8(ascii: "0")
        guard first < 10 else { return nil }
        var value = Int64(first)
        j += 1
        if first != 0 {
            let digitsStart = j - 1
            // Eight digits at a time while there are eight (event times have ten).
            while j + 8 <= end {
                let w = UInt64(littleEndian: UnsafeRawPointer(p + j).loadUnaligned(as: UInt64.self))
                let nibbles: UInt64 = 0xF0F0_F0F0_F0F0_F0F0, zeros: UInt64 = 0x3030_3030_3030_3030
                guard w & nibbles == zeros, (w &+ 0x0606_0606_0606_0606) & nibbles == zeros else { break }
                // Pairs, then fours, then all eight, each step a multiply (first digit lowest).
                var v = ((w & 0x0F0F_0F0F_0F0F_0F0F) &* 2561) >> 8
                v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
                v = ((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32
                value = value &* 100_000_000 &+ Int64(truncatingIfNeeded: v)
                j += 8
            }
            while j < end {
                let digit = p[j] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                value = value &* 10 &+ Int64(digit)
                j += 1
            }
            guard j - digitsStart <= 18 else { return nil }
        } else if j < end, p[j] &- UInt8(ascii: "0") < 10 {
            return nil
        }
        if j < end {
            let c = p[j]
            if c == UInt8(ascii: ".") || c | 0x20 == UInt8(ascii: "e") { return nil }
        }
        return (negative ? -value : value, j)
    }

    /// Skips whitespace; true when there was some.
    @inline(__always) private func skipSpace(_ parser: inout JSONParser) -> Bool {
        let start = parser.pos
        parser.skipWhitespace()
        return parser.pos != start
    }

    /// Scans one top-level field value at the cursor, noting its kind and scalar.
    private func scanValue(_ parser: inout JSONParser, into field: inout Field, canonical: inout Bool) throws(JSONError) {
        let c = parser.current
        switch c {
        case UInt8(ascii: "\""):
            field.kind = .string
            if case .scratch = try parser.scanString() {
                field.escaped = true
                if canonical { canonical = escapesAreCanonical(parser, from: field.valueStart) }
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = parser.pos
            switch try parser.parseNumber() {
            case .int(let number):
                field.kind = .int
                field.bits = number
                // Only "-0" is not written back as read.
                if canonical, isNegativeZero(parser, from: start) { canonical = false }
            case .double(let number):
                field.kind = .double
                field.bits = Int64(bitPattern: number.bitPattern)
                if canonical { canonical = doubleIsCanonical(number, parser, from: start) }
            default:
                break
            }
        case UInt8(ascii: "t"):
            try parser.parseLiteral("true")
            field.kind = .bool
            field.bits = 1
        case UInt8(ascii: "f"):
            try parser.parseLiteral("false")
            field.kind = .bool
        case UInt8(ascii: "n"):
            try parser.parseLiteral("null")
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            field.kind = c == UInt8(ascii: "{") ? .object : .array
            try skipContainer(&parser, canonical: &canonical)
        default:
            throw parser.unexpected(at: parser.pos, expecting: "a json value")
        }
    }

    /// Skips the array or object at the cursor (and everything inside), validating it as
    /// `JSON.parse` would and keeping track of canonical form.
    private func skipContainer(_ parser: inout JSONParser, canonical: inout Bool) throws(JSONError) {
        // levels[k]: -1 for an array, else the first index in nestedKeys of the object's keys.
        var top = 0
        var keys = 0
        var isObject = false
        while true {
            // At a value.
            let c = parser.current
            switch c {
            case UInt8(ascii: "\""):
                let start = parser.pos
                if case .scratch = try parser.scanString(), canonical {
                    canonical = escapesAreCanonical(parser, from: start)
                }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = parser.pos
                let number = try parser.parseNumber()
                if canonical {
                    if case .double(let d) = number {
                        canonical = doubleIsCanonical(d, parser, from: start)
                    } else if isNegativeZero(parser, from: start) {
                        canonical = false
                    }
                }
            case UInt8(ascii: "t"): try parser.parseLiteral("true")
            case UInt8(ascii: "f"): try parser.parseLiteral("false")
            case UInt8(ascii: "n"): try parser.parseLiteral("null")
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                let bracket = parser.pos
                // The top-level object is depth 1.
                guard top + 2 <= JSON.maxDepth else {
                    throw JSONError("nesting deeper than \(JSON.maxDepth) levels", at: bracket)
                }
                isObject = c == UInt8(ascii: "{")
                levels[top] = isObject ? keys : -1
                top += 1
                parser.pos += 1
                if skipSpace(&parser) { canonical = false }
                guard parser.pos < parser.end else { throw JSONError("unterminated", at: bracket) }
                if parser.current == c &+ 2 {  // ']' and '}' come two after '[' and '{'
                    parser.pos += 1
                    top -= 1
                    isObject = top > 0 && levels[top - 1] >= 0
                    break
                }
                if isObject { try scanKey(&parser, level: top - 1, keys: &keys, canonical: &canonical) }
                if skipSpace(&parser) { canonical = false }
                guard parser.pos < parser.end else { throw JSONError("unterminated", at: bracket) }
                continue
            default:
                throw parser.unexpected(at: parser.pos, expecting: "a json value")
            }
            // After a complete value: separators and closing brackets.
            while top > 0 {
                if skipSpace(&parser) { canonical = false }
                guard parser.pos < parser.end else { throw JSONError("unterminated", at: parser.pos) }
                let separator = parser.current
                parser.pos += 1
                if separator == UInt8(ascii: ",") {
                    if skipSpace(&parser) { canonical = false }
                    if isObject { try scanKey(&parser, level: top - 1, keys: &keys, canonical: &canonical) }
                    if skipSpace(&parser) { canonical = false }
                    guard parser.pos < parser.end else { throw JSONError("unterminated", at: parser.pos) }
                    break
                }
                guard separator == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                    throw JSONError("unexpected separator", at: parser.pos - 1)
                }
                top -= 1
                if isObject { keys = levels[top] }
                isObject = top > 0 && levels[top - 1] >= 0
            }
            if top == 0 { return }
        }
    }

    /// Scans `"key":` in the object open at `level`, checking it against the object's other
    /// keys while the text may still be canonical.
    private func scanKey(_ parser: inout JSONParser, level: Int, keys: inout Int, canonical: inout Bool) throws(JSONError) {
        guard parser.pos < parser.end, parser.current == UInt8(ascii: "\"") else {
            throw parser.unexpected(at: parser.pos, expecting: "a string key")
        }
        let content = try parser.scanString()
        if canonical {
            if case .input(let keyStart, let keyCount) = content {
                let first = levels[level]
                for j in first..<keys where nestedKeys[2 * j + 1] == keyCount {
                    if memoryEqual(parser.base + nestedKeys[2 * j], parser.base + keyStart, keyCount) {
                        canonical = false  // a duplicate: parsing keeps one of them
                        break
                    }
                }
                if keys < nestedCapacity {
                    nestedKeys[2 * keys] = keyStart
                    nestedKeys[2 * keys + 1] = keyCount
                    keys += 1
                } else {
                    canonical = false
                }
            } else {
                canonical = false  // escaped keys are not compared here
            }
        }
        if skipSpace(&parser) { canonical = false }
        guard parser.pos < parser.end, parser.current == UInt8(ascii: ":") else {
            throw parser.unexpected(at: parser.pos, expecting: "':' after the object key")
        }
        parser.pos += 1
    }

    /// Whether the string that ends at the cursor, whose decoded content is in the parser's
    /// scratch buffer, is written back exactly as it stands from `start` (its opening quote).
    private func escapesAreCanonical(_ parser: JSONParser, from start: Int) -> Bool {
        JSONOutput.with(stackCapacity: 256) { output in
            parser.scratch.withUnsafeBufferPointer { output.writeEscaped($0) }
            return output.count == parser.pos - start && memoryEqual(output.start, parser.base + start, output.count)
        }
    }

    /// Whether the integer read from `start` to the cursor is `-0` (written back as `0`).
    @inline(__always) private func isNegativeZero(_ parser: JSONParser, from start: Int) -> Bool {
        parser.pos - start == 2 && parser.base[start] == UInt8(ascii: "-") && parser.base[start + 1] == UInt8(ascii: "0")
    }

    /// Whether `number`, read from `start` to the cursor, is written back as it stands.
    private func doubleIsCanonical(_ number: Double, _ parser: JSONParser, from start: Int) -> Bool {
        JSONOutput.with(stackCapacity: 64) { output in
            output.writeDouble(number)
            return output.count == parser.pos - start && memoryEqual(output.start, parser.base + start, output.count)
        }
    }
}

/// Whether `count` bytes at `a` and `b` are equal.
@inline(__always)
func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var i = 0
    while i < count {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

extension JSONObjectScan {
    /// The value of field `index` of the last scan, decoded from `text` (the scanned text).
    @inlinable
    public func value(at index: Int, in text: UnsafeBufferPointer<UInt8>) -> Value? {
        guard index < count else { return nil }
        let field = fields[index]
        switch field.kind {
        case .null: return .null
        case .bool: return .bool(field.bits != 0)
        case .int: return .int(field.bits)
        case .double: return .double(Double(bitPattern: UInt64(bitPattern: field.bits)))
        default: return decode(field, in: text)
        }
    }

    /// A string, array or object field's value.
    @usableFromInline
    func decode(_ field: Field, in text: UnsafeBufferPointer<UInt8>) -> Value? {
        guard let base = text.baseAddress else { return nil }
        if field.kind == .string, !field.escaped {
            let content = UnsafeBufferPointer(start: base + field.valueStart + 1, count: field.valueEnd - field.valueStart - 2)
            return .string(String(decoding: content, as: UTF8.self))
        }
        var parser = JSONParser(base: base + field.valueStart, count: field.valueEnd - field.valueStart)
        return try? parser.parseValue()
    }
}

extension JSON {
    /// The compact JSON text of `object`, the canonical text of an object (exactly what
    /// `Value.writeJSON` writes for it), with `fields` added at the end; none of their keys
    /// may be in `object` already. The result equals writing the extended object in full.
    public static func appending(_ fields: ArraySlice<(key: String, value: Value)>, toObject object: [UInt8]) -> [UInt8] {
        guard !fields.isEmpty, object.count >= 2 else { return object }
        return JSONOutput.with { output in
            write(fields, toObject: object, into: &output)
            return Array(output.bytes)
        }
    }

    private static func write(
        _ fields: ArraySlice<(key: String, value: Value)>, toObject object: [UInt8], into output: inout JSONOutput
    ) {
        object.withUnsafeBufferPointer { output.append(UnsafeBufferPointer(rebasing: $0[0..<($0.count - 1)])) }
        var first = object.count == 2
        for field in fields {
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            output.writeString(field.key)
            output.append(UInt8(ascii: ":"))
            output.write(field.value)
        }
        output.append(UInt8(ascii: "}"))
    }
}
