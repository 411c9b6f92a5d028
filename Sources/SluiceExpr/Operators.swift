import SluiceSupport

/// Arithmetic, comparison and equality on values, with errors instead of traps.
enum Operators {
    static func arithmetic(_ op: BinaryOperator, _ a: Value, _ b: Value, offset: Int) throws(EvaluationError) -> Value {
        switch (a, b) {
        case (.int(let x), .int(let y)): return try integer(op, x, y, offset: offset)
        case (.int(let x), .double(let y)): return try double(op, Double(x), y, offset: offset)
        case (.double(let x), .int(let y)): return try double(op, x, Double(y), offset: offset)
        case (.double(let x), .double(let y)): return try double(op, x, y, offset: offset)
        case (.string(let x), .string(let y)) where op == .add:
            try ResultLimits.checkString(bytes: x.utf8.count + y.utf8.count, building: "'+'", offset: offset)
            return .string(x + y)
        default:
            throw EvaluationError("cannot apply '\(op.rawValue)' to \(a.typeName) and \(b.typeName)", offset: offset)
        }
    }

    private static func integer(_ op: BinaryOperator, _ x: Int64, _ y: Int64, offset: Int) throws(EvaluationError) -> Value {
        let result: (partialValue: Int64, overflow: Bool)
        switch op {
        case .add: result = x.addingReportingOverflow(y)
        case .subtract: result = x.subtractingReportingOverflow(y)
        case .multiply: result = x.multipliedReportingOverflow(by: y)
        case .divide:
            guard y != 0 else { throw EvaluationError("division by zero", offset: offset) }
            return .double(Double(x) / Double(y))
        case .remainder:
            guard y != 0 else { throw EvaluationError("division by zero", offset: offset) }
            // Int64.min % -1 overflows in hardware but is 0.
            var r = y == -1 ? 0 : x % y
            // Floored like Python: the result takes the divisor's sign.
            if r != 0 && (r < 0) != (y < 0) { r += y }
            return .int(r)
        default: return .null
        }
        guard !result.overflow else {
            throw EvaluationError("integer overflow in '\(op.rawValue)' (\(x) \(op.rawValue) \(y))", offset: offset)
        }
        return .int(result.partialValue)
    }

    private static func double(_ op: BinaryOperator, _ x: Double, _ y: Double, offset: Int) throws(EvaluationError) -> Value {
        let result: Double
        switch op {
        case .add: result = x + y
        case .subtract: result = x - y
        case .multiply: result = x * y
        case .divide:
            guard y != 0 else { throw EvaluationError("division by zero", offset: offset) }
            result = x / y
        case .remainder:
            guard y != 0 else { throw EvaluationError("division by zero", offset: offset) }
            var r = x.truncatingRemainder(dividingBy: y)
            if r != 0 && (r < 0) != (y < 0) { r += y }
            result = r
        default: return .null
        }
        guard result.isFinite else {
            throw EvaluationError("number overflow in '\(op.rawValue)'", offset: offset)
        }
        return .double(result)
    }

    /// Ordering of two numbers or two strings; nil for other pairs (null, mixed types).
    static func compare(_ a: Value, _ b: Value) -> Int? {
        switch (a, b) {
        case (.int(let x), .int(let y)): x < y ? -1 : (x == y ? 0 : 1)
        case (.double(let x), .double(let y)): x < y ? -1 : (x == y ? 0 : 1)
        case (.int(let x), .double(let y)): compare(x, y)
        case (.double(let x), .int(let y)): -compare(y, x)
        case (.string(let x), .string(let y)): x < y ? -1 : (x == y ? 0 : 1)
        default: nil
        }
    }

    /// Exact ordering of an integer and a double (no rounding of large integers).
    static func compare(_ i: Int64, _ d: Double) -> Int {
        if d >= 9_223_372_036_854_775_808.0 { return -1 }
        if d < -9_223_372_036_854_775_808.0 { return 1 }
        let floor = d.rounded(.down)
        let t = Int64(floor)
        if i != t { return i < t ? -1 : 1 }
        return d > floor ? -1 : 0
    }

    static func ordering(_ op: BinaryOperator, _ a: Value, _ b: Value, offset: Int) throws(EvaluationError) -> Bool {
        guard let c = compare(a, b) else {
            throw EvaluationError("cannot compare \(a.typeName) and \(b.typeName) with '\(op.rawValue)'", offset: offset)
        }
        switch op {
        case .less: return c < 0
        case .lessOrEqual: return c <= 0
        case .greater: return c > 0
        default: return c >= 0
        }
    }

    /// Equality where `1 == 1.0`; arrays element-wise, objects by key regardless of order.
    static func equals(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.int(let x), .double(let y)): return compare(x, y) == 0
        case (.double(let x), .int(let y)): return compare(y, x) == 0
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equals($0, $1) }
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for field in x.fields {
                guard let other = y[field.key], equals(field.value, other) else { return false }
            }
            return true
        default: return a == b
        }
    }
}
