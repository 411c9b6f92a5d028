import SluiceSupport

/// Named aggregate expressions (`count: count()`, `average: sum(value) / count()`), compiled into
/// one program whose per-key state is small, mergeable (session windows) and serialisable
/// (changelog topics).
public struct AggregateProgram: Sendable {
    public let names: [String]

    /// Every expression must contain at least one aggregate call; aggregate calls do not nest.
    public init(_ expressions: [(name: String, expression: Expression)]) throws(ExpressionError) {
        names = expressions.map(\.name)
        throw ExpressionError("aggregates are not implemented yet", offset: 0)
    }

    public func makeState() -> AggregateState { AggregateState() }

    /// Folds one record into `state`.
    public func update(_ state: inout AggregateState, with context: EvaluationContext) throws(EvaluationError) {}

    /// Combines two states, as when a record bridges two session windows; `later` covers later records.
    public func merge(_ earlier: AggregateState, _ later: AggregateState) -> AggregateState { earlier }

    /// The current result, one field per name, in declaration order.
    public func result(_ state: AggregateState) throws(EvaluationError) -> JSONObject { JSONObject() }
}

/// The accumulators of one key (and window).
public struct AggregateState: Sendable, Hashable {
    public init() {}

    /// A JSON form for changelog topics; `init(encoded:)` reads it back.
    public func encoded() -> Value { .null }
    public init?(encoded: Value) { return nil }
}
