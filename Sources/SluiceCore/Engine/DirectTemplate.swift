import SluiceSupport

/// The field layout of the last record `decodeDirect` accepted, so that the next records of
/// that layout (nearly all of a topic's records list the same keys in the same order) are
/// checked key by key with a few word compares each: every key text, with the separator
/// before it, is compared as a whole, and each value is scanned as the kind it had. All the
/// per-field work of the full scan (finding the entry, duplicate keys, required fields, type
/// checks) was done once for that layout: a record that matches it gets the same answers.
/// Anything else (another layout or kind, whitespace, a long number) takes the full scan.
final class DirectTemplate {
    struct Field {
        /// The token's first eight bytes (zero-padded and masked when shorter), its last eight
        /// when longer than eight, and bytes 8..<16 when longer than sixteen.
        var first: UInt64 = 0
        var last: UInt64 = 0
        var middle: UInt64 = 0
        var mask: UInt64 = 0
        /// The token: the separator (`{` or `,`), the quoted key and the colon.
        var length = 0
        /// The slot it fills (`PartialDecoder.names`), or -1.
        var read = -1
        var string = false
        /// Whether its integer is the event time.
        var time = false
    }

    static let maxFields = 16
    static let maxToken = 24
    /// Slots whose strings can wait (`pending`): the bits of a word.
    static let maxDeferred = 64

    private(set) var fields: UnsafeMutablePointer<Field>
    /// Fields of the layout; 0 before one is learned.
    private(set) var count = 0
    /// Whether the layout fills every slot, so that no slot needs clearing first.
    private(set) var fillsEverySlot = false
    /// The slots it does not fill, as bits, when there are at most 64 slots (else all are cleared).
    private(set) var unfilled: UInt64 = 0
    private(set) var clearsUnfilled = false
    /// The layout being noted during a full scan; -1 when the record cannot be a layout.
    private var candidate: UnsafeMutablePointer<Field>
    private var candidateCount = 0
    /// Strings of the last record left undecoded (`decodeDirect(_:eventTime:deferringStrings:)`):
    /// bit `slot` set when its content is at `stringStarts[slot]` (`stringCounts[slot]` bytes).
    var pending: UInt64 = 0
    let stringStarts: UnsafeMutablePointer<Int>
    let stringCounts: UnsafeMutablePointer<Int>
    /// The window step records go to (`Engine.processDirect`), held by the decoder's
    /// `directTarget`: kept here unretained, so that using it costs no reference counting.
    var target: Unmanaged<DirectWindowTarget>?

    init() {
        fields = .allocate(capacity: Self.maxFields)
        fields.initialize(repeating: Field(), count: Self.maxFields)
        candidate = .allocate(capacity: Self.maxFields)
        candidate.initialize(repeating: Field(), count: Self.maxFields)
        stringStarts = .allocate(capacity: Self.maxDeferred)
        stringStarts.initialize(repeating: 0, count: Self.maxDeferred)
        stringCounts = .allocate(capacity: Self.maxDeferred)
        stringCounts.initialize(repeating: 0, count: Self.maxDeferred)
    }

    deinit {
        fields.deallocate()
        candidate.deallocate()
        stringStarts.deallocate()
        stringCounts.deallocate()
    }

    /// Starts noting the layout of a record the full scan reads.
    @inline(__always) func beginNoting() { candidateCount = 0 }

    /// Notes field `n` of the record being scanned: its token (`length` bytes at `token`).
    @inline(__always)
    func note(_ n: Int, token: UnsafePointer<UInt8>, length: Int, read: Int, string: Bool, time: Bool) {
        guard candidateCount == n, n < Self.maxFields, length <= Self.maxToken, length >= 1 else {
            candidateCount = -1
            return
        }
        var field = Field(length: length, read: read, string: string, time: time)
        field.first = Self.word(token, min(length, 8))
        field.mask = length >= 8 ? ~0 : (1 << (8 * UInt64(length))) &- 1
        if length > 8 { field.last = Self.word(token + length - 8, 8) }
        if length > 16 { field.middle = Self.word(token + 8, 8) }
        candidate[n] = field
        candidateCount = n + 1
    }

    /// The noted layout becomes the one records are matched against (the full scan accepted
    /// its record); `slots` is the number of slots.
    func commit(slots: Int) {
        guard candidateCount > 0 else { return }
        swap(&fields, &candidate)
        count = candidateCount
        var filled = 0
        var filledBits: UInt64 = 0
        for k in 0..<count where fields[k].read >= 0 {
            filled += 1
            if fields[k].read < 64 { filledBits |= 1 << UInt64(fields[k].read) }
        }
        // Reads are distinct (the scan rejects duplicate keys), so this counts slots.
        fillsEverySlot = filled == slots
        clearsUnfilled = slots <= 64
        unfilled = (slots >= 64 ? ~0 : (1 << UInt64(max(0, slots))) &- 1) & ~filledBits
        candidateCount = 0
    }

