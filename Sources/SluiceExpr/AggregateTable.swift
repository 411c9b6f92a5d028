import SluiceSupport

/// The accumulators of many keys (or windows and keys) of one program, row after row in one
/// buffer: a key costs its accumulators and nothing else, with no allocation of its own.
///
/// Rows are numbered from 0 in the order they were added; the owner maps its keys to rows.
/// Not thread-safe: a table belongs to one engine.
public final class AggregateTable {
    public let program: AggregateProgram
    /// Accumulators per row.
    let width: Int
    /// The program's slots and arguments, kept here so that updates need not copy the program.
    private let slots: [AggregateProgram.Slot]
    private let arguments: [Compiled]
    /// The integer form of rows (see `IntFoldPlan`), when every aggregate is one it covers.
    let intFold: IntFoldPlan?
    // Touched on every record and never while one of its own accesses is in progress (the
    // updates do not call back into the table): the dynamic exclusivity checks are not needed.
    @exclusivity(unchecked) private var storage: UnsafeMutablePointer<Accumulator>
    /// Per row, 1 while it is in integer form: its slots' memory then holds two integer words
    /// each (`IntFoldPlan`) instead of initialized accumulators. Rows leave that form for good
    /// on the first record or state it cannot hold.
    @exclusivity(unchecked) private var intRows: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) public private(set) var rowCount = 0
    /// Whether every result is a bare aggregate call, so `writeResult` can write rows.
    public let writesPlainResults: Bool

    public init(program: AggregateProgram, capacity: Int = 4) {
        self.program = program
        width = program.slots.count
        slots = program.slots
        arguments = program.arguments
        intFold = MemoryLayout<Accumulator>.stride >= 16 ? IntFoldPlan(slots: program.slots) : nil
        self.capacity = max(1, capacity)
        storage = .allocate(capacity: self.capacity * max(1, width))
        intRows = .allocate(capacity: self.capacity)
        writesPlainResults = program.plainResults != nil
    }

    deinit {
        for row in 0..<rowCount where intRows[row] == 0 { (storage + row * width).deinitialize(count: width) }
        storage.deallocate()
        intRows.deallocate()
        intFold?.deallocate()
    }

    /// Adds a row in the initial state and returns its number.
    public func appendRow() -> Int {
        if rowCount == capacity { grow() }
        let row = storage + rowCount * width
        if let intFold {
            intFold.initialize(UnsafeMutableRawPointer(row))
            intRows[rowCount] = 1
        } else {
            for (i, slot) in slots.enumerated() { (row + i).initialize(to: slot.kind.initial) }
            intRows[rowCount] = 0
        }
        rowCount += 1
        return rowCount - 1
    }

    /// Removes the last row (a new key whose first record failed).
    public func removeLastRow() {
        guard rowCount > 0 else { return }
        rowCount -= 1
        if intRows[rowCount] == 0 { (storage + rowCount * width).deinitialize(count: width) }
    }

    /// Removes every row, keeping the buffer.
    public func removeAll() {
        for row in 0..<rowCount where intRows[row] == 0 { (storage + row * width).deinitialize(count: width) }
        rowCount = 0
    }

    private func grow() {
        let newCapacity = capacity * 2
        let newStorage = UnsafeMutablePointer<Accumulator>.allocate(capacity: newCapacity * max(1, width))
        // Raw bytes: rows in integer form hold no accumulators to move.
        UnsafeMutableRawPointer(newStorage).copyMemory(from: storage, byteCount: rowCount * width * MemoryLayout<Accumulator>.stride)
        storage.deallocate()
        storage = newStorage
        let newRows = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newRows.initialize(from: intRows, count: rowCount)
        intRows.deallocate()
        intRows = newRows
        capacity = newCapacity
    }

    /// Turns `row` from integer form into accumulators, for the general paths.
    @inline(__always) private func spill(_ row: Int) {
        guard intRows[row] != 0, let intFold else { return }
        intFold.spill(storage + row * width)
        intRows[row] = 0
    }

    /// Folds one record into `row`; on an error the row is left as it was.
    public func update(row: Int, with context: EvaluationContext) throws(EvaluationError) {
        guard row >= 0, row < rowCount else { return }
        spill(row)
        try AggregateProgram.update(storage + row * width, slots, arguments, with: context)
    }

    /// Folds one record whose argument values the caller evaluated (one per
    /// `program.argumentFieldNames`, in order) into `row`; on an error the row is left as it was.
    public func update(row: Int, arguments values: UnsafeBufferPointer<Value>) throws(EvaluationError) {
        guard row >= 0, row < rowCount, values.count >= arguments.count else { return }
        if intRows[row] != 0, let intFold, intFold.fold(storage + row * width, values: values.baseAddress) { return }
        spill(row)
        try AggregateProgram.fold(storage + row * width, slots, arguments.isEmpty ? nil : values.baseAddress)
    }

    /// Folds a record whose arguments are all integers (one per `program.argumentFieldNames`)
    /// into `row` while it is in integer form; false, with nothing changed, otherwise (then
    /// `update(row:arguments:)` does it).
    @inline(__always)
    public func foldIntegers(row: Int, _ values: UnsafePointer<Int64>) -> Bool {
        guard row >= 0, row < rowCount, intRows[row] != 0, let intFold else { return false }
        return intFold.fold(UnsafeMutableRawPointer(storage + row * width), integers: values)
    }

    /// Folds `state` (of later records) into `row`, as `AggregateProgram.merge` does.
    public func merge(row: Int, with state: AggregateState) {
        guard row >= 0, row < rowCount else { return }
        setState(row: row, program.merge(self.state(row: row), state))
    }

    /// A copy of `row`'s state.
    public func state(row: Int) -> AggregateState {
        guard row >= 0, row < rowCount else { return program.makeState() }
        if intRows[row] != 0, let intFold {
            return AggregateState(slots: intFold.accumulators(UnsafeMutableRawPointer(storage + row * width)))
        }
        return AggregateState(slots: ContiguousArray(UnsafeBufferPointer(start: storage + row * width, count: width)))
    }

    /// Appends `row`'s result as JSON, each value after its entry of `separators` (one per
    /// name, in order): the same bytes as writing each value of `program.result` with
    /// `Value.writeJSON`, without building the state or the result. False, with nothing
    /// written, when a result needs an expression run (`sum(value) / count()`) or the
    /// separators do not match the names.
    public func writeResult(row: Int, separators: [[UInt8]], into bytes: inout [UInt8]) -> Bool {
        guard row >= 0, row < rowCount, let plain = program.plainResults, plain.count == separators.count else { return false }
        let base = storage + row * width
        let intForm = intRows[row] != 0 ? intFold : nil
        for index in plain.indices {
            bytes.append(contentsOf: separators[index])
            let slot = plain[index]
            AggregateProgram.writeFinished(intForm?.accumulator(UnsafeMutableRawPointer(base), slot) ?? base[slot], into: &bytes)
        }
        return true
    }

    /// `writeResult(row:separators:into:)` written at `target`, which has room for `capacity`
    /// bytes; returns how many bytes it wrote. Nil, with the bytes at `target` meaningless, when
    /// they do not fit, when a result is a value other than a number, bool or null (those go
    /// through `writeResult(row:separators:into:)`), or as that function returns false.
    public func writeResult(row: Int, separators: [[UInt8]], at target: UnsafeMutablePointer<UInt8>, capacity: Int) -> Int? {
        guard row >= 0, row < rowCount, let plain = program.plainResults, plain.count == separators.count else { return nil }
        let base = storage + row * width
        let intForm = intRows[row] != 0 ? intFold : nil
        var count = 0
        for index in plain.indices {
            let fitted: Bool = separators[index].withUnsafeBufferPointer { separator in
                guard let source = separator.baseAddress, count + separator.count + 32 <= capacity else { return false }
                (target + count).initialize(from: source, count: separator.count)
                count += separator.count
                return true
            }
            let slot = plain[index]
            guard fitted,
                let written = AggregateProgram.writeFinished(intForm?.accumulator(UnsafeMutableRawPointer(base), slot) ?? base[slot], at: target + count)
            else { return nil }
            count += written
        }
        return count
    }

    /// Replaces `row`'s state (a state of another program becomes the initial state).
    public func setState(row: Int, _ state: AggregateState) {
        guard row >= 0, row < rowCount else { return }
        let target = storage + row * width
        let source = state.slots.count == width ? state : program.makeState()
        if intRows[row] != 0 {
            intRows[row] = 0
            for i in 0..<width { (target + i).initialize(to: source.slots[i]) }
            return
        }
        for i in 0..<width { target[i] = source.slots[i] }
    }

    /// The bytes of the buffer (all of its capacity) and of this object.
    public var byteCount: Int {
        capacity * (max(1, width) * MemoryLayout<Accumulator>.stride + 1) + MemoryLayout<Int>.stride * 10
    }

    /// The bytes a row takes in the buffer (values that live elsewhere, such as long strings
    /// kept by `min` or `last`, or `count_distinct` sets, not included).
    public var rowBytes: Int { width * MemoryLayout<Accumulator>.stride + 1 }
}

