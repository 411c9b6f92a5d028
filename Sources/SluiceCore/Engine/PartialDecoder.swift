import SluiceExpr
import SluiceSupport

/// Where a stateful step's key and aggregate arguments are among `PartialDecoder.names`, when
/// they are plain fields of the source record (`key: category`, `sum(value)`).
struct DirectInputs {
    let keySlot: Int
    /// One per `AggregateProgram.argumentFieldNames`, in order.
    let argumentSlots: [Int]
}

/// Decodes only the top-level fields of a source value that the plan reads, checking the schema
/// on the scanned fields, so that most of a record is validated but never turned into values.
///
/// The engine then works on a partial object: the fields read, in record order, followed by the
/// fields maps add. Every expression sees what it would see on the full value, since it reads
/// only those fields. Outputs splice the added fields into the original bytes when those are in
/// canonical form, and anything needing the whole value (`drop`, a map overwriting a field,
/// non-canonical output) decodes it in full first (`Engine.materialize`).
///
/// Only built when every expression that sees source records reads named fields (never `this`
/// as a whole) with ASCII names. Records it does not handle (invalid JSON, not an object,
/// escaped, non-ASCII or duplicate keys, schema violations) take the full path, which reports
/// them exactly as before.
final class PartialDecoder {
    /// A top-level name the plan reads or the schema mentions.
    struct Entry {
        /// Index into `names` when the plan reads it, else -1.
        var read: Int
        /// Index into `checks`, or -1 for none.
        var check: Int
        var required: Bool
        /// Where its bytes are in `nameBytes`.
        var start: Int
        var count: Int
        /// Its first (up to) eight bytes as a little-endian word, zero-padded.
        var prefix: UInt64 = 0
        /// The accepted types of its check (`SchemaFieldRules.Check.types`), when it has a
        /// check that needs no decoded value; -1 otherwise.
        var types: Int = -1
    }

    /// The top-level field names the plan reads.
    let names: [String]
    let scan = JSONObjectScan()
    let entries: UnsafeMutableBufferPointer<Entry>
    let nameBytes: UnsafeMutablePointer<UInt8>
    let checks: [SchemaFieldRules.Check]
    /// Per check, whether it needs the decoded value (kept apart so that the common type-only
    /// checks do not copy the closure).
    let deepChecks: [Bool]
    /// For fields the schema does not name: -1 anything goes, -2 not allowed, else a check.
    let otherFields: Int
    let requiredCount: Int
    /// The entry of the event-time field when its time can be read from the scan, else -1.
    let eventTimeEntry: Int
    let eventTimeInSeconds: Bool
    /// Per field position, the entry the field there matched in the last record (-1: none):
    /// records of a topic mostly list their fields in one order.
    let lastEntries: UnsafeMutablePointer<Int>
    /// Per field position, the key text last matched there (see `decodeDirect`).
    let shapes: UnsafeMutablePointer<UInt64>
    /// The key layout of the last record `decodeDirect` accepted.
    let directTemplate = DirectTemplate()
    /// The window step `decodeDirect` feeds, set up by the engine on first use.
    @exclusivity(unchecked) var directTarget: DirectWindowTarget?
    /// The fields array of the last partial value, kept to be reused by the next record.
    @exclusivity(unchecked) private var spare: [(key: String, value: Value)] = []
    /// Room for the fields maps add.
    private let extraCapacity: Int
    /// The decoded values of `names` in the last record, and whether each was there.
    let slotValues: UnsafeMutablePointer<Value>
    let slotPresent: UnsafeMutablePointer<Bool>
    /// Per name, the integer when the last record's field was one (`slotIsInt`), so that
    /// integer aggregates read it without going through `Value`.
    let slotInts: UnsafeMutablePointer<Int64>
    let slotIsInt: UnsafeMutablePointer<Bool>
    /// Recently decoded short strings per name (`recentWays` each), by their bytes: fields
    /// such as `category` repeat a few values, and making a `String` costs more than finding it.
    let recentStrings: UnsafeMutablePointer<Value>
    let recentBytes: UnsafeMutablePointer<UInt64>
    static let recentWays = 8
    /// Whether records need a partial object: false when only a stateful first step with
    /// `direct` inputs reads them.
    let buildsObject: Bool
    /// Whether `decodeDirect` serves: with direct inputs first, or for a fused map (`DirectMapRunner`).
    let scansDirect: Bool
    /// The first stateful step, when its key and aggregate arguments are all plain fields that no
    /// earlier step changes, and where they are among the decoded values.
    let direct: (step: Int, inputs: DirectInputs)?

