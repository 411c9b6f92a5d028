/// Number text for JSON writers that append to byte arrays (aggregate results written
/// straight to bytes), and the short-decimal fast path of `JSONOutput.writeDouble`.
extension JSON {
    /// Appends the JSON text of `number`: the same bytes `Value.writeJSON` writes for `.int(number)`.
    public static func writeInteger(_ number: Int64, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            guard let base = buffer.baseAddress else { return }
            let count = JSONNumberText.integer(number, into: base)
            out.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
        }
    }

    /// Appends the JSON text of `number`: the same bytes `Value.writeJSON` writes for
    /// `.double(number)` (shortest round-trip form, `null` when not finite).
    public static func writeDouble(_ number: Double, into out: inout [UInt8]) {
        let done: Bool = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            guard let base = buffer.baseAddress, let count = writeDouble(number, at: base) else { return false }
            out.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
            return true
        }
        if !done { out.append(contentsOf: number.description.utf8) }
    }
}

extension JSON {
    /// Writes the JSON text of `number` at `target`, which has room for 20 bytes; returns how
    /// many bytes it wrote.
    @inline(__always)
    public static func writeInteger(_ number: Int64, at target: UnsafeMutablePointer<UInt8>) -> Int {
        JSONNumberText.integer(number, into: target)
    }

    /// Writes the JSON text of `number` (as `writeDouble(_:into:)`) at `target`, which has room
    /// for 32 bytes; returns how many bytes it wrote, nil if it did not fit (it always does).
    public static func writeDouble(_ number: Double, at target: UnsafeMutablePointer<UInt8>) -> Int? {
        guard number.isFinite else { return writeLiteral("null", at: target) }
        return JSONNumberText.shortDecimal(number, into: target) ?? JSONNumberText.description(number, into: target)
    }

    /// Writes `text` (`null`, `true`, `false`) at `target`; returns how many bytes it wrote.
    @inline(__always)
    public static func writeLiteral(_ text: StaticString, at target: UnsafeMutablePointer<UInt8>) -> Int {
        target.initialize(from: text.utf8Start, count: text.utf8CodeUnitCount)
        return text.utf8CodeUnitCount
    }
}

/// Takes what `Double.write(to:)` writes into a buffer of 32 bytes.
private struct ASCIIBuffer: TextOutputStream {
    let target: UnsafeMutablePointer<UInt8>
    var count = 0
    var overflowed = false

    mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { _writeASCII($0) }
    }

    /// How the standard library's number types write their text (the protocol's own,
    /// underscored requirement): as bytes, taken here without a `String` being made.
    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        guard let base = buffer.baseAddress, count + buffer.count <= 32 else {
            overflowed = overflowed || !buffer.isEmpty
            return
        }
        (target + count).initialize(from: base, count: buffer.count)
        count += buffer.count
    }
}

enum JSONNumberText {
    /// Writes Swift's `description` of `number` (the shortest round-trip text) at `target`,
    /// which has room for 32 bytes; nil if it did not fit (it always does: at most 24).
    /// `description` makes a `String`, allocated when longer than 15 bytes, as most averages are.
    static func description(_ number: Double, into target: UnsafeMutablePointer<UInt8>) -> Int? {
        var buffer = ASCIIBuffer(target: target)
        number.write(to: &buffer)
        return buffer.overflowed ? nil : buffer.count
    }

    /// Writes the decimal digits of `number` at `target` (room for 20 bytes); returns how many.
    @inline(__always)
    static func integer(_ number: Int64, into target: UnsafeMutablePointer<UInt8>) -> Int {
        var magnitude = number.magnitude
        var sign = 0
        if number < 0 {
            target[0] = UInt8(ascii: "-")
            sign = 1
        }
        let digits = digitCount(magnitude)
        var i = sign + digits
        digitPairs.withUTF8Buffer { pairs in
            while magnitude >= 10 {
                let pair = Int(magnitude % 100) &* 2
                magnitude /= 100
                i -= 2
                target[i] = pairs[pair]
                target[i + 1] = pairs[pair + 1]
            }
            if i > sign { target[i - 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude) }
        }
        return sign + digits
    }

    /// Decimal digits in `n` (1 for 0).
    @inline(__always)
    static func digitCount(_ n: UInt64) -> Int {
        // Most numbers in records are short: count up from 1 by powers of ten, four at a time.
        if n < 10_000 { return n < 100 ? (n < 10 ? 1 : 2) : (n < 1000 ? 3 : 4) }
        if n < 100_000_000 { return n < 1_000_000 ? (n < 100_000 ? 5 : 6) : (n < 10_000_000 ? 7 : 8) }
        var digits = 9
        var limit: UInt64 = 1_000_000_000
        while digits < 20 && n >= limit {
            digits += 1
            if digits == 20 { break }
            limit &*= 10
        }
        return digits
    }

    static let digitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    private static let powers: (Double, Double, Double, Double) = (1, 10, 100, 1000)

    /// Writes `number` as Swift's `description` does when it is a decimal of at most three
    /// places between 0.001 and 1e15, digits without the point under 1e15 (`38.0`, `50.4`,
    /// `-2.125`); returns the byte count, or nil, having written nothing useful, when it is
    /// not (the caller uses `description`).
    ///
    /// The text is the shortest that reads back as `number`: the fewest places `k` with
    /// `round(|number| * 10^k) / 10^k == |number|`, both steps exact or correctly rounded in
    /// this range, and the closest such decimal, as the shortest round-trip form requires.
    @inline(__always)
    static func shortDecimal(_ number: Double, into target: UnsafeMutablePointer<UInt8>) -> Int? {
        let magnitude = number.magnitude
        guard magnitude >= 0.001, magnitude < 1e15 else { return nil }
        // One test first turns most other numbers away: a decimal of fewer places that reads
        // back as `number` passes the test below at three places too (its digits scaled up).
        let thousands = magnitude * powers.3
        if thousands < 1e15, thousands.rounded() / powers.3 != magnitude { return nil }
        for places in 0...3 {
            let scale: Double
            switch places {
            case 0: scale = powers.0
            case 1: scale = powers.1
            case 2: scale = powers.2
            default: scale = powers.3
            }
            // Below 1e15 (under 2^50) a decimal of `places` places is unique within the
            // number's rounding interval (a quarter unit wide at most), so this one is it.
            let product = magnitude * scale
            guard product < 1e15 else { return nil }
            let scaled = product.rounded()
            guard scaled / scale == magnitude else { continue }
            // Below 1e18: the conversion is exact and cannot trap.
            let digits = UInt64(scaled)
            var count = 0
            if number < 0 {
                target[0] = UInt8(ascii: "-")
                count = 1
            }
            var divisor: UInt64 = 1
            for _ in 0..<places { divisor &*= 10 }
            count += integer(Int64(digits / divisor), into: target + count)
            target[count] = UInt8(ascii: ".")
            count += 1
            if places == 0 {
                target[count] = UInt8(ascii: "0")
                return count + 1
            }
            var fraction = digits % divisor
            var i = count + places
            for _ in 0..<places {
                i -= 1
                target[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: fraction % 10)
                fraction /= 10
            }
            return count + places
        }
        return nil
    }
}
