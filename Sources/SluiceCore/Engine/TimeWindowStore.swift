import SluiceExpr
import SluiceSupport

/// Tumbling and hopping windows: fixed `size`, a new window every `advance` (= size for
/// tumbling), aligned to the epoch. A record at t belongs to every window [s, s + size) with
/// s a multiple of `advance` and s <= t < s + size. State: per open window, its keys (rows of a
/// `KeyIndex`) and their accumulators (rows of an `AggregateTable`), side by side in flat
/// arrays; windows all have one size, so start order is end order.
final class TimeWindowStore {
    final class Window {
        let start: Int64
        let keys = KeyIndex()
        let table: AggregateTable

        init(start: Int64, program: AggregateProgram) {
            self.start = start
            table = AggregateTable(program: program)
        }
    }

    let size: Int64
    let advance: Int64
    let grace: Int64
    let program: AggregateProgram
    /// Open windows, by start ascending. Not accessed during its own mutation: unchecked.
    @exclusivity(unchecked) private(set) var windows: [Window] = [] {
        didSet { noteNewest() }
    }
    /// The newest window's start, index and table, for `foldNewest`: used without reference
    /// counting, as `windows` holds them.
    @exclusivity(unchecked) private var newestStart: Int64 = 0
    @exclusivity(unchecked) private var newestKeys: Unmanaged<KeyIndex>?
    @exclusivity(unchecked) private var newestTable: Unmanaged<AggregateTable>?
    /// Rows of the newest window by raw key (`RawKeyRows`), emptied when it changes.
    let rawRows = RawKeyRows()
    /// The stream time at which the oldest open window closes (Int64.max: none open).
    @exclusivity(unchecked) private(set) var nextClose = Int64.max
    /// When the newest window closes (end + grace), for `foldNewest`.
    @exclusivity(unchecked) private var newestCloses = Int64.min
    /// The fixed JSON text of results (see `resultJSON`), made on first use.
    var resultLayout: WindowResultLayout?

    init(size: Int64, advance: Int64, grace: Int64, program: AggregateProgram) {
        self.size = size
        self.advance = advance
        self.grace = grace
        self.program = program
    }

    private func isClosed(start: Int64, streamTime: Int64) -> Bool {
        start.plusSaturating(size).plusSaturating(grace) <= streamTime
    }

    /// Adds a record; false when it is late (every window it belongs to has closed).
    /// `changed` receives the updated windows (for `emit: update`), `opened` the new ones.
    /// `update` folds the record into a row of a window's table (leaving it unchanged when it
    /// throws); `single` gives the record's state on its own (hopping windows).
    func add(
        key: Value, eventTime t: Int64, streamTime: Int64,
        update: (AggregateTable, Int) throws(EvaluationError) -> Void,
        single: () throws(EvaluationError) -> AggregateState,
        changed: inout [WindowResult], opened: inout [WindowBounds], collectChanges: Bool
    ) throws(EvaluationError) -> Bool {
        let last = t.floored(to: advance)
        if advance == size {
            // Tumbling: one window, updated in place.
            if isClosed(start: last, streamTime: streamTime) { return false }
            let window = self.window(start: last)
            let row: Int
            if let found = window.keys.find(key) {
                row = found
                try update(window.table, row)
            } else {
                row = window.table.appendRow()
                do {
                    try update(window.table, row)
                } catch {
                    window.table.removeLastRow()  // a new key whose first record failed
                    throw error
                }
                window.keys.insert(key)
                opened.append(bounds(last))
            }
            if collectChanges { changed.append(WindowResult(key: key, bounds: bounds(last), state: window.table.state(row: row))) }
            return true
        }
        // Hopping: the record's own state is computed once (failing before any window changes),
        // then merged into each window containing t, earliest first.
        let single = try single()
        var start = t.minusSaturating(size).floored(to: advance).plusSaturating(advance)
        var added = false
        while true {
            if !isClosed(start: start, streamTime: streamTime) {
                let window = self.window(start: start)
                let row: Int
                if let found = window.keys.find(key) {
                    row = found
                    window.table.merge(row: row, with: single)
                } else {
                    row = window.table.appendRow()
                    window.table.setState(row: row, single)
                    window.keys.insert(key)
                    opened.append(bounds(start))
                }
                if collectChanges { changed.append(WindowResult(key: key, bounds: bounds(start), state: window.table.state(row: row))) }
                added = true
            }
            if start >= last { break }
            start = start.plusSaturating(advance)
        }
        return added
    }

    /// Folds integer `arguments` into the row of `key` in the newest window (tumbling), when the
    /// record at `eventTime` belongs there, is not late and the key has a row; false, having
    /// changed nothing, otherwise (`add` then does the general work).
    @inline(__always)
    func foldNewest(key: Value, eventTime: Int64, streamTime: Int64, arguments: UnsafePointer<Int64>) -> Bool {
        let start = eventTime.floored(to: size)
        guard advance == size, start.plusSaturating(size).plusSaturating(grace) > streamTime,
            start == newestStart, let newestKeys, let newestTable,
            let row = newestKeys._withUnsafeGuaranteedRef({ $0.find(key) })
        else { return false }
        return newestTable._withUnsafeGuaranteedRef { $0.foldIntegers(row: row, arguments) }
    }

