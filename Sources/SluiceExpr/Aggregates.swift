import SluiceSupport

/// Named aggregate expressions (`count: count()`, `average: sum(value) / count()`), compiled into
/// one program whose per-key state is small, mergeable (session windows) and serialisable
/// (changelog topics).
public struct AggregateProgram: Sendable {
    public let names: [String]
    /// The top-level record fields the aggregates read, or nil when one may read the whole
    /// value (see `Expression.rootFieldNames`).
    public let rootFieldNames: [String]?
    let slots: [Slot]
    /// The distinct argument expressions: `sum(value)` and `max(value)` read `value` once.
    let arguments: [Compiled]
    /// For each of `arguments`, the top-level field it reads when it is just that field
    /// (`sum(value)`), else nil: callers that decoded the field can pass its value directly.
    public let argumentFieldNames: [String?]
    private let results: [Compiled]
    /// Per name, its slot when every expression is a bare aggregate call (`sum(value)`), the
    /// usual case: results are then the finished accumulators, with no expression to run.
    let plainResults: [Int]?

    /// One accumulator: what it computes and which argument it folds (nil for `count()`).
    struct Slot: Sendable {
        let kind: AggregateKind
        let argument: Int?
        let argumentOffset: Int
    }

    /// Every expression must contain at least one aggregate call; aggregate calls do not nest.
    /// Outside aggregate calls an expression may only combine them with constants and operators.
    /// Identical aggregate calls (`sum(value)` in two expressions) share one accumulator.
    public init(_ expressions: [(name: String, expression: Expression)]) throws(ExpressionError) {
        names = expressions.map(\.name)
        var fieldNames: [String]? = []
        for (_, expression) in expressions {
            guard let read = expression.rootFieldNames else {
                fieldNames = nil
                break
            }
            for name in read where fieldNames?.contains(name) == false { fieldNames?.append(name) }
        }
        rootFieldNames = fieldNames
        var slots: [Slot] = []
        var arguments: [Compiled] = []
        var argumentFields: [String?] = []
        var slotIndex: [String: Int] = [:]
        var argumentIndex: [String: Int] = [:]
        let plain = Compiler(aggregateSlots: nil)
        for (name, expression) in expressions {
            for call in try Self.check(expression, name: name) {
                guard case .call(let function, let callArguments) = call.kind,
                      let kind = AggregateKind(name: function, argumentCount: callArguments.count)
                else { continue }
                let key = call.canonical
                if slotIndex[key] != nil { continue }
                slotIndex[key] = slots.count
                var index: Int?
                if let argument = callArguments.first {
                    if let existing = argumentIndex[argument.canonical] {
                        index = existing
                    } else {
                        index = arguments.count
                        argumentIndex[argument.canonical] = arguments.count
                        arguments.append(Compiled(run: try plain.compile(argument)))
                        argumentFields.append(argument.singleFieldName)
                    }
                }
                let offset = callArguments.first?.offset ?? call.offset
                slots.append(Slot(kind: kind, argument: index, argumentOffset: offset))
            }
        }
        let finishing = Compiler(aggregateSlots: slotIndex)
        results = try expressions.map { (entry) throws(ExpressionError) -> Compiled in
            Compiled(run: try finishing.compile(entry.expression.root))
        }
        var bare: [Int]? = []
        for (_, expression) in expressions {
            guard case .call(let function, _) = expression.root.kind, Functions.aggregateNames.contains(function),
                let slot = slotIndex[expression.root.canonical]
            else {
                bare = nil
                break
            }
            bare?.append(slot)
        }
        plainResults = bare
        self.slots = slots
        self.arguments = arguments
        argumentFieldNames = argumentFields
    }

    /// Checks one named aggregate expression on its own, as `init` does, so that a validator can
    /// report the error at that expression; the error offset is inside `expression.source`.
    public static func validate(_ expression: Expression, name: String) throws(ExpressionError) {
        _ = try check(expression, name: name)
    }

    private static func check(_ expression: Expression, name: String) throws(ExpressionError) -> [Node] {
        guard expression.containsAggregate else {
            throw ExpressionError("'\(name)' has no aggregate function; use it in map instead", offset: 0)
        }
        return try aggregateCalls(in: expression.root)
    }

    /// The aggregate calls in `node`, checking that nothing outside them reads the record.
    private static func aggregateCalls(in node: Node) throws(ExpressionError) -> [Node] {
        var calls: [Node] = []
        func visit(_ node: Node) throws(ExpressionError) {
            switch node.kind {
            case .call(let name, let arguments):
                if Functions.aggregateNames.contains(name) {
                    calls.append(node)
                    return
                }
                if ScalarFunctions.metadata.contains(where: { $0.0 == name }) || name == "has" {
                    throw ExpressionError("\(name)() can only be used inside an aggregate function here, such as last(\(name)(...))", offset: node.offset)
                }
                for argument in arguments { try visit(argument) }
            case .path(let path):
                let text = path.text
                throw ExpressionError("'\(text)' must be inside an aggregate function, such as last(\(text))", offset: node.offset)
            case .literal: return
            case .access(let base, _): try visit(base)
            case .array(let items): for item in items { try visit(item) }
            case .unary(_, let operand), .not(let operand): try visit(operand)
            case .binary(_, let a, let b, _), .logical(_, let a, let b, _), .coalesce(let a, let b), .inList(let a, let b, _, _):
                try visit(a)
                try visit(b)
            }
        }
        try visit(node)
        return calls
    }

    public func makeState() -> AggregateState {
        AggregateState(slots: ContiguousArray(slots.map(\.kind.initial)))
    }

    /// Folds one record into `state`; on an error the state is left as it was.
    public func update(_ state: inout AggregateState, with context: EvaluationContext) throws(EvaluationError) {
        if state.slots.count != slots.count { state = makeState() }
        // In place; see `update(row:with:)` (AggregateTable.swift).
        try state.slots.withUnsafeMutableBufferPointer { (buffer) throws(EvaluationError) in
            guard let row = buffer.baseAddress else { return }
            try update(row: row, with: context)
        }
    }

    /// Combines two states, as when a record bridges two session windows; `later` covers later records.
    public func merge(_ earlier: AggregateState, _ later: AggregateState) -> AggregateState {
        if earlier.slots.count != slots.count { return later.slots.count == slots.count ? later : makeState() }
        if later.slots.count != slots.count { return earlier }
        var merged = earlier
        for i in slots.indices { merged.slots[i] = slots[i].kind.merge(earlier.slots[i], later.slots[i]) }
        return merged
    }

    /// The current result, one field per name, in declaration order.
    public func result(_ state: AggregateState) throws(EvaluationError) -> JSONObject {
        let current = state.slots.count == slots.count ? state : makeState()
        if let plainResults {
            var object = JSONObject()
            object.fields.reserveCapacity(names.count)
            for (name, slot) in zip(names, plainResults) {
                object.fields.append((key: name, value: AggregateKind.finished(current.slots[slot])))
            }
            return object
        }
        let finished = current.slots.map(AggregateKind.finished)
        let context = EvaluationContext(value: .null)
        var object = JSONObject()
        object.fields.reserveCapacity(names.count)
        for (name, result) in zip(names, results) {
            object.fields.append((key: name, value: try result.run(context, finished)))
        }
        return object
    }
}
