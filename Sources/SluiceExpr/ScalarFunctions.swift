#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SluiceSupport

/// The scalar functions: name, argument counts and body.
enum ScalarFunctions {
    static let all: [(String, Int, Int?, FunctionBody)] = strings + math + conversions + metadata

    static let strings: [(String, Int, Int?, FunctionBody)] = [
        ("length", 1, 1, { args, _ throws(EvaluationError) in
            switch args[0] {
            case .string(let s): return .int(Int64(s.count))
            case .array(let items): return .int(Int64(items.count))
            case .object(let object): return .int(Int64(object.count))
            default: throw args.typeError("a string, array or object", argument: 0)
            }
        }),
        ("lower", 1, 1, { args, _ throws(EvaluationError) in try args.checked(try args.string(0).lowercased()) }),
        ("upper", 1, 1, { args, _ throws(EvaluationError) in try args.checked(try args.string(0).uppercased()) }),
        ("trim", 1, 1, { args, _ throws(EvaluationError) in .string(trim(try args.string(0))) }),
        ("concat", 1, nil, { args, _ throws(EvaluationError) in
            var out = ""
            for i in 0..<args.count where !args[i].isNull {
                let piece = text(args[i])
                try ResultLimits.checkString(bytes: out.utf8.count + piece.utf8.count, building: "concat()", offset: args.site.offset)
                out += piece
            }
            return .string(out)
        }),
        ("substring", 2, 3, substring),
        ("substr", 2, 3, substring),
        ("contains", 2, 2, { args, _ throws(EvaluationError) in
            switch args[0] {
            case .string(let s): return .bool(s.contains(try args.string(1)))
            case .array(let items): return .bool(items.contains { Operators.equals($0, args[1]) })
            default: throw args.typeError("a string or an array", argument: 0)
            }
        }),
        ("starts_with", 2, 2, { args, _ throws(EvaluationError) in
            .bool(try args.string(0).hasPrefix(try args.string(1)))
        }),
        ("ends_with", 2, 2, { args, _ throws(EvaluationError) in
            .bool(try args.string(0).hasSuffix(try args.string(1)))
        }),
        ("replace", 3, 3, { args, _ throws(EvaluationError) in
            let s = try args.string(0), from = try args.string(1), to = try args.string(2)
            guard !from.isEmpty else { throw args.error("replace() needs a non-empty string to replace", argument: 1) }
            return .string(try replace(from, with: to, in: s, site: args.site))
        }),
        ("split", 2, 2, { args, _ throws(EvaluationError) in
            let s = try args.string(0), separator = try args.string(1)
            let tooMany = EvaluationError("split() would return more than \(ResultLimits.maxSplitPieces) pieces", offset: args.site.offset)
            if separator.isEmpty {
                // Counts characters only up to the limit, not through a huge string.
                guard s.utf8.count <= ResultLimits.maxSplitPieces || s.dropFirst(ResultLimits.maxSplitPieces).isEmpty else {
                    throw tooMany
                }
                return .array(s.map { .string(String($0)) })
            }
            let pieces = s.split(separator: separator, maxSplits: ResultLimits.maxSplitPieces, omittingEmptySubsequences: false)
            guard pieces.count <= ResultLimits.maxSplitPieces else { throw tooMany }
            return .array(pieces.map { .string(String($0)) })
        }),
    ]

