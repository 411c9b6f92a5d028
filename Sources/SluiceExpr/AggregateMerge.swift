/// Merging states that may overflow: the same rule as folding one record in (`check`).
extension AggregateProgram {
    /// `merge`, but a sum or average that would go past the largest number (infinity, which
    /// JSON output cannot hold) is an error, as when one record makes it so; nothing changes.
    public func mergeChecked(_ earlier: AggregateState, _ later: AggregateState) throws(EvaluationError) -> AggregateState {
        let merged = merge(earlier, later)
        guard merged.slots.count == slots.count else { return merged }
        for (slot, accumulator) in zip(slots, merged.slots) {
            switch accumulator {
            case .sumDouble(let sum), .average(let sum, _):
                if !sum.isFinite {
                    throw EvaluationError("\(slot.kind.functionName)() went past the largest number", offset: slot.argumentOffset)
                }
            default: continue
            }
        }
        return merged
    }
}