    init?(plan: EnginePlan) {
        guard plan.source.format == .json else { return nil }
        var names: [String] = []
        func add(_ read: [String]?) -> Bool {
            guard let read else { return false }
            for name in read where !names.contains(name) { names.append(name) }
            return true
        }
        var extra = 0
        var stateful = false
        // What steps before the first stateful one change: fields maps set, or any (select, drop).
        var setNames: [String] = []
        var reshaped = false
        var directCandidate: (step: Int, key: String?, arguments: [String?])?
        // Steps after the first aggregate or window see results, not source records.
        steps: for (index, step) in plan.steps.enumerated() {
            switch step {
            case .filter(let filter):
                guard add(filter.condition.rootFieldNames) else { return nil }
            case .map(let sets, _):
                for set in sets {
                    guard add(set.expression.rootFieldNames), Self.isASCII(set.name) else { return nil }
                }
                extra += sets.count
                setNames += sets.map(\.name)
            case .select(let paths, _):
                _ = add(paths.compactMap(\.first))
                reshaped = true
            case .drop:
                reshaped = true
            case .to(let to):
                if let key = to.key, !add(key.rootFieldNames) { return nil }
            case .aggregate(let aggregate):
                guard add(aggregate.key.expression.rootFieldNames), add(aggregate.program.rootFieldNames) else { return nil }
                stateful = true
                directCandidate = (index, aggregate.key.expression.singleFieldName, aggregate.program.argumentFieldNames)
                break steps
            case .join(let join):
                // A lookup adds fields as a map does; a stream-stream join nests whole values.
                guard join.mode == .lookup, add(join.key.expression.rootFieldNames) else { return nil }
                guard join.fields.allSatisfy({ Self.isASCII($0.name) }) else { return nil }
                extra += join.fields.count
                setNames += join.fields.map(\.name)
            case .window(let window):
                guard add(window.key.expression.rootFieldNames), add(window.program.rootFieldNames) else { return nil }
                stateful = true
                switch window.kind {
                case .tumbling, .hopping:
                    directCandidate = (index, window.key.expression.singleFieldName, window.program.argumentFieldNames)
                case .sliding, .session:
                    break
                }
                break steps
            }
        }
        if !stateful {
            for sink in plan.sinks {
                if let key = sink.key, !add(key.rootFieldNames) { return nil }
            }
        }
        // Records of a fused map (`DirectMapShape`) must lack the fields its maps add: read them.
        let fusedMap = DirectMapShape(plan)
        if let fusedMap { _ = add(fusedMap.setNames) }
        var timeField: String?
        var seconds = false
        if case .field(let path, let unit) = plan.source.eventTime, let first = path.first {
            _ = add([first])
            if path.count == 1, unit != .iso8601 {
                timeField = first
                seconds = unit == .seconds
            }
        }
        guard names.allSatisfy(Self.isASCII) else { return nil }

        var rules = SchemaFieldRules(acceptsObjects: true, required: [], properties: [], additional: nil)
        if let schema = plan.source.schema {
            guard let fieldRules = schema.fieldRules, fieldRules.acceptsObjects else { return nil }
            rules = fieldRules
        }
        var entryList: [Entry] = []
        var entryNames: [String] = []
        var bytes: [UInt8] = []
        func entry(_ name: String) -> Int {
            if let index = entryNames.firstIndex(of: name) { return index }
            entryNames.append(name)
            entryList.append(Entry(read: -1, check: -1, required: false, start: bytes.count, count: name.utf8.count))
            bytes += Array(name.utf8)
            return entryList.count - 1
        }
        for (index, name) in names.enumerated() { entryList[entry(name)].read = index }
        var checks: [SchemaFieldRules.Check] = []
        for (name, check) in rules.properties {
            entryList[entry(name)].check = checks.count
            checks.append(check)
        }
        for name in rules.required { entryList[entry(name)].required = true }
        switch rules.additional {
        case nil: otherFields = -1
        case .some(nil): otherFields = -2
        case .some(let check?):
            otherFields = checks.count
            checks.append(check)
        }
        var direct: (step: Int, inputs: DirectInputs)?
        if let candidate = directCandidate, !reshaped, let key = candidate.key, !setNames.contains(key),
            let keySlot = names.firstIndex(of: key)
        {
            var slots: [Int] = []
            for argument in candidate.arguments {
                guard let argument, !setNames.contains(argument), let slot = names.firstIndex(of: argument) else { break }
                slots.append(slot)
            }
            if slots.count == candidate.arguments.count {
                direct = (candidate.step, DirectInputs(keySlot: keySlot, argumentSlots: slots))
            }
        }
        self.direct = direct
        buildsObject = direct?.step != 0
        scansDirect = !buildsObject || fusedMap != nil
        slotValues = .allocate(capacity: max(1, names.count))
        slotValues.initialize(repeating: .null, count: max(1, names.count))
        slotPresent = .allocate(capacity: max(1, names.count))
        slotPresent.initialize(repeating: false, count: max(1, names.count))
        slotInts = .allocate(capacity: max(1, names.count))
        slotInts.initialize(repeating: 0, count: max(1, names.count))
        slotIsInt = .allocate(capacity: max(1, names.count))
        slotIsInt.initialize(repeating: false, count: max(1, names.count))
        let ways = max(1, names.count) * Self.recentWays
        recentStrings = .allocate(capacity: ways)
        recentStrings.initialize(repeating: .null, count: ways)
        recentBytes = .allocate(capacity: ways * 3)
        recentBytes.initialize(repeating: UInt64.max, count: ways * 3)
        self.names = names
        self.checks = checks
        deepChecks = checks.map { $0.deep != nil }
        requiredCount = rules.required.count
        eventTimeEntry = timeField.map(entry) ?? -1
        eventTimeInSeconds = seconds
        extraCapacity = extra
        for e in entryList.indices {
            for k in 0..<min(8, entryList[e].count) {
                entryList[e].prefix |= UInt64(bytes[entryList[e].start + k]) << (8 * UInt64(k))
            }
            if entryList[e].check >= 0, checks[entryList[e].check].deep == nil {
                entryList[e].types = Int(checks[entryList[e].check].types)
            }
        }
        lastEntries = .allocate(capacity: scan.capacity)
        lastEntries.initialize(repeating: -1, count: scan.capacity)
        shapes = .allocate(capacity: Self.shapeCount * 4)
        shapes.initialize(repeating: 0, count: Self.shapeCount * 4)
        entries = .allocate(capacity: entryList.count)
        _ = entries.initialize(from: entryList)
        nameBytes = .allocate(capacity: max(1, bytes.count))
        nameBytes.initialize(from: bytes, count: bytes.count)
    }