    static let math: [(String, Int, Int?, FunctionBody)] = [
        ("abs", 1, 1, { args, _ throws(EvaluationError) in
            switch try args.number(0) {
            case .int(let n):
                guard n != Int64.min else { throw args.error("integer overflow in abs()", argument: 0) }
                return .int(n < 0 ? -n : n)
            case let value: return .double(Swift.abs(value.numberValue ?? 0))
            }
        }),
        ("round", 1, 2, { args, _ throws(EvaluationError) in
            let value = try args.number(0)
            let digits = args.count > 1 ? try args.integer(1) : 0
            guard digits >= -18 && digits <= 18 else { throw args.error("round() needs digits between -18 and 18", argument: 1) }
            if case .int = value, digits >= 0 { return value }
            let x = value.numberValue ?? 0
            if digits == 0 { return integral(x.rounded(.toNearestOrAwayFromZero)) }
            let scale = pow(10.0, Double(digits))
            let rounded = (x * scale).rounded(.toNearestOrAwayFromZero) / scale
            if case .int = value { return integral(rounded) }
            return .double(rounded.isFinite ? rounded : x)
        }),
        ("floor", 1, 1, { args, _ throws(EvaluationError) in
            let value = try args.number(0)
            if case .int = value { return value }
            return integral((value.numberValue ?? 0).rounded(.down))
        }),
        ("ceil", 1, 1, { args, _ throws(EvaluationError) in
            let value = try args.number(0)
            if case .int = value { return value }
            return integral((value.numberValue ?? 0).rounded(.up))
        }),
        ("sqrt", 1, 1, { args, _ throws(EvaluationError) in
            let x = try args.double(0)
            guard x >= 0 else { throw args.error("sqrt() of a negative number", argument: 0) }
            return .double(x.squareRoot())
        }),
        ("pow", 2, 2, { args, _ throws(EvaluationError) in
            if case .int(let base) = try args.number(0), case .int(let exponent) = try args.number(1), exponent >= 0 {
                guard let result = integerPower(base, exponent) else {
                    throw EvaluationError("integer overflow in pow()", offset: args.site.offset)
                }
                return .int(result)
            }
            let result = pow(try args.double(0), try args.double(1))
            guard result.isFinite else {
                throw EvaluationError("pow() result is not a finite number", offset: args.site.offset)
            }
            return .double(result)
        }),
        ("least", 1, nil, { args, _ throws(EvaluationError) in try extreme(args, keepIfBelow: true) }),
        ("greatest", 1, nil, { args, _ throws(EvaluationError) in try extreme(args, keepIfBelow: false) }),
    ]

    static let conversions: [(String, Int, Int?, FunctionBody)] = [
        ("string", 1, 1, { args, _ throws(EvaluationError) in args[0].isNull ? .string("null") : try args.checked(text(args[0])) }),
        ("int", 1, 1, { args, _ throws(EvaluationError) in
            switch args[0] {
            case .int: return args[0]
            case .double(let d):
                let t = d.rounded(.towardZero)
                guard t >= -9_223_372_036_854_775_808.0 && t < 9_223_372_036_854_775_808.0 else {
                    throw args.error("int() cannot convert \(JSONText.number(d)) to an integer", argument: 0)
                }
                return .int(Int64(t))
            case .string(let s):
                guard let n = Int64(trim(s)) else {
                    throw args.error("int() cannot convert \(JSONText.quoted(s)) to an integer", argument: 0)
                }
                return .int(n)
            default: throw args.typeError("a number or a numeric string", argument: 0)
            }
        }),
        ("float", 1, 1, { args, _ throws(EvaluationError) in
            switch args[0] {
            case .int(let n): return .double(Double(n))
            case .double: return args[0]
            case .string(let s):
                guard let d = Double(trim(s)), d.isFinite else {
                    throw args.error("float() cannot convert \(JSONText.quoted(s)) to a number", argument: 0)
                }
                return .double(d)
            default: throw args.typeError("a number or a numeric string", argument: 0)
            }
        }),
        ("is_null", 1, 1, { args, _ in .bool(args[0].isNull) }),
        ("typeof", 1, 1, { args, _ in .string(args[0].typeName) }),
    ]

