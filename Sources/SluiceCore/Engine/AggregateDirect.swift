import SluiceExpr
import SluiceSupport

extension Engine {
    /// A record of an existing aggregate key with integer arguments, when the aggregate is the
    /// last step and its results go straight to the sinks: folded in, and every N-th result
    /// written from the key's row as JSON bytes, with no state copy or result object built.
    /// False, with nothing changed, when this case does not apply (the general path runs).
    func aggregateStraightToSinks(
        _ runtime: AggregateRuntime, key: Value, decoder: PartialDecoder, slots: [Int], _ working: Working, step: Int
    ) -> Bool {
        guard step + 1 == runtimes.count, runtime.table.writesPlainResults, let row = runtime.keys.find(key),
            decoder.withIntegers(at: slots, { runtime.table.foldIntegers(row: row, $0) }) == true
        else { return false }
        runtime.counts[row] &+= 1
        guard runtime.counts[row] % runtime.plan.every == 0 else { return true }
        guard !sinksComputeKeys,
            let value = runtime.jsonLayout.write(open: runtime.jsonLayout.open(key: key), row: row, of: runtime.table, into: outputs)
        else {
            // The general result path, from a copy of the state.
            aggregated(runtime.table.state(row: row), key: key, runtime, working, step: step)
            return true
        }
        emitToSinks(value, keyBytes: KeyCoding.bytes(key), timestamp: working.context.timestamp)
        return true
    }
}

extension Engine {
    /// Whether the input's value (as last decoded) has a top-level field `name`; its bytes are
    /// read through the borrowed record, which is not copied.
    func currentValueHasField(_ name: String, decoder: PartialDecoder) -> Bool {
        guard let record = currentRecord, let bytes = record.pointee.value else { return false }
        return decoder.hasField(name, in: bytes)
    }

    /// Whether a sink computes its key from the value (so a result must be built as a value).
    var sinksComputeKeys: Bool {
        for sink in plan.sinks where sink.key != nil { return true }
        return false
    }
}