    deinit {
        lastEntries.deallocate()
        shapes.deallocate()
        entries.deallocate()
        nameBytes.deallocate()
        slotValues.deinitialize(count: max(1, names.count))
        slotValues.deallocate()
        slotPresent.deallocate()
        slotInts.deallocate()
        slotIsInt.deallocate()
        recentStrings.deinitialize(count: max(1, names.count) * Self.recentWays)
        recentStrings.deallocate()
        recentBytes.deallocate()
    }

    /// The value of `names[index]` in the last decoded record, if it had the field.
    @inline(__always) func slot(_ index: Int) -> Value? {
        guard slotPresent[index] else { return nil }
        return slotIsInt[index] ? .int(slotInts[index]) : slotValues[index]
    }

    /// Calls `body` with the values at `slots`, in order; nil (without calling it) when one is
    /// missing. Consecutive slots (the usual case) are passed in place, others copied.
    func withValues<R>(at slots: [Int], _ body: (UnsafeBufferPointer<Value>) -> R) -> R? {
        for slot in slots where !slotPresent[slot] { return nil }
        // Integers are kept unboxed (see `fill`): box the ones asked for.
        for slot in slots where slotIsInt[slot] { slotValues[slot] = .int(slotInts[slot]) }
        guard let first = slots.first else { return body(UnsafeBufferPointer(start: slotValues, count: 0)) }
        var consecutive = true
        for (i, slot) in slots.enumerated() where slot != first + i { consecutive = false }
        if consecutive { return body(UnsafeBufferPointer(start: slotValues + first, count: slots.count)) }
        return withUnsafeTemporaryAllocation(of: Value.self, capacity: slots.count) { values in
            for (i, slot) in slots.enumerated() { values.initializeElement(at: i, to: slotValues[slot]) }
            defer { _ = values.deinitialize() }
            return body(UnsafeBufferPointer(values))
        }
    }

