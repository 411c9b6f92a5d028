import SluiceExpr
import SluiceSupport

/// A `lookup` step's table, versioned by event time: per key, the row as it was at each
/// update, so that a record sees the row as of its own event time whatever order the two
/// topics are read in (a Kafka Streams versioned store). Versions older than `history` before
/// stream time are dropped as keys are touched, keeping the one still valid then.
///
/// Rows hold the step's `fields` already computed from the table record (not the whole value):
/// smaller, and a lookup is then one hash probe.
final class JoinTable {
    /// The row from `time` on; nil fields: deleted (a tombstone).
    struct Version {
        var time: Int64
        var fields: ContiguousArray<Value>?
    }

    /// A key's newest version and the older ones still kept, oldest first (usually none: no
    /// allocation beyond the fields).
    struct Row {
        var latest: Version
        var older: [Version] = []
    }

    private(set) var rows: [String: Row] = [:]
    let historyMs: Int64

    init(historyMs: Int64) {
        self.historyMs = historyMs
    }

    var rowCount: Int { rows.count }

    /// Records the row of `key` from event time `time` on (nil: deleted). An update with the
    /// time of an existing version replaces it, so re-reading the topic changes nothing.
    func update(key: String, time: Int64, fields: ContiguousArray<Value>?) {
        let version = Version(time: time, fields: fields)
        guard var row = rows[key] else {
            rows[key] = Row(latest: version)
            return
        }
        if time >= row.latest.time {
            if time > row.latest.time { row.older.append(row.latest) }
            row.latest = version
        } else if let index = row.older.firstIndex(where: { $0.time >= time }) {
            if row.older[index].time == time { row.older[index] = version } else { row.older.insert(version, at: index) }
        } else {
            row.older.append(version)
        }
        rows[key] = row
    }

    /// The fields of `key` as of event time `time` (nil: no row then); versions no record at or
    /// after `cutoff` can need are dropped on the way.
    @inline(__always)
    func row(_ key: String, at time: Int64, cutoff: Int64) -> ContiguousArray<Value>? {
        guard let row = rows[key] else { return nil }
        if row.older.isEmpty {
            if row.latest.fields == nil && row.latest.time < cutoff { rows[key] = nil }
            return row.latest.time <= time ? row.latest.fields : nil
        }
        return versioned(key, row, at: time, cutoff: cutoff)
    }

    private func versioned(_ key: String, _ row: Row, at time: Int64, cutoff: Int64) -> ContiguousArray<Value>? {
        var found: ContiguousArray<Value>?
        if row.latest.time <= time {
            found = row.latest.fields
        } else if let version = row.older.last(where: { $0.time <= time }) {
            found = version.fields
        }
        // A version is needed while the next one starts after the cutoff.
        var keep = row
        var drop = 0
        while drop < keep.older.count, (drop + 1 < keep.older.count ? keep.older[drop + 1].time : keep.latest.time) <= cutoff {
            drop += 1
        }
        if drop > 0 {
            keep.older.removeFirst(drop)
            rows[key] = keep
        }
        return found
    }

    // MARK: state

    /// Every kept version as a state entry of step `step`: `window` is (time, time), the state
    /// the fields (null: deleted).
    func entries(step: Int, include: (Value) -> Bool) -> [StateEntry] {
        var entries: [StateEntry] = []
        entries.reserveCapacity(rows.count)
        for (key, row) in rows where include(.string(key)) {
            for version in row.older + [row.latest] {
                let fields: Value = version.fields.map { .array(Array($0)) } ?? .null
                entries.append(StateEntry(
                    step: step, kind: .tableRow, key: .string(key), window: WindowBounds(start: version.time, end: version.time),
                    state: JoinState.wrap(fields)))
            }
        }
        return entries
    }

    /// Loads one entry saved by `entries`; false when it is not a table entry.
    func restore(_ entry: StateEntry) -> Bool {
        guard entry.kind == .tableRow, case .string(let key) = entry.key, let bounds = entry.window,
            let content = JoinState.unwrap(entry.state)
        else { return false }
        switch content {
        case .array(let fields): update(key: key, time: bounds.start, fields: ContiguousArray(fields))
        case .null: update(key: key, time: bounds.start, fields: nil)
        default: return false
        }
        return true
    }

    /// Bytes of table state, from the structures' sizes and capacities (allocator overhead and
    /// out-of-line string storage of keys longer than 15 bytes not included).
    var stateBytes: Int {
        let entry = MemoryLayout<String>.stride + MemoryLayout<Row>.stride
        var bytes = rows.capacity * entry
        for row in rows.values {
            bytes += 32 + (row.latest.fields?.capacity ?? 0) * MemoryLayout<Value>.stride
            if row.older.capacity > 0 { bytes += 32 + row.older.capacity * MemoryLayout<Version>.stride }
            for version in row.older { bytes += 32 + (version.fields?.capacity ?? 0) * MemoryLayout<Value>.stride }
        }
        for key in rows.keys where key.utf8.count > 15 { bytes += 32 + key.utf8.count }
        return bytes
    }
}

/// State entry values of join steps: the content wrapped as an aggregate state of one value
/// slot, so that snapshots and changelogs carry it like any other state.
enum JoinState {
    static func wrap(_ value: Value) -> AggregateState {
        AggregateState(encoded: .array([.array([.string("v"), value])])) ?? AggregateState()
    }

    static func unwrap(_ state: AggregateState) -> Value? {
        guard case .array(let slots) = state.encoded(), slots.count == 1, case .array(let parts) = slots[0], parts.count == 2
        else { return nil }
        return parts[1]
    }
}
