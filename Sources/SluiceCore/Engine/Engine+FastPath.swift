import SluiceExpr
import SluiceSupport

/// The common cases of stateful steps fed straight from decoded fields (`DirectInputs`), done
/// without the general path's bookkeeping: a record of an existing key in the open tumbling
/// window it belongs to, or of an existing aggregate key, with integer (or null) arguments.
/// Each returns false, having changed nothing, whenever its case does not apply, and the
/// general path then handles the record as before.
extension Engine {
    /// Adds a record to the row of `key` in its tumbling window.
    func fastTumblingAdd(
        _ runtime: WindowRuntime, _ store: TimeWindowStore, eventTime: Int64, key: Value, decoder: PartialDecoder,
        slots: [Int]
    ) -> Bool {
        guard store.advance == store.size, !runtime.hasOwnClock, !options.trace, runtime.plan.emit != .update else { return false }
        let streamTime = clock.streamTime ?? Int64.min
        let start = eventTime.floored(to: store.size)
        // Not late, in the newest window (where nearly every record goes), and a key it has.
        guard start.plusSaturating(store.size).plusSaturating(store.grace) > streamTime,
            let window = store.windows.last, window.start == start, let row = window.keys.find(key)
        else { return false }
        return decoder.withIntegers(at: slots) { window.table.foldIntegers(row: row, $0) } ?? false
    }

    /// Adds a record to the row of `key` in a running aggregate: the key's state when this
    /// record is an every-N-th one (`.some(nil)` when not), nil when the fast path does not apply.
    func fastAggregateAdd(_ runtime: AggregateRuntime, key: Value, decoder: PartialDecoder, slots: [Int]) -> AggregateState?? {
        guard let row = runtime.keys.find(key),
            decoder.withIntegers(at: slots, { runtime.table.foldIntegers(row: row, $0) }) == true
        else { return nil }
        runtime.counts[row] &+= 1
        return .some(runtime.counts[row] % runtime.plan.every == 0 ? runtime.table.state(row: row) : nil)
    }
}
