import SluiceSupport

/// Resolves scalars with the YAML 1.2 core schema (plain scalars only; others are strings).
enum CoreSchema {
    static func resolve(_ scalar: YAMLScalar, tag: String?) -> Value {
        let text = scalar.text
        switch tag {
        case "!!str", "!": return .string(text)
        case "!!null": return .null
        case "!!bool": return bool(text).map(Value.bool) ?? .string(text)
        case "!!int": return integer(text) ?? .string(text)
        case "!!float": return float(text).map(Value.double) ?? integer(text) ?? .string(text)
        case nil: break
        default: if scalar.style != .plain { return .string(text) }
        }
        guard scalar.style == .plain else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        default: break
        }
        if let value = bool(text) { return .bool(value) }
        if let value = integer(text) { return value }
        if let value = float(text) { return .double(value) }
        return .string(text)
    }

    static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": true
        case "false", "False", "FALSE": false
        default: nil
        }
    }

    /// Decimal, `0x` and `0o` integers; decimals beyond Int64 become doubles, other overflows nil.
    static func integer(_ text: String) -> Value? {
        let scalars = Array(text.unicodeScalars)
        if scalars.count > 2, scalars[0] == "0", scalars[1] == "x" || scalars[1] == "o" {
            let digits = String(text.dropFirst(2))
            let radix = scalars[1] == "x" ? 16 : 8
            guard digits.unicodeScalars.allSatisfy({ isDigit($0, radix: radix) }) else { return nil }
            return Int64(digits, radix: radix).map(Value.int)
        }
        var body = scalars[...]
        if let sign = body.first, sign == "-" || sign == "+" { body = body.dropFirst() }
        guard !body.isEmpty, body.allSatisfy({ isDigit($0, radix: 10) }) else { return nil }
        if let value = Int64(text) { return .int(value) }
        return Double(text).map(Value.double)
    }

    /// Core schema floats: `1.5`, `-.5`, `1e3`, `.inf`, `-.Inf`, `.nan`.
    static func float(_ text: String) -> Double? {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        switch body {
        case ".inf", ".Inf", ".INF": return negative ? -.infinity : .infinity
        case ".nan", ".NaN", ".NAN": return text == body ? .nan : nil
        default: break
        }
        // [0-9]*(\.[0-9]*)?([eE][-+]?[0-9]+)? with at least one digit before the exponent.
        let scalars = Array(body.unicodeScalars)
        var index = 0
        var digits = 0
        while index < scalars.count, isDigit(scalars[index], radix: 10) { index += 1; digits += 1 }
        if index < scalars.count, scalars[index] == "." {
            index += 1
            while index < scalars.count, isDigit(scalars[index], radix: 10) { index += 1; digits += 1 }
        }
        guard digits > 0 else { return nil }
        if index < scalars.count, scalars[index] == "e" || scalars[index] == "E" {
            index += 1
            if index < scalars.count, scalars[index] == "-" || scalars[index] == "+" { index += 1 }
            let exponentStart = index
            while index < scalars.count, isDigit(scalars[index], radix: 10) { index += 1 }
            guard index > exponentStart else { return nil }
        }
        guard index == scalars.count else { return nil }
        return Double(text)
    }

    private static func isDigit(_ scalar: Unicode.Scalar, radix: Int) -> Bool {
        switch scalar {
        case "0"..."7": true
        case "8", "9": radix >= 10
        case "a"..."f", "A"..."F": radix == 16
        default: false
        }
    }
}
