import SluiceExpr
import SluiceSupport

/// Source records of a pipeline whose first step is a stateful step fed straight from decoded
/// fields (`PartialDecoder.direct`): decoded in one pass (`decodeDirect`), and, for a record
/// of a known key in the newest tumbling window, folded in without building its evaluation
/// context. Anything else continues as `process` would after decoding.
extension Engine {
    /// Processes a source record of such a pipeline; false, having changed nothing, when the
    /// record needs the general path (`process` then handles it as before).
    func processDirect(_ input: UnsafePointer<Record>, _ decoder: PartialDecoder, wallTime: Int64) -> Bool {
        var scannedTime: Int64?
        let decoded = input.pointee.value?.withUnsafeBufferPointer { decoder.decodeDirect($0, eventTime: &scannedTime) }
        guard decoded == true, let eventTime = scannedTime else { return false }
        if clock.observe(topic: input.pointee.topic, partition: input.pointee.partition, eventTime: eventTime, wallTime: wallTime) {
            streamTimeAdvanced()
        }
        if decoder.directTarget == nil { makeDirectTarget(decoder) }
        // Used in place through the decoder, which holds it: no reference counting per record.
        if let target = decoder.directTarget, target.enabled,
            target.add(decoder, eventTime: eventTime, streamTime: clock.streamTime ?? Int64.min)
        {
            return true
        }
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

    private func makeDirectTarget(_ decoder: PartialDecoder) {
        var target = DirectWindowTarget(runtime: nil, store: nil, keySlot: 0, slots: [])
        if case .window(let runtime) = runtimes[0], let direct = runtime.direct, case .time(let store) = runtime.store,
            store.advance == store.size, !runtime.hasOwnClock, !options.trace, runtime.plan.emit != .update
        {
            target = DirectWindowTarget(runtime: runtime, store: store, keySlot: direct.keySlot, slots: direct.argumentSlots)
        }
        decoder.directTarget = target
    }
}

/// The tumbling window step records go to straight from `decodeDirect` (see `processDirect`);
/// `enabled` false when the first step is of another kind.
final class DirectWindowTarget {
    /// Held strongly (its store with it), so that `store` is used without reference counting.
    private let runtime: WindowRuntime?
    private let store: Unmanaged<TimeWindowStore>?
    let enabled: Bool
    private let keySlot: Int
    private let slots: [Int]
    private let arguments: UnsafeMutablePointer<Int64>

    init(runtime: WindowRuntime?, store: TimeWindowStore?, keySlot: Int, slots: [Int]) {
        self.runtime = runtime
        self.store = store.map { Unmanaged.passUnretained($0) }
        enabled = store != nil
        self.keySlot = keySlot
        self.slots = slots
        arguments = .allocate(capacity: max(1, slots.count))
    }

    deinit { arguments.deallocate() }

    /// Folds the decoded record into the row of its key in the newest window, when it belongs
    /// there, the key has a row and every argument is an integer; false, having changed
    /// nothing, otherwise.
    @inline(__always)
    func add(_ decoder: PartialDecoder, eventTime: Int64, streamTime: Int64) -> Bool {
        guard let store, let key = decoder.slot(keySlot) else { return false }
        for (i, slot) in slots.enumerated() {
            guard decoder.slotPresent[slot], decoder.slotIsInt[slot] else { return false }
            arguments[i] = decoder.slotInts[slot]
        }
        let arguments = self.arguments
        return store._withUnsafeGuaranteedRef {
            $0.foldNewest(key: key, eventTime: eventTime, streamTime: streamTime, arguments: arguments)
        }
    }
}
