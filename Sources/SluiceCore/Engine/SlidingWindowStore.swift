import SluiceExpr
import SluiceSupport

/// Sliding windows with Kafka Streams semantics (`SlidingWindows`): two records share a window
/// when their event times differ by at most `size`. Windows exist only where their content
/// changes, which is at record times:
/// - every record at t has a left window [t - size, t] (inclusive), holding the records in it;
/// - every record at t that has a later record within `size` has a right window
///   [t + 1, t + 1 + size], holding the records after it within that span.
/// As output, window_end is exclusive like every other window: a window [s, s + size] is
/// reported as window_start = s, window_end = s + size + 1 (its timestamp is s + size), and it
/// closes when `window_end + grace <= stream time`. A record is late when every window that
/// could hold it has closed: t + size + 1 + grace <= stream time. Windows that would already
/// be closed when a record would create them are not created (as in Kafka Streams).
final class SlidingWindowStore {
    struct KeyState {
        /// Records within reach of an open window, by event time (arrival order on ties).
        var records: [(time: Int64, state: AggregateState)] = []
        /// Open windows by start ascending.
        var windows: [(start: Int64, state: AggregateState)] = []
    }

    let size: Int64
    let grace: Int64
    private(set) var keys: [Value: KeyState] = [:]
    private var queue = CloseQueue()

    init(size: Int64, grace: Int64) {
        self.size = size
        self.grace = grace
    }

    func bounds(_ start: Int64) -> WindowBounds {
        WindowBounds(start: start, end: start.plusSaturating(size).plusSaturating(1))
    }

    private func isClosed(start: Int64, streamTime: Int64) -> Bool {
        bounds(start).end.plusSaturating(grace) <= streamTime
    }

    /// Adds a record; false when it is late.
    func add(
        key: Value, eventTime t: Int64, streamTime: Int64, context: EvaluationContext, program: AggregateProgram,
        changed: inout [WindowResult], opened: inout [WindowBounds], collectChanges: Bool
    ) throws(EvaluationError) -> Bool {
        if isClosed(start: t, streamTime: streamTime) { return false }  // [t, t + size] is the last window holding t
        let single = try program.single(context)
        var entry = keys.removeValue(forKey: key) ?? KeyState()
        defer { keys[key] = entry }
        prune(&entry, streamTime: streamTime)
        // A merge that overflows makes this record an error and must leave the key as it was:
        // undone from a log of what changed, not from a copy of the key's whole state.
        let counts = (changed: changed.count, opened: opened.count)
        var undo = Undo()
        do throws(EvaluationError) {
            try insert(t, single, into: &entry, undo: &undo, key: key, streamTime: streamTime, program: program,
                       changed: &changed, opened: &opened, collectChanges: collectChanges)
        } catch {
            undo.revert(&entry)
            changed.removeLast(changed.count - counts.changed)
            opened.removeLast(opened.count - counts.opened)
            throw error
        }
        return true
    }

    /// What `insert` changed in a key's state, to put it back when a merge fails.
    private struct Undo {
        var recordAt: Int?
        var replaced: [(start: Int64, state: AggregateState)] = []
        var created: [Int64] = []

        func revert(_ entry: inout KeyState) {
            entry.windows.removeAll { created.contains($0.start) }
            for old in replaced {
                if let index = entry.windows.firstIndex(where: { $0.start == old.start }) { entry.windows[index].state = old.state }
            }
            if let recordAt { entry.records.remove(at: recordAt) }
        }
    }

