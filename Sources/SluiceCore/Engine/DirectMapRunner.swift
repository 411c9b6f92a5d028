import SluiceExpr
import SluiceSupport

/// Plans whose leading steps can run fused, straight from `decodeDirect`'s slots: `map` steps
/// whose sets are integer arithmetic on source fields (`IntegerProgram`) adding fields no
/// earlier set adds, and `to` steps keyed by the record key or a source field, up to an
/// aggregate step (or the end, then the sinks, keyed likewise).
struct DirectMapShape {
    /// The names the maps set, in order.
    let setNames: [String]
    /// The first step not fused: the aggregate step, or `steps.count`.
    let stop: Int

    init?(_ plan: EnginePlan) {
        guard plan.source.format == .json, plan.repartition == nil else { return nil }
        var names: [String] = []
        var reads: [String] = []
        var index = 0
        scan: while index < plan.steps.count {
            switch plan.steps[index] {
            case .map(let sets, _):
                for set in sets {
                    guard !names.contains(set.name), let program = set.expression.integerProgram else { return nil }
                    // Reading a field an earlier set added would need its new value.
                    for case .field(let field) in program.inputs {
                        if names.contains(field) { return nil }
                        reads.append(field)
                    }
                    names.append(set.name)
                }
            case .to(let to):
                guard Self.plainKey(to.key, notIn: names) else { return nil }
            case .aggregate:
                break scan
            default:
                return nil
            }
            index += 1
        }
        // A set replacing a field the maps read would (nearly) always meet a record having it.
        for name in names where reads.contains(name) { return nil }
        // A first aggregate step has its own direct path (`processDirect`).
        guard index > 0 || plan.steps.isEmpty else { return nil }
        if index == plan.steps.count {
            for sink in plan.sinks where !Self.plainKey(sink.key, notIn: names) { return nil }
        }
        setNames = names
        stop = index
    }

    /// No key expression, or a source field no map sets.
    private static func plainKey(_ key: Expression?, notIn names: [String]) -> Bool {
        guard let key else { return true }
        guard let field = key.singleFieldName else { return false }
        return !names.contains(field)
    }
}

/// Runs the fused steps of a `DirectMapShape` plan for records `decodeDirect` accepts (see
/// `Engine.processDirectMap`): set values computed on unboxed integers, outputs spliced from
/// the input bytes, the aggregate folded from the slots. Any record it cannot handle exactly
/// as the general path would goes there before anything is changed.
///
/// What the loop reads is kept in memory of its own (slot lists, the programs' code, the
/// decoder's slot arrays), so that a record costs no reference counting for it.
final class DirectMapRunner {
    /// A `to` step, or a sink when no aggregate step follows.
    struct Output {
        let topic: String
        /// The source field giving the key, or -1 for the record's key.
        let keySlot: Int
        /// How many set fields the output carries (those of earlier maps).
        let sets: Int
        /// Its index in the engine's `OutputBuffer.topics` once known (-1 before).
        var bufferTopic: Int32 = -1
    }