extension AggregateProgram {
    /// `AggregateTable.writeResult(row:separators:into:)` for a state of this program (a
    /// closed window's, say): false, with nothing written, when a result needs an expression
    /// run or the separators do not match the names.
    public func writeResult(_ state: AggregateState, separators: [[UInt8]], into bytes: inout [UInt8]) -> Bool {
        guard let plain = plainResults, plain.count == separators.count, state.slots.count == slots.count else { return false }
        for index in plain.indices {
            bytes.append(contentsOf: separators[index])
            Self.writeFinished(state.slots[plain[index]], into: &bytes)
        }
        return true
    }

    /// Appends the JSON of `AggregateKind.finished(accumulator)`, without making the value:
    /// `writeFinished(_:at:)`'s text, or a string (or other) value's own.
    @inline(__always)
    static func writeFinished(_ accumulator: Accumulator, into bytes: inout [UInt8]) {
        let written: Bool = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            guard let base = buffer.baseAddress, let count = writeFinished(accumulator, at: base) else { return false }
            bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
            return true
        }
        if !written, case .value(let value) = accumulator { value.writeJSON(into: &bytes) }
    }

    /// Writes the JSON of `AggregateKind.finished(accumulator)` at `target` (room for 32
    /// bytes); nil for a value other than a number, a bool or null.
    @inline(__always)
    static func writeFinished(_ accumulator: Accumulator, at target: UnsafeMutablePointer<UInt8>) -> Int? {
        switch accumulator {
        case .count(let n), .sumInt(let n): return JSON.writeInteger(n, at: target)
        case .sumDouble(let d): return JSON.writeDouble(d, at: target)
        case .average(let sum, let count): return count == 0 ? JSON.writeLiteral("null", at: target) : JSON.writeDouble(sum / Double(count), at: target)
        case .distinct(let set): return JSON.writeInteger(Int64(set.count), at: target)
        case .value(let value):
            switch value {
            case .int(let n): return JSON.writeInteger(n, at: target)
            case .double(let d): return JSON.writeDouble(d, at: target)
            case .null: return JSON.writeLiteral("null", at: target)
            case .bool(let b): return JSON.writeLiteral(b ? "true" : "false", at: target)
            default: return nil
            }
        }
    }

    /// Folds one record into the accumulators at `row` (as many as `slots`); on an error they
    /// are left as they were. Everything is evaluated and checked before anything changes.
    func update(row: UnsafeMutablePointer<Accumulator>, with context: EvaluationContext) throws(EvaluationError) {
        try Self.update(row, slots, arguments, with: context)
    }

    /// Evaluates `arguments` on the record and folds them into `row`.
    static func update(
        _ row: UnsafeMutablePointer<Accumulator>, _ slots: [Slot], _ arguments: [Compiled], with context: EvaluationContext
    ) throws(EvaluationError) {
        switch arguments.count {
        case 0:
            try fold(row, slots, nil)
        case 1:
            // The common case (`sum(value)`, `max(value)`, ...): one value, no buffer.
            var value = try arguments[0].run(context, [])
            try withUnsafePointer(to: &value) { (pointer) throws(EvaluationError) in try fold(row, slots, pointer) }
        default:
            // The argument values live on the stack: this runs for every record.
            try withUnsafeTemporaryAllocation(of: Value.self, capacity: arguments.count) { (values) throws(EvaluationError) in
                var initialized = 0
                defer { values.extracting(0..<initialized).deinitialize() }
                for argument in arguments {
                    values.initializeElement(at: initialized, to: try argument.run(context, []))
                    initialized += 1
                }
                try fold(row, slots, UnsafePointer(values.baseAddress))
            }
        }
    }

    /// Checks every slot, then applies every slot (so nothing changes on an error), with the
    /// argument values in `values` (nil when there are none). The common numeric cases are done
    /// inline, with the same results as `AggregateKind.check` and `apply`, which do the rest.
    static func fold(_ row: UnsafeMutablePointer<Accumulator>, _ slots: [Slot], _ values: UnsafePointer<Value>?) throws(EvaluationError) {
        if let values {
            for (i, slot) in slots.enumerated() where slot.kind.checks {
                guard let argument = slot.argument, !Self.accepts(slot.kind, values + argument, row + i) else { continue }
                try slot.kind.check(values[argument], against: row[i], name: slot.kind.functionName, offset: slot.argumentOffset)
            }
        }
        for (i, slot) in slots.enumerated() {
            if let values, let argument = slot.argument {
                if !Self.fold(slot.kind, values + argument, into: row + i) { slot.kind.apply(values[argument], to: &row[i]) }
            } else if !Self.fold(slot.kind, nil, into: row + i) {
                slot.kind.apply(.null, to: &row[i])
            }
        }
    }

    /// True when `check` certainly accepts the value (nulls, and integers into integer state).
    @inline(__always)
    private static func accepts(_ kind: AggregateKind, _ value: UnsafePointer<Value>, _ accumulator: UnsafeMutablePointer<Accumulator>) -> Bool {
        switch value.pointee {
        case .null: return true
        case .int(let x):
            switch (kind, accumulator.pointee) {
            case (.sum, .sumInt): return true
            case (.avg, .average(let sum, _)): return (sum + Double(x)).isFinite
            case (.min, .value(let best)), (.max, .value(let best)):
                switch best {
                case .null, .int: return true
                default: return false
                }
            default: return false
            }
        default: return false
        }
    }

    /// Applies the common cases in place; false when `apply` must do it.
    @inline(__always)
    private static func fold(_ kind: AggregateKind, _ value: UnsafePointer<Value>?, into accumulator: UnsafeMutablePointer<Accumulator>) -> Bool {
        if kind == .countRecords, case .count(let n) = accumulator.pointee {
            accumulator.pointee = .count(n &+ 1)
            return true
        }
        guard let value, case .int(let x) = value.pointee else { return false }
        switch (kind, accumulator.pointee) {
        case (.countValues, .count(let n)):
            accumulator.pointee = .count(n &+ 1)
        case (.sum, .sumInt(let a)):
            let (sum, overflow) = a.addingReportingOverflow(x)
            accumulator.pointee = overflow ? .sumDouble(Double(a) + Double(x)) : .sumInt(sum)
        case (.avg, .average(let sum, let count)):
            accumulator.pointee = .average(sum: sum + Double(x), count: count &+ 1)
        case (.min, .value(.null)), (.max, .value(.null)):
            accumulator.pointee = .value(.int(x))
        case (.min, .value(.int(let best))):
            if x < best { accumulator.pointee = .value(.int(x)) }
        case (.max, .value(.int(let best))):
            if x > best { accumulator.pointee = .value(.int(x)) }
        default:
            return false
        }
        return true
    }

    /// The state of one record on its own, from argument values the caller evaluated.
    public func single(arguments values: UnsafeBufferPointer<Value>) throws(EvaluationError) -> AggregateState {
        var state = makeState()
        guard values.count >= arguments.count else { return state }
        let slots = self.slots, base = arguments.isEmpty ? nil : values.baseAddress
        try state.slots.withUnsafeMutableBufferPointer { (buffer) throws(EvaluationError) in
            guard let row = buffer.baseAddress else { return }
            try Self.fold(row, slots, base)
        }
        return state
    }
}

extension AggregateKind {
    /// Whether `check` can reject a value for this aggregate (the others accept anything).
    var checks: Bool {
        switch self {
        case .sum, .avg, .min, .max: true
        default: false
        }
    }
}

extension AggregateState {
    /// The bytes of its accumulator buffer (heap object header included; values that live
    /// elsewhere, such as long strings or `count_distinct` sets, not included).
    public var byteCount: Int { slots.isEmpty ? 0 : 32 + slots.capacity * MemoryLayout<Accumulator>.stride }
}