    static let metadata: [(String, Int, Int?, FunctionBody)] = [
        ("now", 0, 0, { _, context in .int(context.now) }),
        ("key", 0, 0, { _, context in context.key }),
        ("timestamp", 0, 0, { _, context in .int(context.timestamp) }),
        ("topic", 0, 0, { _, context in .string(context.topic) }),
        ("partition", 0, 0, { _, context in .int(Int64(context.partition)) }),
        ("offset", 0, 0, { _, context in .int(context.offset) }),
        ("header", 1, 1, { args, context throws(EvaluationError) in
            let name = try args.string(0)
            // Kafka allows repeated headers; the last one wins, as with Java's lastHeader().
            guard let header = context.headers.last(where: { $0.name == name }), let bytes = header.value else {
                return .null
            }
            return .string(String(decoding: bytes, as: UTF8.self))
        }),
    ]

    // MARK: helpers

    /// A value as text: strings as they are, numbers and booleans as written, the rest as JSON.
    static func text(_ value: Value) -> String {
        switch value {
        case .string(let s): s
        case .int(let n): String(n)
        case .double(let d): JSONText.number(d)
        case .bool(let b): b ? "true" : "false"
        default: JSONText.write(value)
        }
    }

    /// `s` with every `from` replaced by `to`, failing as soon as the result grows too long.
    static func replace(_ from: String, with to: String, in s: String, site: CallSite) throws(EvaluationError) -> String {
        var out = ""
        var rest = s[...]
        while let match = rest.firstRange(of: from) {
            out += rest[..<match.lowerBound]
            out += to
            rest = rest[match.upperBound...]
            try ResultLimits.checkString(bytes: out.utf8.count + rest.utf8.count, building: "replace()", offset: site.offset)
        }
        out += rest
        return out
    }

    static func trim(_ s: String) -> String {
        var start = s.startIndex, end = s.endIndex
        while start < end, s[start].isWhitespace { start = s.index(after: start) }
        while start < end {
            let before = s.index(before: end)
            guard s[before].isWhitespace else { break }
            end = before
        }
        return String(s[start..<end])
    }

    /// A whole double as an int when it fits, else the double.
    static func integral(_ d: Double) -> Value {
        d >= -9_223_372_036_854_775_808.0 && d < 9_223_372_036_854_775_808.0 ? .int(Int64(d)) : .double(d)
    }

    static func integerPower(_ base: Int64, _ exponent: Int64) -> Int64? {
        var result: Int64 = 1, factor = base, e = exponent
        while e > 0 {
            if e & 1 == 1 {
                let (r, overflow) = result.multipliedReportingOverflow(by: factor)
                if overflow { return nil }
                result = r
            }
            e >>= 1
            if e > 0 {
                let (f, overflow) = factor.multipliedReportingOverflow(by: factor)
                if overflow { return nil }
                factor = f
            }
        }
        return result
    }

    static func substring(_ args: borrowing Arguments, _ context: EvaluationContext) throws(EvaluationError) -> Value {
        let s = try args.string(0)
        let count = Int64(s.count)
        var start = try args.integer(1)
        if start < 0 { start = max(0, count + start) }  // from the end, like Python
        start = min(start, count)
        var length = count - start
        if args.count > 2 {
            let requested = try args.integer(2)
            guard requested >= 0 else { throw args.error("substring() needs a length of 0 or more", argument: 2) }
            length = min(length, requested)
        }
        let from = s.index(s.startIndex, offsetBy: Int(start))
        let to = s.index(from, offsetBy: Int(length))
        return .string(String(s[from..<to]))
    }

    /// `least` / `greatest`: nulls are skipped; numbers and strings do not mix.
    static func extreme(_ args: borrowing Arguments, keepIfBelow: Bool) throws(EvaluationError) -> Value {
        var best = Value.null
        for i in 0..<args.count {
            let value = args[i]
            if value.isNull { continue }
            if best.isNull {
                guard Operators.compare(value, value) != nil else { throw args.typeError("numbers or strings", argument: i) }
                best = value
                continue
            }
            guard let c = Operators.compare(value, best) else {
                throw args.error("\(args.site.name)() cannot compare \(value.typeName) and \(best.typeName)", argument: i)
            }
            if keepIfBelow ? c < 0 : c > 0 { best = value }
        }
        return best
    }
}
