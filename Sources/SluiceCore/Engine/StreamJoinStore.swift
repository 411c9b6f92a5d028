import SluiceExpr
import SluiceSupport

/// A stream-stream `join` step's buffers: each side's records by join key, kept until no
/// record that is not late can match them (event time + 2 x within + grace < stream time).
final class StreamJoinStore {
    struct Entry {
        var time: Int64
        var sequence: Int64
        /// The record timestamp, for the result's timestamp.
        var timestamp: Int64
        /// The join key as a value (the result's key).
        var key: Value
        var value: Value
        var matched: Bool
    }

    private struct Expiry {
        var time: Int64
        var sequence: Int64
        var side: Int
        var key: String
    }

    /// Per side (0: the stream, 1: the other source), records by join key text, in arrival order.
    private var sides: [[String: [Entry]]] = [[:], [:]]
    /// Every buffered record by (time, sequence); entries before `head` are gone.
    private var queue: [Expiry] = []
    private var head = 0
    private var nextSequence: Int64 = 0
    /// 2 x within + grace: how long after its event time a record can still be matched.
    let span: Int64

    init(withinMs: Int64, graceMs: Int64) {
        span = withinMs.plusSaturating(withinMs).plusSaturating(graceMs)
    }

    var count: Int { queue.count - head }

    /// Buffers a record on `side`; returns its sequence number.
    @discardableResult
    func add(side: Int, keyText: String, key: Value, time: Int64, timestamp: Int64, value: Value, matched: Bool) -> Int64 {
        let sequence = nextSequence
        nextSequence &+= 1
        insert(side: side, keyText: keyText, Entry(
            time: time, sequence: sequence, timestamp: timestamp, key: key, value: value, matched: matched))
        return sequence
    }

    private func insert(side: Int, keyText: String, _ entry: Entry) {
        sides[side][keyText, default: []].append(entry)
        let expiry = Expiry(time: entry.time, sequence: entry.sequence, side: side, key: keyText)
        var index = queue.count
        while index > head, (queue[index - 1].time, queue[index - 1].sequence) > (expiry.time, expiry.sequence) { index -= 1 }
        queue.insert(expiry, at: index)
    }

    /// The records of `side` with this key and an event time at most `within` from `time`, in
    /// arrival order; they are marked matched.
    func match(side: Int, keyText: String, time: Int64, within: Int64, excluding sequence: Int64 = -1) -> [Entry] {
        guard var entries = sides[side][keyText] else { return [] }
        var found: [Entry] = []
        for index in entries.indices where entries[index].sequence != sequence {
            let distance = entries[index].time.minusSaturating(time)
            guard distance <= within, distance >= -within else { continue }
            entries[index].matched = true
            found.append(entries[index])
        }
        if !found.isEmpty { sides[side][keyText] = entries }
        return found
    }

    /// Removes every record with event time + span < `streamTime` (all at Int64.max), returning
    /// them with their side, in (time, sequence) order.
    func expire(streamTime: Int64) -> [(side: Int, entry: Entry)] {
        var gone: [(side: Int, entry: Entry)] = []
        while head < queue.count, streamTime == Int64.max || queue[head].time.plusSaturating(span) < streamTime {
            let expiry = queue[head]
            head += 1
            guard var entries = sides[expiry.side][expiry.key],
                let index = entries.firstIndex(where: { $0.sequence == expiry.sequence })
            else { continue }
            gone.append((expiry.side, entries.remove(at: index)))
            sides[expiry.side][expiry.key] = entries.isEmpty ? nil : entries
        }
        if head == queue.count {
            queue.removeAll(keepingCapacity: queue.count < 4096)
            head = 0
        } else if head > 1024, head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return gone
    }

    // MARK: state

    /// Buffered records as state entries of step `step`: `count` is the side plus 2 when matched.
    func entries(step: Int, include: (Value) -> Bool) -> [StateEntry] {
        var result: [StateEntry] = []
        for (side, records) in sides.enumerated() {
            for entries in records.values {
                for entry in entries where include(entry.key) {
                    result.append(StateEntry(
                        step: step, kind: .joinRecord, key: entry.key,
                        window: WindowBounds(start: entry.time, end: entry.sequence),
                        count: Int64(side) + (entry.matched ? 2 : 0),
                        state: JoinState.wrap(.object(["ts": .int(entry.timestamp), "value": entry.value]))))
                }
            }
        }
        return result
    }

    /// Loads one entry saved by `entries`; false when it is not one.
    func restore(_ entry: StateEntry) -> Bool {
        guard entry.kind == .joinRecord, let bounds = entry.window, (0...3).contains(entry.count),
            case .object(let content)? = JoinState.unwrap(entry.state), case .int(let timestamp)? = content["ts"],
            let value = content["value"]
        else { return false }
        let side = Int(entry.count % 2)
        let keyText = JoinKey.text(entry.key)
        if sides[side][keyText]?.contains(where: { $0.sequence == bounds.end }) == true { return true }
        nextSequence = max(nextSequence, bounds.end &+ 1)
        insert(side: side, keyText: keyText, Entry(
            time: bounds.start, sequence: bounds.end, timestamp: timestamp, key: entry.key, value: value,
            matched: entry.count >= 2))
        return true
    }

    /// Bytes of buffered state, from the structures' sizes (values' heap storage not included).
    var stateBytes: Int {
        let perKey = MemoryLayout<String>.stride + MemoryLayout<[Entry]>.stride + 32
        var bytes = queue.capacity * MemoryLayout<Expiry>.stride
        for side in sides {
            bytes += side.capacity * perKey
            for entries in side.values { bytes += entries.capacity * MemoryLayout<Entry>.stride }
        }
        return bytes
    }
}

/// Join keys as the text the table and buffers are indexed by: a string key as it is, any
/// other value as its record key bytes (compact JSON), so `7` matches a record keyed "7".
enum JoinKey {
    @inline(__always)
    static func text(_ key: Value) -> String {
        if case .string(let text) = key { return text }
        guard let bytes = KeyCoding.bytes(key) else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }
}
