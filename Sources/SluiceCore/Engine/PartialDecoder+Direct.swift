import SluiceSupport

/// One-pass decoding for direct inputs (`buildsObject` false): the common record shape (a
/// compact object of plain strings and integers) is validated, matched against the entries and
/// checked by the schema in a single scan, without building the field array.
extension PartialDecoder {
    /// Fills the slots as `decode` does and gives the event time when the scan alone gives it.
    /// nil when the record is not of the common shape (whitespace, escapes, non-ASCII text,
    /// other kinds of value, duplicate keys, a check needing the value, or anything invalid):
    /// `decode` then decides, which reports every such record exactly as before.
    func decodeDirect(_ text: UnsafeBufferPointer<UInt8>, eventTime: inout Int64?) -> Bool? {
        decodeDirect(text, eventTime: &eventTime, deferringStrings: false)
    }

    /// `decodeDirect`, but with `deferringStrings` the string slots of a record of the
    /// remembered layout (`DirectTemplate`) may be left pending: `slotPresent` and `slotIsInt`
    /// are set, and `decodePendingStrings` fills `slotValues` when they are needed.
    func decodeDirect(
        _ text: UnsafeBufferPointer<UInt8>, eventTime: inout Int64?, deferringStrings: Bool, triedTemplate: Bool = false
    ) -> Bool? {
        guard scansDirect, entries.count <= 64, let p = text.baseAddress, text.count > 2, p[0] == UInt8(ascii: "{")
        else { return nil }
        let end = text.count
        let template = directTemplate
        template.pending = 0
        if !triedTemplate, template.count > 0, decodeTemplate(p, end, eventTime: &eventTime, deferringStrings: deferringStrings) {
            return true
        }
        template.beginNoting()
        var i = 1
        var n = 0
        var required = 0
        var seen: UInt64 = 0
        // Keys matching no entry, for the duplicate check (rare: most fields are in the schema).
        var others: (Int, Int, Int, Int) = (0, 0, 0, 0)
        var otherCount = 0
        for k in 0..<names.count { slotPresent[k] = false }
        while true {
            guard n < scan.capacity, i < end, p[i] == UInt8(ascii: "\"") else { return nil }
            let keyStart = i + 1
            let keyCount: Int
            let found: Int
            let shape = shapes + 4 * n
            if n < Self.shapeCount, shape[2] != 0, Self.tokenMatches(p + i, shape, available: end - i) {
                // The key this position had last time (an entry's name, so plain): no scan needed.
                let length = Int(truncatingIfNeeded: shape[2])
                keyCount = length - 3
                found = Int(truncatingIfNeeded: shape[3])
                i += length
            } else {
                guard let keyEnd = JSONObjectScan.plainStringEnd(p, from: keyStart, end) else { return nil }
                keyCount = keyEnd - keyStart
                i = keyEnd + 1
                guard i < end, p[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                found = directEntry(at: n, keyStart: keyStart, keyCount: keyCount, base: p, textCount: end)
                if found >= 0, n < Self.shapeCount, keyCount + 3 <= 16 {
                    Self.remember(p + keyStart - 1, length: keyCount + 3, entry: found, in: shape)
                }
            }
            guard i < end else { return nil }
            let valueStart = i
            let isString: Bool
            var bits: Int64 = 0
            if p[i] == UInt8(ascii: "\"") {
                guard let stringEnd = JSONObjectScan.plainStringEnd(p, from: i + 1, end) else { return nil }
                isString = true
                i = stringEnd + 1
            } else {
                guard let (number, numberEnd) = JSONObjectScan.plainInteger(p, from: i, end) else { return nil }
                isString = false
                bits = number
                i = numberEnd
            }
            let kind: JSONObjectScan.Kind = isString ? .string : .int
            template.note(
                n, token: p + keyStart - 2, length: valueStart - keyStart + 2, read: found >= 0 ? entries[found].read : -1,
                string: isString, time: found >= 0 && found == eventTimeEntry && !isString)
            if found >= 0 {
                let bit: UInt64 = 1 << UInt64(found)
                guard seen & bit == 0 else { return nil }
                seen |= bit
                let entry = entries[found]
                if entry.required { required += 1 }
                if entry.types >= 0 {
                    guard SchemaFieldRules.Check(types: UInt8(truncatingIfNeeded: entry.types), deep: nil).acceptsType(kind, bits: bits)
                    else { return nil }
                } else if entry.check >= 0 {
                    guard !deepChecks[entry.check], checks[entry.check].acceptsType(kind, bits: bits) else { return nil }
                }
                if found == eventTimeEntry, !isString {
                    if !eventTimeInSeconds {
                        eventTime = bits
                    } else {
                        let (ms, overflow) = bits.multipliedReportingOverflow(by: 1000)
                        if !overflow { eventTime = ms }
                    }
                }
                let read = entry.read
                if read >= 0 {
                    slotPresent[read] = true
                    slotIsInt[read] = !isString
                    slotInts[read] = bits
                    if isString { setString(p + valueStart + 1, count: i - valueStart - 2, slot: read) }
                }
            } else {
                if otherFields == -2 { return nil }
                if otherFields >= 0 {
                    guard !deepChecks[otherFields], checks[otherFields].acceptsType(kind, bits: bits) else { return nil }
                }
                guard otherCount < 2, !isOther(keyStart, keyCount, others, otherCount, p) else { return nil }
                if otherCount == 0 { others.0 = keyStart; others.1 = keyCount } else { others.2 = keyStart; others.3 = keyCount }
                otherCount += 1
            }
            n += 1
            guard i < end else { return nil }
            let separator = p[i]
            i += 1
            if separator == UInt8(ascii: "}") { break }
            guard separator == UInt8(ascii: ",") else { return nil }
        }
        guard i == end, required == requiredCount else { return nil }
        template.commit(slots: names.count)
        return true
    }

    /// Field positions whose key text is remembered.
    static let shapeCount = 16

    /// Whether the `available` bytes at `token` start with the remembered key text of `shape`
    /// (its first eight bytes, its last eight, the length, the entry).
    @inline(__always)
    private static func tokenMatches(_ token: UnsafePointer<UInt8>, _ shape: UnsafeMutablePointer<UInt64>, available: Int) -> Bool {
        let length = Int(truncatingIfNeeded: shape[2])
        guard available >= max(length, 8) else { return false }
        let low = UInt64(littleEndian: UnsafeRawPointer(token).loadUnaligned(as: UInt64.self))
        let lowMask: UInt64 = length >= 8 ? ~0 : (1 << (8 * UInt64(length))) &- 1
        guard low & lowMask == shape[0] else { return false }
        guard length > 8 else { return true }
        // The last eight bytes (overlapping the first eight when shorter than 16).
        let high = UInt64(littleEndian: UnsafeRawPointer(token + length - 8).loadUnaligned(as: UInt64.self))
        return high == shape[1]
    }

    /// Remembers `length` (at most 16) bytes at `token`, the key text `"name":`, for `entry`.
    private static func remember(_ token: UnsafePointer<UInt8>, length: Int, entry: Int, in shape: UnsafeMutablePointer<UInt64>) {
        var low: UInt64 = 0, high: UInt64 = 0
        for k in 0..<min(length, 8) { low |= UInt64(token[k]) << (8 * UInt64(k)) }
        if length > 8 {
            for k in 0..<8 { high |= UInt64(token[length - 8 + k]) << (8 * UInt64(k)) }
        }
        shape[0] = low
        shape[1] = high
        shape[2] = UInt64(length)
        shape[3] = UInt64(entry)
    }

    /// Whether the key at `start` equals one of the first `count` keys kept in `others`.
    @inline(__always)
    private func isOther(_ start: Int, _ keyCount: Int, _ others: (Int, Int, Int, Int), _ count: Int, _ p: UnsafePointer<UInt8>) -> Bool {
        if count > 0, others.1 == keyCount, Self.bytesEqual(p + others.0, p + start, keyCount) { return true }
        if count > 1, others.3 == keyCount, Self.bytesEqual(p + others.2, p + start, keyCount) { return true }
        return false
    }

    /// The entry named by the key at `keyStart` (field `position`), or -1; the entry that field
    /// position matched last time is tried first.
    @inline(__always)
    private func directEntry(at position: Int, keyStart: Int, keyCount: Int, base: UnsafePointer<UInt8>, textCount: Int) -> Int {
        let guess = lastEntries[position]
        if guess >= 0, nameMatches(guess, keyStart: keyStart, keyCount: keyCount, base: base, textCount: textCount) { return guess }
        var found = -1
        for e in 0..<entries.count where nameMatches(e, keyStart: keyStart, keyCount: keyCount, base: base, textCount: textCount) {
            found = e
            break
        }
        lastEntries[position] = found
        return found
    }

    @inline(__always)
    private func nameMatches(_ e: Int, keyStart: Int, keyCount: Int, base: UnsafePointer<UInt8>, textCount: Int) -> Bool {
        let entry = entries[e]
        guard entry.count == keyCount else { return false }
        let key = base + keyStart
        // A key is followed by at least `":0}`, so eight bytes are readable once it has four.
        guard keyStart + 8 <= textCount else { return Self.bytesEqual(nameBytes + entry.start, key, keyCount) }
        let word = UInt64(littleEndian: UnsafeRawPointer(key).loadUnaligned(as: UInt64.self))
        let mask: UInt64 = keyCount >= 8 ? ~0 : (1 << (8 * UInt64(keyCount))) &- 1
        guard word & mask == entry.prefix else { return false }
        return keyCount <= 8 || Self.bytesEqual(nameBytes + entry.start + 8, key + 8, keyCount - 8)
    }

    /// Sets slot `slot` to a plain string (`count` bytes of printable ASCII at `content`); short
    /// ones come from `recentStrings` when they were seen lately, and are not stored again when
    /// the slot holds that very value already (a key repeating), which saves copying a `Value`.
    @inline(__always)
    func setString(_ content: UnsafePointer<UInt8>, count: Int, slot: Int) {
        guard count <= 16 else {
            slotValues[slot] = .string(String(decoding: UnsafeBufferPointer(start: content, count: count), as: UTF8.self))
            return
        }
        let way = recentWay(content, count: count, name: slot)
        if !Self.sameBits(slotValues + slot, recentStrings + way) { slotValues[slot] = recentStrings[way] }
    }

    /// Whether two values have the same bits, so that they are the same value.
    @inline(__always)
    private static func sameBits(_ a: UnsafePointer<Value>, _ b: UnsafePointer<Value>) -> Bool {
        let x = UnsafeRawPointer(a), y = UnsafeRawPointer(b)
        var offset = 0
        while offset + 8 <= MemoryLayout<Value>.size {
            let u = x.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            guard u == y.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else { return false }
            offset += 8
        }
        while offset < MemoryLayout<Value>.size {
            guard x.load(fromByteOffset: offset, as: UInt8.self) == y.load(fromByteOffset: offset, as: UInt8.self) else { return false }
            offset += 1
        }
        return true
    }

    /// The entry of `recentStrings` holding the plain string of `count` (at most 16) bytes at
    /// `content` for `names[name]`, made when it was not seen lately.
    @inline(__always)
    private func recentWay(_ content: UnsafePointer<UInt8>, count: Int, name: Int) -> Int {
        var low: UInt64 = 0, high: UInt64 = 0
        for k in 0..<count {
            if k < 8 { low |= UInt64(content[k]) << (8 * UInt64(k)) } else { high |= UInt64(content[k]) << (8 * UInt64(k - 8)) }
        }
        let mixed = (low ^ (high &* 31) ^ UInt64(count)) &* 0x9E37_79B9_7F4A_7C15
        let way = name * Self.recentWays + Int(truncatingIfNeeded: mixed >> 61)
        let bytes = recentBytes + way * 3
        if bytes[0] == low, bytes[1] == high, bytes[2] == UInt64(count) { return way }
        recentStrings[way] = .string(String(decoding: UnsafeBufferPointer(start: content, count: count), as: UTF8.self))
        bytes[0] = low
        bytes[1] = high
        bytes[2] = UInt64(count)
        return way
    }

}