    /// Unmanaged (used in place, without reference counting per record): the engine holds the
    /// decoder and the aggregate runtime as long as this runner.
    let decoder: Unmanaged<PartialDecoder>
    let aggregate: Unmanaged<AggregateRuntime>?
    /// The decoder's layout, which notes the strings a decode left pending.
    let template: Unmanaged<DirectTemplate>
    let slotPresent: UnsafeMutablePointer<Bool>
    let slotIsInt: UnsafeMutablePointer<Bool>
    let slotInts: UnsafeMutablePointer<Int64>
    /// The programs' instructions one after another: program `i` is `starts[i]..<starts[i + 1]`.
    let code: UnsafeMutablePointer<IntegerProgram.Instruction>
    let starts: UnsafeMutableBufferPointer<Int>
    let depths: UnsafeMutableBufferPointer<Int>
    /// Per program, the register it reads when it is that one load (`now()`), else -1.
    let loads: UnsafeMutableBufferPointer<Int>
    /// The slots the programs read (each must hold an integer).
    let readSlots: UnsafeMutableBufferPointer<Int>
    /// The slots of the names maps set: a record having one of them needs the general path.
    let setSlots: UnsafeMutableBufferPointer<Int>
    /// The slots outputs take their keys from and the aggregate reads: each must be there.
    let requiredSlots: UnsafeMutableBufferPointer<Int>
    let fields: JSONIntegerFields
    let outputs: UnsafeMutableBufferPointer<Output>
    /// The aggregate step's index, its key and argument slots.
    let aggregateStep: Int
    let keySlot: Int
    let argumentSlots: [Int]
    /// `argumentSlots` in memory of its own, and room for the arguments' integers.
    let argumentBuffer: UnsafeMutableBufferPointer<Int>
    let arguments: UnsafeMutablePointer<Int64>
    /// Aggregate rows by the raw bits of their keys (see `aggregateRow`).
    let rawRows = RawKeyRows()
    /// Whether an output takes its key from a field (a string the decode may leave pending).
    let outputKeysFromFields: Bool
    /// Whether every N-th result goes straight to the sinks as JSON (see `aggregateStraightToSinks`).
    let straightResults: Bool
    /// Per aggregate row, its key as record key bytes and the start of its results' JSON
    /// (`{"<key field>":<key>`), made on the row's first result.
    @exclusivity(unchecked) var rowKeys: [(bytes: [UInt8]?, open: [UInt8])?] = []
    /// Records that went to the general path, and all, while finding out whether this path
    /// pays (see `Engine.processDirectMap`).
    @exclusivity(unchecked) var missed = 0
    @exclusivity(unchecked) var tried = 0
    @exclusivity(unchecked) var enabled = true
    /// Whether the event time is the record's timestamp (else a field `decodeDirect` reads).
    let timeFromRecord: Bool
    /// now, timestamp, partition, offset, then the slots' integers.
    let registers: UnsafeMutablePointer<Int64>
    /// The set values of the current record.
    let results: UnsafeMutablePointer<Int64>

    init?(plan: EnginePlan, decoder: PartialDecoder, runtimes: [StepRuntime]) {
        guard decoder.scansDirect, let shape = DirectMapShape(plan) else { return nil }
        var aggregate: AggregateRuntime?
        var keySlot = -1
        var argumentSlots: [Int] = []
        if shape.stop < plan.steps.count {
            guard case .aggregate(let runtime) = runtimes[shape.stop], let direct = runtime.direct,
                decoder.direct?.step == shape.stop
            else { return nil }
            aggregate = runtime
            keySlot = direct.keySlot
            argumentSlots = direct.argumentSlots
        }
        var setSlots: [Int] = []
        for name in shape.setNames {
            guard let slot = decoder.names.firstIndex(of: name) else { return nil }
            setSlots.append(slot)
        }
        var readSlots: [Int] = []
        var code: [IntegerProgram.Instruction] = []
        var starts = [0]
        var depths: [Int] = []
        var loads: [Int] = []
        var outputs: [Output] = []
        func keySlotOf(_ key: Expression?) -> Int? {
            guard let key else { return -1 }
            return key.singleFieldName.flatMap { decoder.names.firstIndex(of: $0) }
        }
        for step in plan.steps[..<shape.stop] {
            switch step {
            case .map(let sets, _):
                for set in sets {
                    guard let program = set.expression.integerProgram else { return nil }
                    var registers: [Int] = []
                    for input in program.inputs {
                        switch input {
                        case .now: registers.append(0)
                        case .timestamp: registers.append(1)
                        case .partition: registers.append(2)
                        case .offset: registers.append(3)
                        case .field(let name):
                            guard let slot = decoder.names.firstIndex(of: name) else { return nil }
                            if !readSlots.contains(slot) { readSlots.append(slot) }
                            registers.append(4 + slot)
                        }
                    }
                    guard let mapped = program.reading(from: registers) else { return nil }
                    code += mapped.code
                    starts.append(code.count)
                    depths.append(mapped.depth)
                    // One instruction reading the one input: a load.
                    loads.append(mapped.code.count == 1 && mapped.inputs.count == 1 ? registers[0] : -1)
                }
            case .to(let to):
                guard let slot = keySlotOf(to.key) else { return nil }
                outputs.append(Output(topic: to.topic, keySlot: slot, sets: depths.count))
            default:
                return nil
            }
        }
        if aggregate == nil {
            for sink in plan.sinks {
                guard let slot = keySlotOf(sink.key) else { return nil }
                outputs.append(Output(topic: sink.topic, keySlot: slot, sets: depths.count))
            }
        }
        var required = outputs.map(\.keySlot).filter { $0 >= 0 }
        if aggregate != nil { required += [keySlot] + argumentSlots }
        self.decoder = Unmanaged.passUnretained(decoder)
        template = Unmanaged.passUnretained(decoder.directTemplate)
        self.aggregate = aggregate.map { Unmanaged.passUnretained($0) }
        slotPresent = decoder.slotPresent
        slotIsInt = decoder.slotIsInt
        slotInts = decoder.slotInts
        self.code = .allocate(capacity: max(1, code.count))
        self.code.initialize(from: code, count: code.count)
        self.starts = Self.buffer(starts)
        self.depths = Self.buffer(depths)
        self.loads = Self.buffer(loads)
        self.readSlots = Self.buffer(readSlots)
        self.setSlots = Self.buffer(setSlots)
        requiredSlots = Self.buffer(required)
        fields = JSONIntegerFields(names: shape.setNames)
        self.outputs = .allocate(capacity: outputs.count)
        _ = self.outputs.initialize(from: outputs)
        aggregateStep = shape.stop
        self.keySlot = keySlot
        self.argumentSlots = argumentSlots
        argumentBuffer = Self.buffer(argumentSlots)
        arguments = .allocate(capacity: max(1, argumentSlots.count))
        arguments.initialize(repeating: 0, count: max(1, argumentSlots.count))
        outputKeysFromFields = outputs.contains { $0.keySlot >= 0 }
        straightResults =
            aggregate.map { shape.stop + 1 == runtimes.count && $0.table.writesPlainResults } == true
            && plan.sinks.allSatisfy { $0.key == nil }
        if case .field = plan.source.eventTime { timeFromRecord = false } else { timeFromRecord = true }
        registers = .allocate(capacity: 4 + decoder.names.count)
        registers.initialize(repeating: 0, count: 4 + decoder.names.count)
        results = .allocate(capacity: max(1, depths.count))
        results.initialize(repeating: 0, count: max(1, depths.count))
    }

