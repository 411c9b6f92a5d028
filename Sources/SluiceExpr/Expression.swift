import SluiceSupport

/// A syntax or compile error in an expression, at a UTF-8 byte offset into its source text.
public struct ExpressionError: Error, Sendable, Hashable {
    public var message: String
    public var offset: Int

    public init(_ message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }
}

/// A failure while evaluating an expression on a record (missing field, wrong type, division by
/// zero): the record becomes an error record, the pipeline goes on.
public struct EvaluationError: Error, Sendable, Hashable {
    public var message: String
    /// UTF-8 byte offset of the failing sub-expression in the expression's source.
    public var offset: Int

    public init(_ message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }
}

/// What an expression can see of the record being processed.
public struct EvaluationContext: Sendable {
    /// The record's decoded value; bare field names (`a.b`) look up inside it, `this` is all of it.
    public var value: Value
    /// The record's key, decoded as a string (or null): `key()`.
    public var key: Value
    /// The record's timestamp in epoch milliseconds: `timestamp()`.
    public var timestamp: Int64
    /// What `now()` returns, in epoch milliseconds (in dry-run, the record's timestamp).
    public var now: Int64
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var headers: [Header]

    public init(
        value: Value, key: Value = .null, timestamp: Int64 = 0, now: Int64 = 0,
        topic: String = "", partition: Int32 = 0, offset: Int64 = 0, headers: [Header] = []
    ) {
        self.value = value
        self.key = key
        self.timestamp = timestamp
        self.now = now
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.headers = headers
    }
}

/// A field path an expression reads, such as `a.b` or `a["x y"]`, with where it stands.
public struct FieldReference: Sendable, Hashable {
    public var path: [String]
    public var offset: Int
    public var length: Int

    public init(path: [String], offset: Int, length: Int) {
        self.path = path
        self.offset = offset
        self.length = length
    }
}

/// A parsed and compiled expression; parse once at validate time, evaluate per record.
public final class Expression: Sendable {
    public let source: String
    /// Every record field the expression reads, in source order (also inside aggregate calls).
    /// A path lists its object keys up to the first array index (`a.b[0].c` -> `["a", "b"]`);
    /// `offset` and `length` cover the whole path text.
    public let fieldReferences: [FieldReference]
    /// True when the expression calls an aggregate function (count, sum, avg, ...).
    public let containsAggregate: Bool
    let root: Node
    private let evaluator: Eval
    /// Where the first aggregate call stands, if any: `evaluate` refuses such expressions.
    private let aggregateOffset: Int?

    private init(source: String, root: Node, fieldReferences: [FieldReference], aggregateOffset: Int?) throws(ExpressionError) {
        self.source = source
        self.root = root
        self.fieldReferences = fieldReferences
        self.aggregateOffset = aggregateOffset
        containsAggregate = aggregateOffset != nil
        evaluator = try Compiler(aggregateSlots: nil).compile(root)
    }

    /// Parses and compiles `source`. Unknown functions and wrong argument counts are errors here.
    public static func parse(_ source: String) throws(ExpressionError) -> Expression {
        let (root, references) = try Parser.parse(source)
        var aggregateOffset: Int?
        try root.walk { (node) throws(ExpressionError) in
            guard case .call(let name, let arguments) = node.kind, Functions.aggregateNames.contains(name) else { return }
            if aggregateOffset == nil { aggregateOffset = node.offset }
            for argument in arguments {
                try argument.walk { (inner) throws(ExpressionError) in
                    if case .call(let innerName, _) = inner.kind, Functions.aggregateNames.contains(innerName) {
                        throw ExpressionError("aggregate function '\(innerName)' cannot be nested inside '\(name)'", offset: inner.offset)
                    }
                }
            }
        }
        return try Expression(source: source, root: root, fieldReferences: references, aggregateOffset: aggregateOffset)
    }

    /// The path when the whole expression is one plain field path (`category`, `a.b`), else nil;
    /// the engine names the key field of window and aggregate results after its last element.
    public var referencesOnlyPath: [String]? {
        guard case .path(let path) = root.kind, !path.components.isEmpty else { return nil }
        var keys: [String] = []
        for component in path.components {
            guard case .key(let key) = component else { return nil }
            keys.append(key)
        }
        return keys
    }

    /// Evaluates a non-aggregate expression against one record.
    public func evaluate(_ context: EvaluationContext) throws(EvaluationError) -> Value {
        if let aggregateOffset { throw Self.aggregateError(at: aggregateOffset, in: root) }
        return try evaluator(context, [])
    }

    private static func aggregateError(at offset: Int, in root: Node) -> EvaluationError {
        var name = "count"
        try? root.walk { node in
            if node.offset == offset, case .call(let n, _) = node.kind, Functions.aggregateNames.contains(n) { name = n }
        }
        return EvaluationError("aggregate function '\(name)' can only be used in `aggregates:`", offset: offset)
    }

    /// Evaluates a condition (a filter): the result must be a boolean.
    public func evaluateCondition(_ context: EvaluationContext) throws(EvaluationError) -> Bool {
        let value = try evaluate(context)
        guard case .bool(let b) = value else {
            throw EvaluationError("the condition must be true or false, got \(value.typeName)", offset: root.offset)
        }
        return b
    }
}
