import SluiceExpr
import SluiceSupport

/// Tumbling and hopping windows: fixed `size`, a new window every `advance` (= size for
/// tumbling), aligned to the epoch. A record at t belongs to every window [s, s + size) with
/// s a multiple of `advance` and s <= t < s + size. State: per window start, a dictionary from
/// key to aggregate state; windows all have one size, so start order is end order.
final class TimeWindowStore {
    struct Slot {
        var start: Int64
        var states: [Value: AggregateState]
    }

    let size: Int64
    let advance: Int64
    let grace: Int64
    /// Open windows, by start ascending.
    private(set) var slots: [Slot] = []

    init(size: Int64, advance: Int64, grace: Int64) {
        self.size = size
        self.advance = advance
        self.grace = grace
    }

    private func isClosed(start: Int64, streamTime: Int64) -> Bool {
        start.plusSaturating(size).plusSaturating(grace) <= streamTime
    }

    /// Adds a record; false when it is late (every window it belongs to has closed).
    /// `changed` receives the updated windows (for `emit: update`), `opened` the new ones.
    func add(
        key: Value, eventTime t: Int64, streamTime: Int64, context: EvaluationContext, program: AggregateProgram,
        changed: inout [WindowResult], opened: inout [WindowBounds], collectChanges: Bool
    ) throws(EvaluationError) -> Bool {
        let last = t.floored(to: advance)
        if advance == size {
            // Tumbling: one window, updated in place.
            if isClosed(start: last, streamTime: streamTime) { return false }
            let index = slotIndex(start: last)
            let keys = slots[index].states.count
            do {
                // One hash lookup; `update` leaves the state unchanged when it throws.
                try program.apply(&slots[index].states[key, default: program.makeState()], context)
            } catch {
                if slots[index].states.count > keys { slots[index].states[key] = nil }  // a new key whose first record failed
                throw error
            }
            if slots[index].states.count > keys { opened.append(bounds(last)) }
            if collectChanges, let state = slots[index].states[key] {
                changed.append(WindowResult(key: key, bounds: bounds(last), state: state))
            }
            return true
        }
        // Hopping: the record's own state is computed once (failing before any window changes),
        // then merged into each window containing t, earliest first.
        let single = try program.single(context)
        var start = t.minusSaturating(size).floored(to: advance).plusSaturating(advance)
        var added = false
        while true {
            if !isClosed(start: start, streamTime: streamTime) {
                let index = slotIndex(start: start)
                let merged: AggregateState
                if let existing = slots[index].states[key] {
                    merged = program.merge(existing, single)
                } else {
                    merged = single
                    opened.append(bounds(start))
                }
                slots[index].states[key] = merged
                if collectChanges { changed.append(WindowResult(key: key, bounds: bounds(start), state: merged)) }
                added = true
            }
            if start >= last { break }
            start = start.plusSaturating(advance)
        }
        return added
    }

    /// Removes the windows that close at `streamTime`, in end order, then key order.
    func close(streamTime: Int64, into results: inout [WindowResult]) {
        var removed = 0
        while removed < slots.count, isClosed(start: slots[removed].start, streamTime: streamTime) {
            let slot = slots[removed]
            for key in slot.states.keys.sorted(by: ValueOrder.less) {
                if let state = slot.states[key] {
                    results.append(WindowResult(key: key, bounds: bounds(slot.start), state: state))
                }
            }
            removed += 1
        }
        if removed > 0 { slots.removeFirst(removed) }
    }

    func bounds(_ start: Int64) -> WindowBounds {
        WindowBounds(start: start, end: start.plusSaturating(size))
    }

    /// The index of the slot for `start`, inserting an empty one if needed (usually at the end).
    private func slotIndex(start: Int64) -> Int {
        var index = slots.count
        while index > 0, slots[index - 1].start >= start {
            if slots[index - 1].start == start { return index - 1 }
            index -= 1
        }
        slots.insert(Slot(start: start, states: [:]), at: index)
        return index
    }

    /// Every (window, key, state), for snapshots.
    var entries: [WindowResult] {
        slots.flatMap { slot in
            slot.states.map { WindowResult(key: $0.key, bounds: bounds(slot.start), state: $0.value) }
        }
    }

    func restore(_ entry: WindowResult) {
        slots[slotIndex(start: entry.bounds.start)].states[entry.key] = entry.state
    }

    var openWindowCount: Int { slots.reduce(0) { $0 + $1.states.count } }
}
