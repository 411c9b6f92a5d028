/// Durations as pipeline files write them: `250ms`, `60s`, `5m`, `1h`, `1d`, `1.5s`, `1h30m`.
///
/// A duration is one or more `<number><unit>` parts with units in decreasing order, each at
/// most once; numbers are decimal and may have a fraction as long as the total is a whole
/// number of milliseconds. Units: `d`, `h`, `m`, `s`, `ms`. A bare `0` is also accepted.
/// Negative values, other units, spaces and overflow are rejected.
public enum DurationParser {
    /// Units from largest to smallest, with their length in milliseconds.
    private static let units: [(name: String, milliseconds: Int64)] = [
        ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1),
    ]

    /// The duration in milliseconds, or nil if `text` is not a valid duration.
    public static func milliseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        if bytes == [UInt8(ascii: "0")] { return 0 }
        guard !bytes.isEmpty else { return nil }
        var i = 0
        var total: Int64 = 0
        var previousUnit = -1
        while i < bytes.count {
            // The number: digits, then optionally a '.' and more digits.
            var whole: Int64 = 0
            let wholeStart = i
            while i < bytes.count, let digit = digitValue(bytes[i]) {
                guard let next = multiplyAdd(whole, 10, digit) else { return nil }
                whole = next
                i += 1
            }
            guard i > wholeStart else { return nil }
            var fraction: [Int64] = []
            if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
                i += 1
                while i < bytes.count, let digit = digitValue(bytes[i]) {
                    fraction.append(digit)
                    i += 1
                }
                guard !fraction.isEmpty else { return nil }
            }
            // The unit: the run of letters after the number.
            let unitStart = i
            while i < bytes.count && bytes[i] >= UInt8(ascii: "a") && bytes[i] <= UInt8(ascii: "z") { i += 1 }
            let name = String(decoding: bytes[unitStart..<i], as: UTF8.self)
            guard let unit = units.firstIndex(where: { $0.name == name }), unit > previousUnit else { return nil }
            previousUnit = unit
            guard let part = value(whole: whole, fraction: fraction, unit: units[unit].milliseconds),
                case (let sum, false) = total.addingReportingOverflow(part)
            else { return nil }
            total = sum
        }
        return total
    }

    /// The shortest text that `milliseconds(_:)` reads back as `ms`, e.g. `1m`, `1h30m`, `250ms`.
    public static func describe(_ ms: Int64) -> String {
        if ms == 0 { return "0s" }
        var rest = ms.magnitude
        var text = ms < 0 ? "-" : ""
        for unit in units {
            let size = UInt64(unit.milliseconds)
            if rest >= size {
                text += "\(rest / size)\(unit.name)"
                rest %= size
            }
        }
        return text
    }

    private static func digitValue(_ byte: UInt8) -> Int64? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int64(byte - UInt8(ascii: "0")) : nil
    }

    private static func multiplyAdd(_ a: Int64, _ b: Int64, _ c: Int64) -> Int64? {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { return nil }
        let (sum, overflow2) = product.addingReportingOverflow(c)
        return overflow2 ? nil : sum
    }

    /// `whole.fraction` units in milliseconds; nil on overflow or when not a whole number of ms.
    private static func value(whole: Int64, fraction: [Int64], unit: Int64) -> Int64? {
        guard var total = multiplyAdd(whole, unit, 0) else { return nil }
        // Trailing zeros add nothing; dropping them keeps the arithmetic small.
        var digits = fraction
        while digits.last == 0 { digits.removeLast() }
        guard !digits.isEmpty else { return total }
        // Fractions too precise for Int64 arithmetic are rejected, as overflow.
        guard digits.count <= 18 else { return nil }
        var numerator: Int64 = 0
        var denominator: Int64 = 1
        for digit in digits {
            numerator = numerator * 10 + digit
            denominator *= 10
        }
        guard case (let scaled, false) = numerator.multipliedReportingOverflow(by: unit),
            scaled % denominator == 0
        else { return nil }
        let (sum, overflow) = total.addingReportingOverflow(scaled / denominator)
        guard !overflow else { return nil }
        total = sum
        return total
    }
}
