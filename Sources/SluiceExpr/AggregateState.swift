import SluiceSupport

/// The accumulators of one key (and window).
///
/// One compact enum per aggregate call in a small contiguous array: about 150 bytes for
/// `count, sum, avg, min, max` (plus the text of string minima and maxima).
public struct AggregateState: Sendable, Hashable {
    var slots: ContiguousArray<Accumulator>

    public init() { slots = [] }

    init(slots: ContiguousArray<Accumulator>) { self.slots = slots }

    /// A JSON form for changelog topics; `init(encoded:)` reads it back.
    ///
    /// An array with one tagged entry per accumulator: `["n", 3]` count, `["i", 10]` and
    /// `["d", 2.5]` sums, `["a", sum, count]` average, `["v", value]` min/max/first/last,
    /// `["s", [values]]` distinct values.
    public func encoded() -> Value {
        .array(slots.map { slot in
            switch slot {
            case .count(let n): .array([.string("n"), .int(n)])
            case .sumInt(let n): .array([.string("i"), .int(n)])
            case .sumDouble(let d): .array([.string("d"), .double(d)])
            case .average(let sum, let count): .array([.string("a"), .double(sum), .int(count)])
            case .value(let v): .array([.string("v"), v])
            case .distinct(let set): .array([.string("s"), .array(Array(set))])
            }
        })
    }

    public init?(encoded: Value) {
        guard case .array(let entries) = encoded else { return nil }
        var slots = ContiguousArray<Accumulator>()
        slots.reserveCapacity(entries.count)
        for entry in entries {
            guard case .array(let parts) = entry, parts.count >= 2, case .string(let tag) = parts[0] else { return nil }
            switch (tag, parts[1], parts.count) {
            case ("n", .int(let n), 2): slots.append(.count(n))
            case ("i", .int(let n), 2): slots.append(.sumInt(n))
            case ("d", .double(let d), 2): slots.append(.sumDouble(d))
            case ("d", .int(let n), 2): slots.append(.sumDouble(Double(n)))
            case ("a", _, 3):
                guard let sum = parts[1].numberValue, case .int(let count) = parts[2] else { return nil }
                slots.append(.average(sum: sum, count: count))
            case ("v", let v, 2): slots.append(.value(v))
            case ("s", .array(let values), 2): slots.append(.distinct(Set(values)))
            default: return nil
            }
        }
        self.slots = slots
    }
}

/// One accumulator; which aggregate it serves is known to the program, not stored here.
enum Accumulator: Sendable, Hashable {
    case count(Int64)
    case sumInt(Int64)
    /// A sum that saw a double, or outgrew Int64.
    case sumDouble(Double)
    case average(sum: Double, count: Int64)
    /// min, max, first, last: null until a non-null value is seen.
    case value(Value)
    case distinct(Set<Value>)
}

/// What an aggregate call computes.
enum AggregateKind: Sendable {
    case countRecords, countValues, sum, avg, min, max, first, last, countDistinct

    init?(name: String, argumentCount: Int) {
        switch name {
        case "count": self = argumentCount == 0 ? .countRecords : .countValues
        case "sum": self = .sum
        case "avg": self = .avg
        case "min": self = .min
        case "max": self = .max
        case "first": self = .first
        case "last": self = .last
        case "count_distinct": self = .countDistinct
        default: return nil
        }
    }

    var functionName: String {
        switch self {
        case .countRecords, .countValues: "count"
        case .sum: "sum"
        case .avg: "avg"
        case .min: "min"
        case .max: "max"
        case .first: "first"
        case .last: "last"
        case .countDistinct: "count_distinct"
        }
    }

    var initial: Accumulator {
        switch self {
        case .countRecords, .countValues: .count(0)
        case .sum: .sumInt(0)
        case .avg: .average(sum: 0, count: 0)
        case .min, .max, .first, .last: .value(.null)
        case .countDistinct: .distinct([])
        }
    }

