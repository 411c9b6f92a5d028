/// A map from producer message ids to values, tuned for ids that arrive nearly in order and
/// leave nearly in order (a producer hands out consecutive ids; the broker acknowledges them
/// in about that order).
///
/// Ids within a window after the oldest one live in an array slot (no hashing, no per-entry
/// allocation); any other id (far ahead, or older than the window) goes to a dictionary. The
/// run path stores one entry per produced output, so this replaced a `Dictionary` that cost
/// a hash insert and a hash removal per output.
struct PendingTable<Value> {
    /// Slots from `head` on hold ids `base`, `base + 1`, ...
    private var slots: [Value?] = []
    private var head = 0
    private var base: UInt64 = 0
    private var others: [UInt64: Value] = [:]
    private(set) var count = 0

    /// The largest gap of unused ids filled with empty slots before an id goes to `others`.
    static var maxGap: UInt64 { 4096 }

    var isEmpty: Bool { count == 0 }

    subscript(id: UInt64) -> Value? {
        get {
            if let index = slotIndex(id) { return slots[index] }
            return others.isEmpty ? nil : others[id]
        }
        set {
            switch consume newValue {
            case .some(let value): insert(value, for: id)
            case .none: _ = removeValue(forKey: id)
            }
        }
    }

    mutating func removeValue(forKey id: UInt64) -> Value? {
        if let index = slotIndex(id) {
            // Swapped out rather than copied: no retain and release of what the value holds.
            var value: Value?
            swap(&value, &slots[index])
            guard value != nil else { return nil }
            count -= 1
            trimFront()
            return value
        }
        guard let value = others.removeValue(forKey: id) else { return nil }
        count -= 1
        return value
    }

    /// Every value, in no particular order.
    var values: [Value] {
        slots[head...].compactMap { $0 } + Array(others.values)
    }

    private func slotIndex(_ id: UInt64) -> Int? {
        guard id >= base else { return nil }
        let offset = id - base
        guard offset < UInt64(slots.count - head) else { return nil }
        return head + Int(offset)
    }

    /// Stores `value` under `id` (replacing any value there).
    mutating func insert(_ value: consuming Value, for id: UInt64) {
        if let index = slotIndex(id) {
            if slots[index] == nil { count += 1 }
            slots[index] = value
            return
        }
        if head == slots.count {
            // Empty window: start it at this id, unless an older id is still kept elsewhere.
            slots.removeAll(keepingCapacity: true)
            head = 0
            base = id
        }
        let end = base &+ UInt64(slots.count - head)
        if id >= end, id - end <= Self.maxGap {
            for _ in 0..<(id - end) { slots.append(nil) }
            slots.append(value)
            count += 1
            return
        }
        if others.updateValue(value, forKey: id) == nil { count += 1 }
    }

    /// Drops empty slots at the front, so `base` follows the oldest id still kept.
    private mutating func trimFront() {
        while head < slots.count, slots[head] == nil {
            head += 1
            base &+= 1
        }
        if head >= 1024, head * 2 >= slots.count {
            slots.removeFirst(head)
            head = 0
        }
    }
}