    deinit {
        code.deallocate()
        for buffer in [starts, depths, loads, readSlots, setSlots, requiredSlots, argumentBuffer] { buffer.deallocate() }
        arguments.deallocate()
        _ = outputs.deinitialize()
        outputs.deallocate()
        registers.deallocate()
        results.deallocate()
    }

    private static func buffer(_ values: [Int]) -> UnsafeMutableBufferPointer<Int> {
        let buffer = UnsafeMutableBufferPointer<Int>.allocate(capacity: values.count)
        _ = buffer.initialize(from: values)
        return buffer
    }

    /// Computes the set values of the record last decoded into `decoder`; false when one
    /// cannot be computed here (a field missing or not an integer, an overflow), or when
    /// the record has a field a map sets or lacks one an output's key or the aggregate reads
    /// (whose errors mention the record's fields).
    @inline(__always)
    func evaluate(now: Int64, timestamp: Int64, partition: Int32, offset: Int64) -> Bool {
        for slot in setSlots where slotPresent[slot] { return false }
        for slot in requiredSlots where !slotPresent[slot] { return false }
        for slot in readSlots {
            guard slotPresent[slot], slotIsInt[slot] else { return false }
            registers[4 + slot] = slotInts[slot]
        }
        registers[0] = now
        registers[1] = timestamp
        registers[2] = Int64(partition)
        registers[3] = offset
        for index in depths.indices {
            if loads[index] >= 0 {
                results[index] = registers[loads[index]]
                continue
            }
            let start = starts[index]
            guard
                let value = IntegerProgram.runInlined(
                    code + start, count: starts[index + 1] - start, depth: depths[index], values: registers)
            else { return false }
            results[index] = value
        }
        return true
    }

    /// The record key bytes of aggregate row `row`, and the start of its results' JSON as
    /// `layout` writes it; made from the key of the record last decoded from `text` (the
    /// row's key) on the row's first result.
    @inline(__always)
    func key(row: Int, layout: AggregateJSONLayout, text: UnsafePointer<UInt8>) -> (bytes: [UInt8]?, open: [UInt8])? {
        if row < rowKeys.count, let known = rowKeys[row] { return known }
        guard let key = recordKey(text) else { return nil }
        let made = (bytes: KeyCoding.bytes(key), open: layout.open(key: key))
        while rowKeys.count <= row { rowKeys.append(nil) }
        rowKeys[row] = made
        return made
    }

    /// Counts a record this path took (`hit`) or left to the general path; after a while, turns
    /// the path off when most records leave it (a map reading strings, say), which then only
    /// costs a wasted scan each.
    @inline(__always)
    func count(hit: Bool) {
        guard tried < 4096 else { return }
        tried += 1
        if !hit { missed += 1 }
        if tried == 4096, missed > tried / 2 { enabled = false }
    }
}