    /// `foldNewest` for a key given by its raw bits (`RawKeyRows`): found without building
    /// the key's `Value` when it was seen lately; `key` gives the value otherwise.
    @inline(__always)
    func foldNewest(
        raw: (UInt64, UInt64, UInt64), eventTime: Int64, streamTime: Int64, arguments: UnsafePointer<Int64>, key: () -> Value?
    ) -> Bool {
        guard advance == size else { return false }
        // In the newest window (without dividing: its start is a multiple of the size), not late.
        guard eventTime >= newestStart, UInt64(bitPattern: eventTime &- newestStart) < UInt64(size),
            newestCloses > streamTime, let newestKeys, let newestTable
        else {
            guard let key = key() else { return false }
            return foldAdding(key: key, eventTime: eventTime, streamTime: streamTime, arguments: arguments)
        }
        var row = rawRows.row(raw)
        if row < 0 {
            guard let key = key() else { return false }
            guard let found = newestKeys._withUnsafeGuaranteedRef({ $0.find(key) }) else {
                return foldAdding(key: key, eventTime: eventTime, streamTime: streamTime, arguments: arguments)
            }
            rawRows.remember(raw, row: found)
            row = found
        }
        return newestTable._withUnsafeGuaranteedRef { $0.foldIntegers(row: row, arguments) }
    }

    /// `add` (tumbling) for a record of integer `arguments` outside the newest window's known
    /// keys: a new key, or an older or newer window. False, with nothing changed, when it is
    /// late or its row cannot take it in integer form (`add` then does the general work).
    private func foldAdding(key: Value, eventTime: Int64, streamTime: Int64, arguments: UnsafePointer<Int64>) -> Bool {
        let start = eventTime.floored(to: size)
        if isClosed(start: start, streamTime: streamTime) { return false }
        let window = self.window(start: start)
        if let row = window.keys.find(key) { return window.table.foldIntegers(row: row, arguments) }
        let row = window.table.appendRow()
        // A new row folds any integers (nothing to overflow yet); undone should it not.
        guard window.table.foldIntegers(row: row, arguments) else {
            window.table.removeLastRow()
            return false
        }
        window.keys.insert(key)
        return true
    }

    private func noteNewest() {
        let newest = windows.last
        newestStart = newest?.start ?? 0
        newestKeys = newest.map { Unmanaged.passUnretained($0.keys) }
        newestTable = newest.map { Unmanaged.passUnretained($0.table) }
        rawRows.clear()
        // Int64.min (never folded into directly) unless aligned, as windows made here are (a
        // restored one might not be).
        newestCloses = newest.flatMap { window in
            window.start.floored(to: size) == window.start ? window.start.plusSaturating(size).plusSaturating(grace) : nil
        } ?? Int64.min
        nextClose = windows.first.map { $0.start.plusSaturating(size).plusSaturating(grace) } ?? Int64.max
    }

    /// Removes the windows that close at `streamTime`, in end order, then key order.
    func close(streamTime: Int64, into results: inout [WindowResult]) {
        var removed = 0
        while removed < windows.count, isClosed(start: windows[removed].start, streamTime: streamTime) {
            let window = windows[removed]
            for row in window.keys.rowsInKeyOrder {
                results.append(WindowResult(key: window.keys.keys[row], bounds: bounds(window.start), state: window.table.state(row: row)))
            }
            removed += 1
        }
        if removed > 0 { windows.removeFirst(removed) }
    }

    func bounds(_ start: Int64) -> WindowBounds {
        WindowBounds(start: start, end: start.plusSaturating(size))
    }

    /// The window starting at `start`, added if needed (usually at the end).
    private func window(start: Int64) -> Window {
        var index = windows.count
        while index > 0, windows[index - 1].start >= start {
            if windows[index - 1].start == start { return windows[index - 1] }
            index -= 1
        }
        let window = Window(start: start, program: program)
        windows.insert(window, at: index)
        return window
    }

    /// Every (window, key, state), for snapshots.
    var entries: [WindowResult] {
        windows.flatMap { window in
            window.keys.keys.indices.map { row in
                WindowResult(key: window.keys.keys[row], bounds: bounds(window.start), state: window.table.state(row: row))
            }
        }
    }

    func restore(_ entry: WindowResult) {
        let window = self.window(start: entry.bounds.start)
        if let row = window.keys.find(entry.key) {
            window.table.setState(row: row, entry.state)
        } else {
            window.table.setState(row: window.table.appendRow(), entry.state)
            window.keys.insert(entry.key)
        }
    }

    var openWindowCount: Int { windows.reduce(0) { $0 + $1.keys.count } }

    /// Bytes of state held, counted from the structures' sizes and capacities.
    var stateBytes: Int {
        windows.reduce(MemoryLayout<Window>.stride * windows.capacity) { total, window in
            total + 96 + window.keys.byteCount + window.keys.keyHeapBytes + window.table.byteCount
        }
    }
}