    /// Calls `body` with the integers at `slots`, in order; nil (without calling it) unless
    /// each is present and an integer.
    @inline(__always)
    func withIntegers<R>(at slots: [Int], _ body: (UnsafePointer<Int64>) -> R) -> R? {
        for slot in slots where !(slotPresent[slot] && slotIsInt[slot]) { return nil }
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: max(1, slots.count)) { buffer in
            guard let base = buffer.baseAddress else { return nil }
            for (i, slot) in slots.enumerated() { base[i] = slotInts[slot] }
            return body(UnsafePointer(base))
        }
    }

    private static func isASCII(_ text: String) -> Bool { text.utf8.allSatisfy { $0 < 0x80 } }

    /// Whether `count` bytes at `a` and `b` are equal, eight at a time.
    @inline(__always)
    static func bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var i = 0
        while i + 8 <= count {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self)
            if x != y { return false }
            i += 8
        }
        while i < count {
            if a[i] != b[i] { return false }
            i += 1
        }
        return true
    }

    /// Scans `bytes` and, when it is an object this decoder handles that passes the schema,
    /// fills `fields` with the fields the plan reads (in record order) and returns true;
    /// `eventTime` gets the event time when the scan alone gives it. False: use the full path.
    func decode(
        _ bytes: [UInt8], into fields: inout [(key: String, value: Value)], eventTime: inout Int64?
    ) -> Bool {
        bytes.withUnsafeBufferPointer { text -> Bool in
            guard let base = text.baseAddress, scan.scan(text) else { return false }
            guard buildsObject else { return fill(&fields, text: text, base: base, eventTime: &eventTime) }
            swap(&fields, &spare)
            if !fields.isEmpty { fields.removeAll(keepingCapacity: true) }  // `spare` is kept empty
            fields.reserveCapacity(names.count + extraCapacity)
            if fill(&fields, text: text, base: base, eventTime: &eventTime) { return true }
            recycle(&fields)
            return false
        }
    }

    private func fill(
        _ fields: inout [(key: String, value: Value)], text: UnsafeBufferPointer<UInt8>, base: UnsafePointer<UInt8>,
        eventTime: inout Int64?
    ) -> Bool {
        var required = 0
        for i in 0..<names.count { slotPresent[i] = false }
        for i in 0..<scan.count {
            let field = scan[i]
            let found = entryIndex(of: field, at: i, base: base, textCount: text.count)
            var check = otherFields
            var read = -1
            if found >= 0 {
                let entry = entries[found]
                if entry.required { required += 1 }
                check = entry.check
                read = entry.read
                if entry.types >= 0 {
                    // A type-only check, without copying the check.
                    guard SchemaFieldRules.Check(types: UInt8(truncatingIfNeeded: entry.types), deep: nil)
                        .acceptsType(field.kind, bits: field.bits)
                    else { return false }
                    check = -1
                }
                if found == eventTimeEntry, field.kind == .int {
                    if !eventTimeInSeconds {
                        eventTime = field.bits
                    } else {
                        let (ms, overflow) = field.bits.multipliedReportingOverflow(by: 1000)
                        if !overflow { eventTime = ms }
                    }
                }
            }
            if check == -2 { return false }
            var value: Value?
            if check >= 0 {
                guard checks[check].acceptsType(field.kind, bits: field.bits) else { return false }
                if deepChecks[check], let deep = checks[check].deep {
                    value = scan.value(at: i, in: text)
                    guard let value, deep(value) else { return false }
                }
            }
            if read >= 0, value == nil, field.kind == .int, !buildsObject {
                // Only direct inputs read it: kept unboxed until asked for (`slot`, `withValues`).
                slotPresent[read] = true
                slotIsInt[read] = true
                slotInts[read] = field.bits
            } else if read >= 0 {
                guard let decoded = value ?? decodeValue(i, field, text: text, base: base, name: read) else { return false }
                if buildsObject { fields.append((key: names[read], value: decoded)) }
                slotValues[read] = decoded
                slotPresent[read] = true
                slotIsInt[read] = field.kind == .int
                slotInts[read] = field.bits
            }
        }
        return required == requiredCount
    }

    /// The entry whose name is the key of `field` (the scanned field at `position`), or -1.
    @inline(__always)
    private func entryIndex(of field: JSONObjectScan.Field, at position: Int, base: UnsafePointer<UInt8>, textCount: Int) -> Int {
        let guess = lastEntries[position]
        if guess >= 0, keyMatches(guess, field, base: base, textCount: textCount) { return guess }
        var found = -1
        for e in 0..<entries.count where keyMatches(e, field, base: base, textCount: textCount) {
            found = e
            break
        }
        lastEntries[position] = found
        return found
    }

    /// Whether the key of `field` is the name of entry `e`: its first word compared at once.
    @inline(__always)
    private func keyMatches(_ e: Int, _ field: JSONObjectScan.Field, base: UnsafePointer<UInt8>, textCount: Int) -> Bool {
        let entry = entries[e]
        let count = field.keyCount
        guard entry.count == count else { return false }
        let key = base + field.keyStart
        // A key is followed by at least `":0}`, so its first eight bytes are readable when it
        // has four or more; shorter ones are checked against the end.
        guard field.keyStart + 8 <= textCount else { return Self.bytesEqual(nameBytes + entry.start, key, count) }
        let word = UInt64(littleEndian: UnsafeRawPointer(key).loadUnaligned(as: UInt64.self))
        let mask: UInt64 = count >= 8 ? ~0 : (1 << (8 * UInt64(count))) &- 1
        guard word & mask == entry.prefix else { return false }
        return count <= 8 || Self.bytesEqual(nameBytes + entry.start + 8, key + 8, count - 8)
    }

    /// The value of scanned field `index` (`field`), read for `names[name]`: short plain strings
    /// come from `recentStrings` when they were seen lately.
    @inline(__always)
    private func decodeValue(
        _ index: Int, _ field: JSONObjectScan.Field, text: UnsafeBufferPointer<UInt8>, base: UnsafePointer<UInt8>, name: Int
    ) -> Value? {
        let count = field.valueEnd - field.valueStart - 2
        guard field.kind == .string, !field.escaped, count <= 16 else { return scan.value(at: index, in: text) }
        // The content as two zero-padded words, and its length.
        var low: UInt64 = 0, high: UInt64 = 0
        let content = base + field.valueStart + 1
        for k in 0..<count {
            if k < 8 { low |= UInt64(content[k]) << (8 * UInt64(k)) } else { high |= UInt64(content[k]) << (8 * UInt64(k - 8)) }
        }
        let mixed = (low ^ (high &* 31) ^ UInt64(count)) &* 0x9E37_79B9_7F4A_7C15
        let way = name * Self.recentWays + Int(truncatingIfNeeded: mixed >> 61)
        let bytes = recentBytes + way * 3
        if bytes[0] == low, bytes[1] == high, bytes[2] == UInt64(count) { return recentStrings[way] }
        guard let value = scan.value(at: index, in: text) else { return nil }
        recentStrings[way] = value
        bytes[0] = low
        bytes[1] = high
        bytes[2] = UInt64(count)
        return value
    }

    /// Takes back the fields array of a partial value that is no longer used, for the next record.
    func recycle(_ fields: inout [(key: String, value: Value)]) {
        // One by one: `removeAll` destroys tuples through generic runtime calls, several
        // times slower for these few small fields.
        while !fields.isEmpty { fields.removeLast() }
        swap(&fields, &spare)
    }

    /// Whether the record last decoded from `bytes` has a top-level field `name`.
    func hasField(_ name: String, in bytes: [UInt8]) -> Bool {
        var name = name
        return name.withUTF8 { name in
            bytes.withUnsafeBufferPointer { text in
                guard let base = text.baseAddress else { return false }
                return scan.index(of: name, in: base) != nil
            }
        }
    }
}

extension Engine {
    /// Replaces a partial value (see `PartialDecoder`) with the whole decoded value plus the
    /// fields added since, as if the record had been decoded in full from the start.
    func materialize(_ working: inout Working) {
        guard working.originalFields != -1 else { return }
        working.context.value = wholeValue(of: working)
        working.originalFields = -1
    }

    func wholeValue(of working: Working) -> Value {
        guard working.originalFields != -1, let bytes = currentRecord?.pointee.value,
            case .object(var whole)? = try? JSON.parse(bytes)
        else { return working.context.value }
        guard working.originalFields >= 0, case .object(let partial) = working.context.value else { return .object(whole) }
        for field in partial.fields[min(working.originalFields, partial.fields.count)...] { whole[field.key] = field.value }
        return .object(whole)
    }

    /// The JSON bytes of the record's current value, spliced from the input bytes when it can be.
    func encodeValue(of working: Working) -> [UInt8] {
        guard working.originalFields != -1 else { return encode(working.context.value) }
        guard working.canonical, let original = currentRecord?.pointee.value, case .object(let partial) = working.context.value,
            working.originalFields <= partial.count
        else { return encode(wholeValue(of: working)) }
        return JSON.appending(partial.fields[working.originalFields...], toObject: original)
    }
}