    /// Throws when `value` cannot be folded into `current`; changes nothing.
    func check(_ value: Value, against current: Accumulator, name: String, offset: Int) throws(EvaluationError) {
        switch self {
        case .sum, .avg:
            switch value {
            case .null: return
            case .int, .double:
                // Past the largest double a sum is infinity, which JSON output cannot hold.
                let x = value.numberValue ?? 0
                let sum: Double? = switch current {
                case .sumDouble(let d), .average(let d, _): d + x
                case .sumInt(let n): if case .int = value { nil } else { Double(n) + x }
                default: nil
                }
                if let sum, !sum.isFinite {
                    throw EvaluationError("\(name)() went past the largest number", offset: offset)
                }
            default: throw EvaluationError("\(name)() needs numbers, got \(value.typeName)", offset: offset)
            }
        case .min, .max:
            if value.isNull { return }
            guard Operators.compare(value, value) != nil else {
                throw EvaluationError("\(name)() needs numbers or strings, got \(value.typeName)", offset: offset)
            }
            if case .value(let best) = current, !best.isNull, Operators.compare(value, best) == nil {
                throw EvaluationError("\(name)() cannot compare \(value.typeName) and \(best.typeName)", offset: offset)
            }
        default: return
        }
    }

    /// Folds a checked value into `accumulator`.
    func apply(_ value: Value, to accumulator: inout Accumulator) {
        switch (self, accumulator) {
        case (.countRecords, .count(let n)): accumulator = .count(n &+ 1)
        case (.countValues, .count(let n)): if !value.isNull { accumulator = .count(n &+ 1) }
        case (.sum, _): accumulator = Self.add(accumulator, value)
        case (.avg, .average(let sum, let count)):
            if let x = value.numberValue { accumulator = .average(sum: sum + x, count: count &+ 1) }
        case (.min, .value(let best)), (.max, .value(let best)):
            if value.isNull { return }
            if best.isNull { accumulator = .value(value); return }
            if let c = Operators.compare(value, best), self == .min ? c < 0 : c > 0 { accumulator = .value(value) }
        case (.first, .value(let best)): if best.isNull && !value.isNull { accumulator = .value(value) }
        case (.last, _): if !value.isNull { accumulator = .value(value) }
        case (.countDistinct, .distinct(var set)):
            if value.isNull { return }
            accumulator = .count(0)  // drop the enum's reference so the set is uniquely owned
            set.insert(Self.normalized(value))
            accumulator = .distinct(set)
        default: return
        }
    }

    /// Combines the accumulators of two runs; `later` saw later records.
    func merge(_ earlier: Accumulator, _ later: Accumulator) -> Accumulator {
        switch (self, earlier, later) {
        case (_, .count(let a), .count(let b)): return .count(a &+ b)
        case (.sum, _, .sumInt(let b)): return Self.add(earlier, .int(b))
        case (.sum, _, .sumDouble(let b)): return Self.add(earlier, .double(b))
        case (_, .average(let s1, let c1), .average(let s2, let c2)): return .average(sum: s1 + s2, count: c1 &+ c2)
        case (.first, .value(let a), _): return a.isNull ? later : earlier
        case (.last, _, .value(let b)): return b.isNull ? earlier : later
        case (.min, .value(let a), .value(let b)), (.max, .value(let a), .value(let b)):
            if a.isNull { return later }
            if b.isNull { return earlier }
            guard let c = Operators.compare(b, a) else { return earlier }
            return (self == .min ? c < 0 : c > 0) ? later : earlier
        case (_, .distinct(let a), .distinct(let b)): return .distinct(a.union(b))
        default: return earlier
        }
    }

    /// The aggregate's current value.
    static func finished(_ accumulator: Accumulator) -> Value {
        switch accumulator {
        case .count(let n), .sumInt(let n): .int(n)
        case .sumDouble(let d): .double(d)
        case .average(let sum, let count): count == 0 ? .null : .double(sum / Double(count))
        case .value(let v): v
        case .distinct(let set): .int(Int64(set.count))
        }
    }

    /// Adds a number to a sum: ints stay ints until they overflow, then the sum is a double.
    private static func add(_ sum: Accumulator, _ value: Value) -> Accumulator {
        switch (sum, value) {
        case (.sumInt(let a), .int(let b)):
            let (result, overflow) = a.addingReportingOverflow(b)
            return overflow ? .sumDouble(Double(a) + Double(b)) : .sumInt(result)
        case (.sumInt(let a), .double(let b)): return .sumDouble(Double(a) + b)
        case (.sumDouble(let a), _): return .sumDouble(a + (value.numberValue ?? 0))
        default: return sum
        }
    }

    /// Whole doubles count as the int they equal, so that 1 and 1.0 are one distinct value.
    private static func normalized(_ value: Value) -> Value {
        if case .double(let d) = value, d.rounded() == d, d >= -9.2e18, d <= 9.2e18 { return .int(Int64(d)) }
        return value
    }
}