    /// `count` (at most 8) bytes at `p` as a little-endian word, zero-padded.
    @inline(__always)
    private static func word(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        var w: UInt64 = 0
        for k in 0..<count { w |= UInt64(p[k]) << (8 * UInt64(k)) }
        return w
    }

    /// Whether the token of `field` is at `p + i` (`end` bytes in all).
    @inline(__always)
    static func tokenMatches(_ field: UnsafePointer<Field>, _ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Bool {
        let length = field.pointee.length
        guard i &+ max(length, 8) <= end else { return false }
        let raw = UnsafeRawPointer(p + i)
        let a = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        guard a & field.pointee.mask == field.pointee.first else { return false }
        guard length > 8 else { return true }
        let b = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self))
        guard b == field.pointee.last else { return false }
        guard length > 16 else { return true }
        return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) == field.pointee.middle
    }

    /// The digits of a JSON integer of at most 15 digits at `start`, their value and the
    /// index after them, read eight at a time; nil for anything else (or too near the end to
    /// read eight bytes past it: the full scan then decides). A fraction or exponent after
    /// the digits is left to the caller, whose next token (`,` or `}`) rejects it. `-0` is
    /// left to the full scan too, so that a record of the layout is in canonical form (its
    /// bytes can be spliced, see `Engine.processDirectMap`).
    @inline(__always)
    static func integer(_ p: UnsafePointer<UInt8>, from start: Int, _ end: Int) -> (Int64, Int)? {
        guard let first = firstWord(p, from: start, end) else { return nil }
        var value = convert(first.word, first.digits)
        var j = first.at &+ first.digits
        if first.digits == 8 {
            let v = UInt64(littleEndian: UnsafeRawPointer(p + j).loadUnaligned(as: UInt64.self))
            let more = digitCount(v)
            guard more < 8 else { return nil }
            if more > 0 {
                value = value &* power(more) &+ convert(v, more)
                j &+= more
            }
        }
        return (first.negative ? 0 &- value : value, j)
    }

    /// The start of an integer `integer` may accept at `start`: its sign, where its digits
    /// begin, their first eight bytes and how many of those are digits.
    @inline(__always)
    private static func firstWord(
        _ p: UnsafePointer<UInt8>, from start: Int, _ end: Int
    ) -> (negative: Bool, at: Int, word: UInt64, digits: Int)? {
        // Seventeen bytes: the sign and two words.
        guard start &+ 17 <= end else { return nil }
        let negative = p[start] == UInt8(ascii: "-")
        let j = negative ? start &+ 1 : start
        let w = UInt64(littleEndian: UnsafeRawPointer(p + j).loadUnaligned(as: UInt64.self))
        let digits = digitCount(w)
        // No leading zero before other digits, nor after a minus.
        guard digits > 0, w & 0xFF != 0x30 || digits == 1 && !negative else { return nil }
        return (negative, j, w, digits)
    }

    /// The index after the integer at `start`, for a field no slot reads: what `integer`
    /// accepts, without working out its value.
    @inline(__always)
    static func integerEnd(_ p: UnsafePointer<UInt8>, from start: Int, _ end: Int) -> Int? {
        guard let first = firstWord(p, from: start, end) else { return nil }
        let j = first.at
        guard first.digits == 8 else { return j &+ first.digits }
        let more = digitCount(UInt64(littleEndian: UnsafeRawPointer(p + j + 8).loadUnaligned(as: UInt64.self)))
        guard more < 8 else { return nil }
        return j &+ 8 &+ more
    }

    /// 10 to the power `n` (0 to 7).
    @inline(__always)
    private static func power(_ n: Int) -> Int64 {
        var p: Int64 = 1
        for _ in 0..<n { p &*= 10 }
        return p
    }

    /// `JSONObjectScan.plainStringEnd`, also eight bytes at a time when fewer than eight are
    /// left: the text's last eight bytes are read and those before `start` shifted out.
    @inline(__always)
    static func stringEnd(_ p: UnsafePointer<UInt8>, from start: Int, _ end: Int) -> Int? {
        let left = end &- start
        guard left < 8, left > 0, end >= 8 else { return JSONObjectScan.plainStringEnd(p, from: start, end) }
        let w = UInt64(littleEndian: UnsafeRawPointer(p + end - 8).loadUnaligned(as: UInt64.self)) >> (8 * UInt64(8 - left))
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ 0x2222_2222_2222_2222
        let backslash = w ^ 0x5C5C_5C5C_5C5C_5C5C
        // As in `plainStringEnd`; the zero bytes shifted in past the end count as control
        // characters, so that none found before the end means none at all.
        let special = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (w &- 0x2020_2020_2020_2020) & ~w | w) & highs
        let k = special.trailingZeroBitCount >> 3
        guard k < left, p[start + k] == UInt8(ascii: "\"") else { return nil }
        return start + k
    }

    /// How many of the eight bytes of `w` (lowest first) are ASCII digits before the first
    /// that is not.
    @inline(__always)
    private static func digitCount(_ w: UInt64) -> Int {
        let nibbles: UInt64 = 0xF0F0_F0F0_F0F0_F0F0, zeros: UInt64 = 0x3030_3030_3030_3030
        // Nonzero in every byte that is not a digit; a carry out of the addition only reaches
        // bytes above a non-digit one.
        let other = ((w & nibbles) ^ zeros) | (((w &+ 0x0606_0606_0606_0606) & nibbles) ^ zeros)
        return other.trailingZeroBitCount >> 3
    }

    /// The value of the first `digits` (1 to 8) digits of `w`, lowest byte first.
    @inline(__always)
    private static func convert(_ w: UInt64, _ digits: Int) -> Int64 {
        // Moved to the top: the bytes shifted in below are leading zeros.
        var v = (((w << UInt64(64 - 8 * digits)) & 0x0F0F_0F0F_0F0F_0F0F) &* 2561) >> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
        v = ((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32
        return Int64(truncatingIfNeeded: v)
    }
}

extension PartialDecoder {
    /// `decodeDirect(_:eventTime:deferringStrings:)` with strings deferred, trying the
    /// remembered layout first without the full scan's setup.
    @inline(__always)
    func decodeDirectDeferring(_ text: UnsafeBufferPointer<UInt8>, eventTime: inout Int64?) -> Bool? {
        // A layout is only learned from a record `decodeDirect` accepted, so it applies here.
        if directTemplate.count > 0, let p = text.baseAddress {
            directTemplate.pending = 0
            if decodeTemplate(p, text.count, eventTime: &eventTime, deferringStrings: true) { return true }
        }
        return decodeDirect(text, eventTime: &eventTime, deferringStrings: true, triedTemplate: true)
    }

    /// `decodeDirect` for a record of the remembered layout: true, having filled the slots
    /// and `eventTime` exactly as the full scan would, when the record has that layout;
    /// false otherwise (the full scan then decides; the slots may have been changed).
    @inline(__always)
    func decodeTemplate(_ p: UnsafePointer<UInt8>, _ end: Int, eventTime: inout Int64?, deferringStrings: Bool) -> Bool {
        let template = directTemplate
        if !template.fillsEverySlot {
            if template.clearsUnfilled {
                var unfilled = template.unfilled
                while unfilled != 0 {
                    slotPresent[unfilled.trailingZeroBitCount] = false
                    unfilled &= unfilled &- 1
                }
            } else {
                for k in 0..<names.count { slotPresent[k] = false }
            }
        }
        var field = UnsafePointer(template.fields)
        let last = field + template.count
        var i = 0
        var time: Int64?
        var pending: UInt64 = 0
        while field < last {
            guard DirectTemplate.tokenMatches(field, p, i, end) else { return false }
            i &+= field.pointee.length
            let read = field.pointee.read
            if field.pointee.string {
                guard i < end, p[i] == UInt8(ascii: "\""), let stringEnd = DirectTemplate.stringEnd(p, from: i + 1, end)
                else { return false }
                if read >= 0 {
                    slotPresent[read] = true
                    slotIsInt[read] = false
                    slotInts[read] = 0
                    if deferringStrings, read < DirectTemplate.maxDeferred {
                        template.stringStarts[read] = i + 1
                        template.stringCounts[read] = stringEnd - i - 1
                        pending |= 1 << UInt64(read)
                    } else {
                        setString(p + i + 1, count: stringEnd - i - 1, slot: read)
                    }
                }
                i = stringEnd + 1
            } else if read < 0, !field.pointee.time {
                guard let numberEnd = DirectTemplate.integerEnd(p, from: i, end) else { return false }
                i = numberEnd
            } else {
                guard let (number, numberEnd) = DirectTemplate.integer(p, from: i, end) else { return false }
                if read >= 0 {
                    slotPresent[read] = true
                    slotIsInt[read] = true
                    slotInts[read] = number
                }
                if field.pointee.time { time = number }
                i = numberEnd
            }
            field += 1
        }
        guard i + 1 == end, p[i] == UInt8(ascii: "}") else { return false }
        template.pending = pending
        if let time {
            if !eventTimeInSeconds {
                eventTime = time
            } else {
                let (ms, overflow) = time.multipliedReportingOverflow(by: 1000)
                if !overflow { eventTime = ms }
            }
        }
        return true
    }

    /// Decodes the strings `decodeDirect(_:eventTime:deferringStrings:)` left pending, from
    /// the same `text`: the slots are then as `decodeDirect` leaves them.
    func decodePendingStrings(_ text: UnsafePointer<UInt8>) {
        let template = directTemplate
        var pending = template.pending
        template.pending = 0
        while pending != 0 {
            let slot = pending.trailingZeroBitCount
            pending &= pending &- 1
            setString(text + template.stringStarts[slot], count: template.stringCounts[slot], slot: slot)
        }
    }
}
