import SluiceExpr
import SluiceSupport

/// Source records of a pipeline whose first step is a stateful step fed straight from decoded
/// fields (`PartialDecoder.direct`): decoded in one pass (`decodeDirect`), and, for a record
/// of a known key in the newest tumbling window, folded in without building its evaluation
/// context. Anything else continues as `process` would after decoding.
extension Engine {
    /// Processes a source record of such a pipeline; false, having changed nothing, when the
    /// record needs the general path (`process` then handles it as before).
    /// The decoder (held by the engine) and its target are used in place, without reference
    /// counting per record.
    func processDirect(_ input: UnsafePointer<Record>, _ decoder: Unmanaged<PartialDecoder>, wallTime: Int64) -> Bool {
        let outcome = decoder._withUnsafeGuaranteedRef { decoder -> DirectOutcome? in
            if decoder.directTemplate.target == nil { makeDirectTarget(decoder) }
            guard let target = decoder.directTemplate.target else { return nil }
            return target._withUnsafeGuaranteedRef { target in
                input.pointee.value?.withUnsafeBufferPointer { foldDirect($0, input, decoder, target, wallTime: wallTime) }
            }
        }
        guard let outcome else { return false }
        guard case .decoded(let eventTime) = outcome else { return outcome == .folded }
        // As `process` goes on after decoding: no partial object, the decoded fields in the slots.
        let key = input.pointee.key, timestamp = input.pointee.timestamp
        var working = Working(
            context: EvaluationContext(
                value: .null, key: needsKeyText ? KeyCoding.value(key) : .null, timestamp: timestamp,
                now: options.clock == .wallClock ? wallTime : timestamp, topic: input.pointee.topic,
                partition: input.pointee.partition, offset: input.pointee.offset, headers: input.pointee.headers),
            keyBytes: key, eventTime: eventTime, derived: false, originalFields: -2, canonical: false, decoded: true)
        run(&working, from: 0)
        return true
    }

    /// Decodes the record's value, notes its event time and folds it into the newest window
    /// when it can; `.decoded` leaves the rest to the general path, with every slot decoded.
    @inline(__always)
    private func foldDirect(
        _ text: UnsafeBufferPointer<UInt8>, _ input: UnsafePointer<Record>, _ decoder: PartialDecoder,
        _ target: DirectWindowTarget, wallTime: Int64
    ) -> DirectOutcome {
        var scannedTime: Int64?
        let decoded = target.enabled
            ? decoder.decodeDirectDeferring(text, eventTime: &scannedTime)
            : decoder.decodeDirect(text, eventTime: &scannedTime)
        guard decoded == true,
            let eventTime = scannedTime, let p = text.baseAddress
        else { return .undecoded }
        if clock.observe(input, eventTime: eventTime, wallTime: wallTime) {
            streamTimeAdvanced()
        }
        if target.enabled,
            target.add(decoder, text: p, count: text.count, eventTime: eventTime, streamTime: clock.streamTime ?? Int64.min)
        {
            return .folded
        }
        decoder.decodePendingStrings(p)
        return .decoded(eventTime: eventTime)
    }

    private func makeDirectTarget(_ decoder: PartialDecoder) {
        var target = DirectWindowTarget(runtime: nil, store: nil, keySlot: 0, slots: [])
        if case .window(let runtime) = runtimes[0], let direct = runtime.direct, case .time(let store) = runtime.store,
            store.advance == store.size, !runtime.hasOwnClock, !options.trace, runtime.plan.emit != .update
        {
            target = DirectWindowTarget(runtime: runtime, store: store, keySlot: direct.keySlot, slots: direct.argumentSlots)
        }
        decoder.directTarget = target
        decoder.directTemplate.target = Unmanaged.passUnretained(target)
    }
}

/// What `processDirect` did with a record: nothing (the general path decodes it), folded it
/// in, or decoded it (with its event time noted) for the general path to go on.
enum DirectOutcome: Equatable {
    case undecoded
    case folded
    case decoded(eventTime: Int64)
}

/// The tumbling window step records go to straight from `decodeDirect` (see `processDirect`);
/// `enabled` false when the first step is of another kind.
final class DirectWindowTarget {
    /// Held strongly (its store with it), so that `store` is used without reference counting.
    private let runtime: WindowRuntime?
    private let store: Unmanaged<TimeWindowStore>?
    let enabled: Bool
    private let keySlot: Int
    private let slots: UnsafeMutablePointer<Int>
    private let slotCount: Int
    private let arguments: UnsafeMutablePointer<Int64>

    init(runtime: WindowRuntime?, store: TimeWindowStore?, keySlot: Int, slots: [Int]) {
        self.runtime = runtime
        self.store = store.map { Unmanaged.passUnretained($0) }
        enabled = store != nil
        self.keySlot = keySlot
        slotCount = slots.count
        self.slots = .allocate(capacity: max(1, slots.count))
        self.slots.initialize(from: slots, count: slots.count)
        arguments = .allocate(capacity: max(1, slots.count))
    }

    deinit {
        slots.deallocate()
        arguments.deallocate()
    }

    /// Folds the decoded record (its value `text`, `count` bytes) into the row of its key in
    /// the newest window, when it belongs there, the key has a row and every argument is an
    /// integer; false, having changed nothing but maybe decoded pending strings, otherwise.
    @inline(__always)
    func add(_ decoder: PartialDecoder, text: UnsafePointer<UInt8>, count: Int, eventTime: Int64, streamTime: Int64) -> Bool {
        guard let store, decoder.slotPresent[keySlot] else { return false }
        for i in 0..<slotCount {
            let slot = slots[i]
            guard decoder.slotPresent[slot], decoder.slotIsInt[slot] else { return false }
            arguments[i] = decoder.slotInts[slot]
        }
        let keySlot = self.keySlot, arguments = self.arguments
        let template = decoder.directTemplate
        let raw: (UInt64, UInt64, UInt64)
        if decoder.slotIsInt[keySlot] {
            raw = RawKey.integer(decoder.slotInts[keySlot])
        } else if keySlot < DirectTemplate.maxDeferred, template.pending & (1 << UInt64(keySlot)) != 0,
            template.stringCounts[keySlot] <= 16
        {
            raw = RawKey.string(text, start: template.stringStarts[keySlot], count: template.stringCounts[keySlot], end: count)
        } else {
            // A key decoded already, or a long one: found by its value.
            decoder.decodePendingStrings(text)
            guard let key = decoder.slot(keySlot) else { return false }
            return store._withUnsafeGuaranteedRef {
                $0.foldNewest(key: key, eventTime: eventTime, streamTime: streamTime, arguments: arguments)
            }
        }
        return store._withUnsafeGuaranteedRef {
            $0.foldNewest(raw: raw, eventTime: eventTime, streamTime: streamTime, arguments: arguments) {
                decoder.decodePendingStrings(text)
                return decoder.slot(keySlot)
            }
        }
    }
}
