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
    /// The slots again, by kind (sums, averages, counts, minima, maxima), each as its byte
    /// offset in the row and its argument: records of integers fold in with one short loop
    /// per kind instead of a switch per slot. Each kind ends where the next begins.
    private let columns: UnsafeMutablePointer<Int>
    private let sums: UnsafePointer<Int>, avgs: UnsafePointer<Int>, counts: UnsafePointer<Int>
    private let mins: UnsafePointer<Int>, maxs: UnsafePointer<Int>

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
        // Tables are made per window: filled in place, without temporary arrays.
        let columns = UnsafeMutablePointer<Int>.allocate(capacity: max(2, 2 * width))
        var filled = 0
        var ends: (Int, Int, Int, Int) = (0, 0, 0, 0)
        for rank in 0..<5 {
            for i in 0..<width where Self.rank(ops[i]) == rank {
                columns[2 * filled] = i * MemoryLayout<Accumulator>.stride
                columns[2 * filled + 1] = arguments[i]
                filled += 1
            }
            switch rank {
            case 0: ends.0 = filled
            case 1: ends.1 = filled
            case 2: ends.2 = filled
            case 3: ends.3 = filled
            default: break
            }
        }
        self.columns = columns
        let base = UnsafePointer(columns)
        (sums, avgs, counts) = (base + 2 * ends.0, base + 2 * ends.1, base + 2 * ends.2)
        (mins, maxs) = (base + 2 * ends.3, base + 2 * width)
    }

    /// The order of kinds in `columns`.
    private static func rank(_ op: Op) -> Int {
        switch op {
        case .sum: 0
        case .avg: 1
        case .countRecords, .countValues: 2
        case .min: 3
        case .max: 4
        }
    }

    /// Frees the buffers (a struct, so that using it costs no reference counting: its table,
    /// which owns it, calls this once).
    func deallocate() {
        ops.deallocate()
        arguments.deallocate()
        columns.deallocate()
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
        // Each entry of `columns` is a byte offset and an argument; pointers walk them.
        // Check first: nothing changes unless every slot can take the record.
        var e = UnsafePointer(columns)
        while e < sums {
            if row.load(fromByteOffset: e[0], as: Int64.self).addingReportingOverflow(values[e[1]]).overflow { return false }
            e += 2
        }
        while e < avgs {
            if !(Double(bitPattern: row.load(fromByteOffset: e[0], as: UInt64.self)) + Double(values[e[1]])).isFinite { return false }
            e += 2
        }
        e = UnsafePointer(columns)
        while e < sums {
            let word = row + e[0]
            word.storeBytes(of: word.load(as: Int64.self) &+ values[e[1]], as: Int64.self)
            e += 2
        }
        while e < avgs {
            let word = row + e[0]
            word.storeBytes(of: (Double(bitPattern: word.load(as: UInt64.self)) + Double(values[e[1]])).bitPattern, as: UInt64.self)
            word.storeBytes(of: word.load(fromByteOffset: 8, as: Int64.self) &+ 1, toByteOffset: 8, as: Int64.self)
            e += 2
        }
        while e < counts {
            let word = row + e[0]
            word.storeBytes(of: word.load(as: Int64.self) &+ 1, as: Int64.self)
            e += 2
        }
        while e < mins {
            let word = row + e[0], x = values[e[1]]
            if x < word.load(as: Int64.self) || word.load(fromByteOffset: 8, as: Int64.self) == 0 {
                word.storeBytes(of: x, as: Int64.self)
                word.storeBytes(of: Int64(1), toByteOffset: 8, as: Int64.self)
            }
            e += 2
        }
        while e < maxs {
            let word = row + e[0], x = values[e[1]]
            if x > word.load(as: Int64.self) || word.load(fromByteOffset: 8, as: Int64.self) == 0 {
                word.storeBytes(of: x, as: Int64.self)
                word.storeBytes(of: Int64(1), toByteOffset: 8, as: Int64.self)
            }
            e += 2
        }
        return true
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
