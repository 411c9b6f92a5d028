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
    /// Every record field the expression reads, in source order.
    public let fieldReferences: [FieldReference]
    /// True when the expression calls an aggregate function (count, sum, avg, ...).
    public let containsAggregate: Bool

    init(source: String, fieldReferences: [FieldReference], containsAggregate: Bool) {
        self.source = source
        self.fieldReferences = fieldReferences
        self.containsAggregate = containsAggregate
    }

    /// Parses and compiles `source`. Unknown functions and wrong argument counts are errors here.
    public static func parse(_ source: String) throws(ExpressionError) -> Expression {
        throw ExpressionError("expressions are not implemented yet", offset: 0)
    }

    /// Evaluates a non-aggregate expression against one record.
    public func evaluate(_ context: EvaluationContext) throws(EvaluationError) -> Value {
        throw EvaluationError("expressions are not implemented yet", offset: 0)
    }
}