    private func insert(
        _ t: Int64, _ single: AggregateState, into entry: inout KeyState, undo: inout Undo, key: Value, streamTime: Int64,
        program: AggregateProgram, changed: inout [WindowResult], opened: inout [WindowBounds], collectChanges: Bool
    ) throws(EvaluationError) {
        let position = entry.records.firstIndex { $0.time > t } ?? entry.records.count
        let previous = position > 0 ? entry.records[position - 1].time : nil
        entry.records.insert((t, single), at: position)
        undo.recordAt = position

        var touched: [Int64] = []
        for index in entry.windows.indices {
            let start = entry.windows[index].start
            if start <= t, t <= start.plusSaturating(size) {
                let old = entry.windows[index].state
                entry.windows[index].state = try program.mergeChecked(old, single)
                undo.replaced.append((start, old))
                if collectChanges { touched.append(start) }
            }
        }
        func create(_ start: Int64) throws(EvaluationError) {
            guard !isClosed(start: start, streamTime: streamTime),
                !entry.windows.contains(where: { $0.start == start })
            else { return }
            let last = start.plusSaturating(size)
            var state: AggregateState?
            for record in entry.records where record.time >= start && record.time <= last {
                if let current = state {
                    state = try program.mergeChecked(current, record.state)
                } else {
                    state = record.state
                }
            }
            guard let state else { return }
            let at = entry.windows.firstIndex { $0.start > start } ?? entry.windows.count
            entry.windows.insert((start, state), at: at)
            undo.created.append(start)
            queue.push(CloseQueue.Entry(end: bounds(start).end, key: key, start: start))
            opened.append(bounds(start))
            if collectChanges { touched.append(start) }
        }
        try create(t.minusSaturating(size))  // the record's left window
        if entry.records.contains(where: { $0.time > t && $0.time <= t.plusSaturating(size).plusSaturating(1) }) {
            try create(t.plusSaturating(1))  // its right window, when a later record falls in it
        }
        if let previous, previous < t, previous.plusSaturating(1).plusSaturating(size) >= t {
            try create(previous.plusSaturating(1))  // the previous record's right window now holds t
        }
        if collectChanges {
            for start in Set(touched).sorted() {
                if let window = entry.windows.first(where: { $0.start == start }) {
                    changed.append(WindowResult(key: key, bounds: bounds(start), state: window.state))
                }
            }
        }
    }

    /// Removes the windows that close at `streamTime`, in end order, then key order.
    func close(streamTime: Int64, into results: inout [WindowResult]) {
        while let end = queue.minimumEnd, end.plusSaturating(grace) <= streamTime, let entry = queue.pop() {
            guard var state = keys[entry.key],
                let index = state.windows.firstIndex(where: { $0.start == entry.start })
            else { continue }
            let window = state.windows.remove(at: index)
            if state.windows.isEmpty { prune(&state, streamTime: streamTime) }
            keys[entry.key] = state.windows.isEmpty && state.records.isEmpty ? nil : state
            results.append(WindowResult(key: entry.key, bounds: bounds(window.start), state: window.state))
        }
    }

    /// Drops records no open or future window can hold: t <= streamTime - grace - size - 2.
    private func prune(_ entry: inout KeyState, streamTime: Int64) {
        let horizon = streamTime.minusSaturating(grace).minusSaturating(size).minusSaturating(2)
        let keep = entry.records.firstIndex { $0.time > horizon } ?? entry.records.count
        if keep > 0 { entry.records.removeFirst(keep) }
    }

    /// Every open window, for snapshots (the record buffer is saved separately).
    var entries: [WindowResult] {
        keys.flatMap { key, state in state.windows.map { WindowResult(key: key, bounds: bounds($0.start), state: $0.state) } }
    }

    /// Every buffered record state, for snapshots.
    var bufferedRecords: [(key: Value, time: Int64, state: AggregateState)] {
        keys.flatMap { key, state in state.records.map { (key, $0.time, $0.state) } }
    }

    func restore(_ entry: WindowResult) {
        var state = keys[entry.key] ?? KeyState()
        state.windows.removeAll { $0.start == entry.bounds.start }
        state.windows.insert((entry.bounds.start, entry.state), at: state.windows.firstIndex { $0.start > entry.bounds.start } ?? state.windows.count)
        keys[entry.key] = state
        queue.push(CloseQueue.Entry(end: entry.bounds.end, key: entry.key, start: entry.bounds.start))
    }

    func restoreRecord(key: Value, time: Int64, state: AggregateState) {
        var entry = keys[key] ?? KeyState()
        entry.records.insert((time, state), at: entry.records.firstIndex { $0.time > time } ?? entry.records.count)
        keys[key] = entry
    }

    var openWindowCount: Int { keys.values.reduce(0) { $0 + $1.windows.count } }

    /// Bytes of state held, from the structures' sizes and capacities (estimated for the
    /// dictionary: key and value per slot of its capacity).
    var stateBytes: Int {
        let table = keys.capacity * (MemoryLayout<Value>.stride + MemoryLayout<KeyState>.stride)
        return keys.values.reduce(table + queue.byteCount) { total, state in
            var bytes = total + 64 + state.records.capacity * MemoryLayout<(Int64, AggregateState)>.stride
                + state.windows.capacity * MemoryLayout<(Int64, AggregateState)>.stride
            for record in state.records { bytes += record.state.byteCount }
            for window in state.windows { bytes += window.state.byteCount }
            return bytes
        }
    }
}
