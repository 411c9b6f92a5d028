import SluiceSupport

/// The integer form of an `AggregateTable` row, for programs whose aggregates are all counts,
/// sums, averages, minima and maxima: each slot's accumulator memory holds two words instead
/// of an `Accumulator` enum, which records of integer arguments update with plain arithmetic
/// (no enum copies). A row leaves this form (`spill`) for the first record or state it cannot
/// hold exactly: a non-integer argument, a sum past Int64, a non-finite average.
///
/// Words per slot: count and sum: the value; avg: the sum's bits (a Double) and the count;
/// min and max: the value and 1, or 0 and 0 before the first non-null value.
struct IntFoldPlan {
    enum Op: UInt8 { case countRecords, countValues, sum, avg, min, max }

    let width: Int
    private let ops: UnsafeMutablePointer<Op>
    /// Argument index per slot (0 for `count()`, which has none).
    private let arguments: UnsafeMutablePointer<Int>
    private let argumentCount: Int
    private let stride = MemoryLayout<Accumulator>.stride

    init?(slots: [AggregateProgram.Slot]) {
        var ops: [Op] = []
        var arguments: [Int] = []
        for slot in slots {
            let op: Op
            switch slot.kind {
            case .countRecords: op = .countRecords
            case .countValues: op = .countValues
            case .sum: op = .sum
            case .avg: op = .avg
            case .min: op = .min
            case .max: op = .max
            case .first, .last, .countDistinct: return nil
            }
            guard op == .countRecords || slot.argument != nil else { return nil }
            ops.append(op)
            arguments.append(slot.argument ?? 0)
        }
        width = ops.count
        argumentCount = (slots.compactMap(\.argument).max() ?? -1) + 1
        self.ops = .allocate(capacity: max(1, width))
        self.ops.initialize(from: ops, count: width)
        self.arguments = .allocate(capacity: max(1, width))
        self.arguments.initialize(from: arguments, count: width)
    }

    /// Frees the buffers (a struct, so that using it costs no reference counting: its table,
    /// which owns it, calls this once).
    func deallocate() {
        ops.deallocate()
        arguments.deallocate()
    }

    @inline(__always) private func word(_ row: UnsafeMutableRawPointer, _ slot: Int, _ index: Int) -> Int64 {
        row.load(fromByteOffset: slot * stride + index * 8, as: Int64.self)
    }

    @inline(__always) private func set(_ row: UnsafeMutableRawPointer, _ slot: Int, _ index: Int, _ value: Int64) {
        row.storeBytes(of: value, toByteOffset: slot * stride + index * 8, as: Int64.self)
    }

    /// Writes the initial state (every word zero: counts and sums 0, average 0.0 of 0, no minimum).
    func initialize(_ row: UnsafeMutableRawPointer) {
        for i in 0..<width {
            set(row, i, 0, 0)
            set(row, i, 1, 0)
        }
    }

    /// The accumulator of slot `i` of a row in integer form.
    @inline(__always) func accumulator(_ row: UnsafeMutableRawPointer, _ i: Int) -> Accumulator {
        let a = word(row, i, 0), b = word(row, i, 1)
        switch ops[i] {
        case .countRecords, .countValues: return .count(a)
        case .sum: return .sumInt(a)
        case .avg: return .average(sum: Double(bitPattern: UInt64(bitPattern: a)), count: b)
        case .min, .max: return b == 0 ? .value(.null) : .value(.int(a))
        }
    }

    /// The row's accumulators.
    func accumulators(_ row: UnsafeMutableRawPointer) -> ContiguousArray<Accumulator> {
        var result = ContiguousArray<Accumulator>()
        result.reserveCapacity(width)
        for i in 0..<width { result.append(accumulator(row, i)) }
        return result
    }

    /// Replaces the integer form at `row` with initialized accumulators.
    func spill(_ row: UnsafeMutablePointer<Accumulator>) {
        let raw = UnsafeMutableRawPointer(row)
        for i in 0..<width {
            let value = accumulator(raw, i)
            (row + i).initialize(to: value)
        }
    }

    /// Folds a record of integer arguments (`values`, one per argument) into a row in integer
    /// form; false, with nothing changed, when the result would not fit the form.
    @inline(__always)
    func fold(_ row: UnsafeMutableRawPointer, integers values: UnsafePointer<Int64>) -> Bool {
        fold(row, values, nulls: nil)
    }

    /// `fold(_:integers:)` for argument values that may also be null (skipped, as the general
    /// fold does); false, with nothing changed, when one is of another type.
    func fold(_ row: UnsafeMutablePointer<Accumulator>, values: UnsafePointer<Value>?) -> Bool {
        guard argumentCount > 0 else {
            return withUnsafeTemporaryAllocation(of: Int64.self, capacity: 1) { none in
                fold(UnsafeMutableRawPointer(row), UnsafePointer(none.baseAddress!), nulls: nil)
            }
        }
        guard let values else { return false }
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: argumentCount) { integers in
            withUnsafeTemporaryAllocation(of: Bool.self, capacity: argumentCount) { nulls in
                for k in 0..<argumentCount {
                    switch values[k] {
                    case .int(let x):
                        integers[k] = x
                        nulls[k] = false
                    case .null:
                        integers[k] = 0
                        nulls[k] = true
                    default:
                        return false
                    }
                }
                return fold(UnsafeMutableRawPointer(row), UnsafePointer(integers.baseAddress!), nulls: UnsafePointer(nulls.baseAddress!))
            }
        }
    }

    @inline(__always)
    private func fold(_ row: UnsafeMutableRawPointer, _ values: UnsafePointer<Int64>, nulls: UnsafePointer<Bool>?) -> Bool {
        // Check first: nothing changes unless every slot can take the record.
        for i in 0..<width {
            let op = ops[i]
            guard op == .sum || op == .avg else { continue }
            let k = arguments[i]
            if let nulls, nulls[k] { continue }
            if op == .sum {
                if word(row, i, 0).addingReportingOverflow(values[k]).overflow { return false }
            } else if !(Double(bitPattern: UInt64(bitPattern: word(row, i, 0))) + Double(values[k])).isFinite {
                return false
            }
        }
        for i in 0..<width {
            let op = ops[i]
            if op == .countRecords {
                set(row, i, 0, word(row, i, 0) &+ 1)
                continue
            }
            let k = arguments[i]
            if let nulls, nulls[k] { continue }
            let x = values[k]
            switch op {
            case .countRecords, .countValues:
                set(row, i, 0, word(row, i, 0) &+ 1)
            case .sum:
                set(row, i, 0, word(row, i, 0) &+ x)
            case .avg:
                let sum = Double(bitPattern: UInt64(bitPattern: word(row, i, 0))) + Double(x)
                set(row, i, 0, Int64(bitPattern: sum.bitPattern))
                set(row, i, 1, word(row, i, 1) &+ 1)
            case .min:
                if word(row, i, 1) == 0 || x < word(row, i, 0) {
                    set(row, i, 0, x)
                    set(row, i, 1, 1)
                }
            case .max:
                if word(row, i, 1) == 0 || x > word(row, i, 0) {
                    set(row, i, 0, x)
                    set(row, i, 1, 1)
                }
            }
        }
        return true
    }
}
