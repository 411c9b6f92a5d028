import SluiceExpr
import SluiceSupport

/// Session windows. Each record at t stands for the interval [t, t + gap); a key's session is a
/// maximal union of overlapping intervals, so window_start is its first event time and
/// window_end its last event time + gap (exclusive). A record less than `gap` after a session's
/// last record (or less than `gap` before its first) extends it; a record that overlaps two
/// sessions merges them, states combined in time order with `AggregateProgram.merge`.
/// A session closes when `window_end + grace <= stream time`. A record is late when its own
/// interval has closed and it overlaps no open session.
final class SessionWindowStore {
    struct Session {
        var start: Int64
        /// The largest event time in the session.
        var last: Int64
        var state: AggregateState
    }

    let gap: Int64
    let grace: Int64
    /// Open sessions per key, by start ascending, never overlapping.
    private(set) var sessions: [Value: [Session]] = [:]
    private var queue = CloseQueue()

    init(gap: Int64, grace: Int64) {
        self.gap = gap
        self.grace = grace
    }

    private func end(_ session: Session) -> Int64 { session.last.plusSaturating(gap) }

    func bounds(_ session: Session) -> WindowBounds { WindowBounds(start: session.start, end: end(session)) }

    /// Adds a record; false when it is late. When a record bridges sessions, `merged` receives
    /// the sessions it joined followed by the resulting one.
    func add(
        key: Value, eventTime t: Int64, streamTime: Int64, context: EvaluationContext, program: AggregateProgram,
        changed: inout [WindowResult], opened: inout [WindowBounds], merged: inout [WindowBounds], collectChanges: Bool
    ) throws(EvaluationError) -> Bool {
        let recordEnd = t.plusSaturating(gap)
        var list = sessions.removeValue(forKey: key) ?? []
        defer { if !list.isEmpty { sessions[key] = list } }
        // The sessions overlapping [t, t + gap), a contiguous run since sessions do not overlap.
        var first = list.count, count = 0
        for (index, session) in list.enumerated() where t < end(session) && session.start < recordEnd {
            if count == 0 { first = index }
            count += 1
        }
        let updated: Session
        if count == 0 {
            if recordEnd.plusSaturating(grace) <= streamTime { return false }
            updated = Session(start: t, last: t, state: try program.single(context))
            let position = list.firstIndex { $0.start > t } ?? list.count
            list.insert(updated, at: position)
            opened.append(bounds(updated))
        } else {
            var combined = list[first]
            if count == 1 {
                try program.apply(&combined.state, context)
            } else {
                var state = list[first].state
                // A merge past the largest number is an error record, like a record causing it.
                for next in list[(first + 1)..<(first + count)] { state = try program.mergeChecked(state, next.state) }
                try program.apply(&state, context)
                combined.state = state
                combined.last = list[first + count - 1].last
                merged.append(contentsOf: list[first..<(first + count)].map(bounds))
            }
            combined.start = min(combined.start, t)
            combined.last = max(combined.last, t)
            updated = combined
            list.replaceSubrange(first..<(first + count), with: [updated])
            if count > 1 { merged.append(bounds(updated)) }
        }
        queue.push(CloseQueue.Entry(end: end(updated), key: key, start: updated.start))
        if collectChanges { changed.append(WindowResult(key: key, bounds: bounds(updated), state: updated.state)) }
        return true
    }

    /// Removes the sessions that close at `streamTime`, in end order, then key order.
    func close(streamTime: Int64, into results: inout [WindowResult]) {
        while let end = queue.minimumEnd, end.plusSaturating(grace) <= streamTime, let entry = queue.pop() {
            guard var list = sessions[entry.key],
                let index = list.firstIndex(where: { $0.start == entry.start && self.end($0) == entry.end })
            else { continue }  // stale: the session grew or merged since
            let session = list.remove(at: index)
            sessions[entry.key] = list.isEmpty ? nil : list
            results.append(WindowResult(key: entry.key, bounds: bounds(session), state: session.state))
        }
    }

    /// Every open session, for snapshots.
    var entries: [WindowResult] {
        sessions.flatMap { key, list in list.map { WindowResult(key: key, bounds: bounds($0), state: $0.state) } }
    }

    func restore(_ entry: WindowResult) {
        let session = Session(start: entry.bounds.start, last: entry.bounds.end.minusSaturating(gap), state: entry.state)
        var list = sessions[entry.key] ?? []
        list.removeAll { $0.start == session.start }
        list.insert(session, at: list.firstIndex { $0.start > session.start } ?? list.count)
        sessions[entry.key] = list
        queue.push(CloseQueue.Entry(end: end(session), key: entry.key, start: session.start))
    }

    var openWindowCount: Int { sessions.values.reduce(0) { $0 + $1.count } }

    /// Bytes of state held, from the structures' sizes and capacities (estimated for the
    /// dictionary: key and value per slot of its capacity).
    var stateBytes: Int {
        let table = sessions.capacity * (MemoryLayout<Value>.stride + MemoryLayout<[Session]>.stride)
        return sessions.values.reduce(table + queue.byteCount) { total, list in
            list.reduce(total + 32 + list.capacity * MemoryLayout<Session>.stride) { $0 + $1.state.byteCount }
        }
    }
}
