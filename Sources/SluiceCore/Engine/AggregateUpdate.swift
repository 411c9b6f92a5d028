import SluiceExpr

extension AggregateProgram {
    /// Folds a record into `state` in place. `update` leaves the state as it was when an
    /// aggregate input fails, so an error record never leaves half its contribution behind.
    @inline(__always)
    func apply(_ state: inout AggregateState, _ context: EvaluationContext) throws(EvaluationError) {
        try update(&state, with: context)
    }

    /// The state of one record on its own.
    func single(_ context: EvaluationContext) throws(EvaluationError) -> AggregateState {
        var state = makeState()
        try update(&state, with: context)
        return state
    }
}
