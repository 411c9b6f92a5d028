import SluiceExpr
import SluiceSupport

/// The state of an engine's stateful steps, for changelog topics and restarts.
///
/// State belongs to keys (the aggregate or window key), not to input partitions: records of
/// one key may arrive on several partitions. To move state with partitions, shard it by key
/// with `Engine.partition(forKey:partitions:)` (Kafka's default partitioner on the key bytes,
/// so a changelog or repartition topic keyed the same way agrees).
public struct EngineState: Sendable {
    /// Stream time when the snapshot was taken.
    public var streamTime: Int64?
    public var entries: [StateEntry]

    public init(streamTime: Int64?, entries: [StateEntry]) {
        self.streamTime = streamTime
        self.entries = entries
    }
}

/// One key's state in one stateful step (and window).
public struct StateEntry: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// A running aggregate; `count` is how many records the key has seen.
        case aggregate
        /// An open window.
        case window
        /// A record a sliding window keeps to build later windows; `window.start` is its time.
        case slidingRecord = "record"
        /// A version of a `lookup` table row: `state` holds its computed fields (null: deleted),
        /// `window.start` the event time it is valid from.
        case tableRow = "table"
        /// A record buffered by a stream-stream `join`; `window` is (event time, sequence).
        case joinRecord = "join-record"
    }

    /// Index of the step in the plan.
    public var step: Int
    public var kind: Kind
    public var key: Value
    public var window: WindowBounds?
    public var count: Int64
    public var state: AggregateState

    public init(step: Int, kind: Kind, key: Value, window: WindowBounds? = nil, count: Int64 = 0, state: AggregateState) {
        self.step = step
        self.kind = kind
        self.key = key
        self.window = window
        self.count = count
        self.state = state
    }

    /// A changelog record key: `[step, kind, key, start, end]` as compact JSON.
    public var changelogKey: [UInt8] {
        JSON.serialize(.array([
            .int(Int64(step)), .string(kind.rawValue), key, window.map { .int($0.start) } ?? .null,
            window.map { .int($0.end) } ?? .null,
        ]))
    }

    /// A changelog record value: `{"count": n, "state": ...}` as compact JSON.
    public var changelogValue: [UInt8] {
        JSON.serialize(.object(["count": .int(count), "state": state.encoded()]))
    }

    /// Reads back a changelog record; nil when it is not one of ours.
    public init?(changelogKey: [UInt8], changelogValue: [UInt8]) {
        guard case .array(let parts)? = try? JSON.parse(changelogKey), parts.count == 5,
            case .int(let step) = parts[0], step >= 0, step <= Int64(Int32.max),
            case .string(let kindName) = parts[1], let kind = Kind(rawValue: kindName),
            case .object(let value)? = try? JSON.parse(changelogValue), case .int(let count)? = value["count"],
            let encoded = value["state"], let state = AggregateState(encoded: encoded)
        else { return nil }
        var window: WindowBounds?
        if case .int(let start) = parts[3], case .int(let end) = parts[4] { window = WindowBounds(start: start, end: end) }
        self.init(step: Int(step), kind: kind, key: parts[2], window: window, count: count, state: state)
    }
}

extension Engine {
    /// The state of every stateful step whose key `include` accepts (all by default), in a
    /// deterministic order.
    public func snapshot(include: (Value) -> Bool = { _ in true }) -> EngineState {
        var entries: [StateEntry] = []
        for (step, runtime) in runtimes.enumerated() {
            switch runtime {
            case .aggregate(let aggregate):
                for entry in aggregate.entries where include(entry.key) {
                    entries.append(StateEntry(step: step, kind: .aggregate, key: entry.key, count: entry.count, state: entry.state))
                }
            case .window(let window):
                let results: [WindowResult]
                switch window.store {
                case .time(let store): results = store.entries
                case .session(let store): results = store.entries
                case .sliding(let store):
                    results = store.entries
                    for record in store.bufferedRecords where include(record.key) {
                        entries.append(StateEntry(
                            step: step, kind: .slidingRecord, key: record.key,
                            window: WindowBounds(start: record.time, end: record.time), state: record.state))
                    }
                }
                for result in results where include(result.key) {
                    entries.append(StateEntry(step: step, kind: .window, key: result.key, window: result.bounds, state: result.state))
                }
            case .join(let join):
                entries += join.entries(step: step, include: include)
            default: continue
            }
        }
        entries.sort { a, b in
            if a.step != b.step { return a.step < b.step }
            if a.kind != b.kind { return a.kind.rawValue < b.kind.rawValue }
            if let x = a.window, let y = b.window, x != y { return (x.end, x.start) < (y.end, y.start) }
            return ValueOrder.less(a.key, b.key)
        }
        return EngineState(streamTime: clock.streamTime, entries: entries)
    }

    /// Loads state saved by `snapshot` (e.g. replayed from a changelog topic) into this engine;
    /// entries for steps that are not stateful, or of the wrong kind, are ignored and counted.
    @discardableResult
    public func restore(_ state: EngineState) -> (restored: Int, ignored: Int) {
        clock.restore(streamTime: state.streamTime)
        var restored = 0, ignored = 0
        for entry in state.entries {
            guard runtimes.indices.contains(entry.step) else {
                ignored += 1
                continue
            }
            switch (runtimes[entry.step], entry.kind, entry.window) {
            case (.aggregate(let aggregate), .aggregate, _):
                aggregate.restore(key: entry.key, count: entry.count, state: entry.state)
            case (.window(let window), .window, let bounds?):
                let result = WindowResult(key: entry.key, bounds: bounds, state: entry.state)
                switch window.store {
                case .time(let store): store.restore(result)
                case .session(let store): store.restore(result)
                case .sliding(let store): store.restore(result)
                }
            case (.window(let window), .slidingRecord, let bounds?):
                guard case .sliding(let store) = window.store else {
                    ignored += 1
                    continue
                }
                store.restoreRecord(key: entry.key, time: bounds.start, state: entry.state)
            case (.join(let join), _, _):
                guard join.restore(entry) else {
                    ignored += 1
                    continue
                }
            default:
                ignored += 1
                continue
            }
            restored += 1
        }
        return (restored, ignored)
    }

    /// The partition Kafka's default partitioner gives a record keyed with `key`'s bytes
    /// (murmur2, as the Java client does), for sharding state the way a keyed topic is.
    public static func partition(forKey key: Value, partitions: Int) -> Int {
        guard partitions > 0 else { return 0 }
        let bytes = KeyCoding.bytes(key) ?? []
        return Int(murmur2(bytes) & 0x7fff_ffff) % partitions
    }

    /// Kafka's `Utils.murmur2`.
    static func murmur2(_ data: [UInt8]) -> UInt32 {
        let m: UInt32 = 0x5bd1_e995, r: UInt32 = 24
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: data.count)
        let blocks = data.count / 4
        for i in 0..<blocks {
            let base = i * 4
            var k = UInt32(data[base]) | UInt32(data[base + 1]) << 8 | UInt32(data[base + 2]) << 16 | UInt32(data[base + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = blocks * 4
        switch data.count % 4 {
        case 3:
            h ^= UInt32(data[tail + 2]) << 16
            fallthrough
        case 2:
            h ^= UInt32(data[tail + 1]) << 8
            fallthrough
        case 1:
            h ^= UInt32(data[tail])
            h = h &* m
        default: break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return h
    }
}
