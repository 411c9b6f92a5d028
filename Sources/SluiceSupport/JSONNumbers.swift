extension JSONParser {
    /// Parses the number at the cursor: `.int` when it is an integer that fits Int64, else `.double`.
    mutating func parseNumber() throws(JSONError) -> Value {
        let start = pos
        var p = pos
        let negative = base[p] == UInt8(ascii: "-")
        if negative { p += 1 }

        // Up to 19 digits always fit a UInt64, so the loops use wrapping arithmetic and the
        // digit count says afterwards whether `mantissa` is exact.
        var mantissa: UInt64 = 0
        guard p < end, isDigit(base[p]) else { throw unexpected(at: p, expecting: "a digit") }
        let integerStart = p
        if base[p] == UInt8(ascii: "0") {
            p += 1
            if p < end && isDigit(base[p]) { throw JSONError("leading zero in number", at: start) }
        } else {
            while p < end, isDigit(base[p]) {
                mantissa = mantissa &* 10 &+ UInt64(base[p] &- UInt8(ascii: "0"))
                p += 1
            }
        }
        var digits = p - integerStart
        var isInteger = true
        var exponent = 0

        if p < end && base[p] == UInt8(ascii: ".") {
            isInteger = false
            p += 1
            let fractionStart = p
            while p < end, isDigit(base[p]) {
                mantissa = mantissa &* 10 &+ UInt64(base[p] &- UInt8(ascii: "0"))
                p += 1
            }
            guard p > fractionStart else { throw unexpected(at: p, expecting: "a digit after the decimal point") }
            exponent = fractionStart - p
            digits += p - fractionStart
        }
        if p < end && (base[p] | 0x20) == UInt8(ascii: "e") {
            isInteger = false
            p += 1
            var negativeExponent = false
            if p < end && (base[p] == UInt8(ascii: "+") || base[p] == UInt8(ascii: "-")) {
                negativeExponent = base[p] == UInt8(ascii: "-")
                p += 1
            }
            guard p < end, isDigit(base[p]) else { throw unexpected(at: p, expecting: "a digit in the exponent") }
            var written = 0
            while p < end, isDigit(base[p]) {
                // Clamped: anything this large is out of range or zero anyway.
                if written < 100_000 { written = written * 10 + Int(base[p] &- UInt8(ascii: "0")) }
                p += 1
            }
            exponent += negativeExponent ? -written : written
        }
        pos = p

        let exact = digits <= 19
        if isInteger && exact {
            if mantissa <= UInt64(Int64.max) { return .int(negative ? -Int64(mantissa) : Int64(mantissa)) }
            if negative && mantissa == UInt64(Int64.max) + 1 { return .int(Int64.min) }
        }
        return .double(try makeDouble(
            mantissa: mantissa, exponent: exponent, negative: negative, exact: exact, start: start))
    }

    @inline(__always) private func isDigit(_ c: UInt8) -> Bool {
        c &- UInt8(ascii: "0") < 10
    }

    /// The double for the number text that starts at `start` and ends at the cursor.
    private func makeDouble(
        mantissa: UInt64, exponent: Int, negative: Bool, exact: Bool, start: Int
    ) throws(JSONError) -> Double {
        // Exact when both the mantissa and the power of ten are exact doubles (Clinger's fast path).
        if exact && mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            let power = JSONParser.powersOfTen[exponent < 0 ? -exponent : exponent]
            value = exponent < 0 ? value / power : value * power
            return negative ? -value : value
        }
        // The general case uses the standard library's correctly rounded conversion.
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: pos - start), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw JSONError("number out of range", at: start)
        }
        return value
    }

    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]
}
