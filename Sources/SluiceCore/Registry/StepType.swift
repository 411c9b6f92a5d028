import SluiceExpr
import SluiceSupport

/// A kind of pipeline step (filter, map, window, ...): its fields declared once, from which
/// decoding, validation, `sluice steps` docs and the JSON Schema are all derived.
public protocol StepType: Sendable {
    /// The key that introduces the step in YAML, e.g. `window` in `- window: {...}`.
    static var name: String { get }
    /// One line for `sluice steps`.
    static var summary: String { get }
    /// A paragraph or more for `sluice steps NAME`.
    static var description: String { get }
    static var fields: [FieldSpec] { get }
    /// When set, `- name: <scalar or list>` is short for `- name: {shorthandField: <it>}`.
    static var shorthandField: String? { get }
    /// A complete, valid YAML snippet of one step item (`- name: ...`), shown in docs and tested.
    static var example: String { get }
    /// Checks that involve several fields (e.g. `advance <= size`), after each field decoded.
    static func check(_ config: StepConfig, into diagnostics: inout Diagnostics)
}

extension StepType {
    public static var shorthandField: String? { nil }
    public static func check(_ config: StepConfig, into diagnostics: inout Diagnostics) {}
}

/// One declared field of a step or of a spec section.
public struct FieldSpec: Sendable {
    public var name: String
    public var type: FieldType
    public var required: Bool
    /// The default as users would write it in YAML, shown in docs and the schema.
    public var defaultValue: String?
    public var description: String
    public var example: String?

    public init(
        _ name: String, _ type: FieldType, required: Bool = false, default defaultValue: String? = nil,
        _ description: String, example: String? = nil
    ) {
        self.name = name
        self.type = type
        self.required = required
        self.defaultValue = defaultValue
        self.description = description
        self.example = example
    }
}

/// The kinds of values a field can hold.
public indirect enum FieldType: Sendable {
    case string
    case integer(min: Int64?, max: Int64?)
    case boolean
    /// `250ms`, `60s`, `5m`, `1h`, `1d`; decoded to milliseconds.
    case duration
    /// A legal Kafka topic name.
    case topic
    /// A scalar expression (no aggregate functions).
    case expression
    /// A mapping of output field name to scalar expression.
    case expressionMap
    /// A mapping of output field name to aggregate expression (`count()`, `sum(value) / count()`).
    case aggregateMap
    /// A list of field paths.
    case fieldList
    /// One of a fixed set of words.
    case oneOf([String])
    /// A lowercase name: letters, digits, `.`, `_` and `-` (pipeline names).
    case identifier
    /// One or more legal Kafka topic names.
    case topicList
    /// A file path, relative to the pipeline file.
    case path
    /// A nested section with its own declared fields.
    case section([FieldSpec])
    /// A list whose items all have the given type.
    case list(FieldType)
    /// A mapping from free-form names (topics, property names) to values of the given type.
    case map(FieldType)
    /// Any of several shapes, e.g. the scalar `kafka` or a section.
    case either([FieldType])
    /// Any YAML value, read as JSON (record values in tests).
    case anyValue
    /// The ordered list of pipeline steps, each `- <step>: <fields>`.
    case steps
}

/// A step's decoded field values, by field name, each with where it was written.
public struct StepConfig: Sendable {
    public var stepName: String
    /// Where the step item starts (its `- name:` key).
    public var location: SourceLocation
    public var values: [String: ConfigValue]
    /// Fields that were written but failed to decode (already reported), so that `check` does
    /// not also call them missing.
    public var invalidFields: Set<String> = []

    public init(stepName: String, location: SourceLocation, values: [String: ConfigValue]) {
        self.stepName = stepName
        self.location = location
        self.values = values
    }

    /// True when the field was written in the file (or has a default), even if its value was invalid.
    public func isPresent(_ name: String) -> Bool {
        values[name] != nil || invalidFields.contains(name)
    }

    public func string(_ name: String) -> String? {
        if case .string(let s)? = values[name]?.content { s } else { nil }
    }
    public func integer(_ name: String) -> Int64? {
        if case .integer(let i)? = values[name]?.content { i } else { nil }
    }
    public func boolean(_ name: String) -> Bool? {
        if case .boolean(let b)? = values[name]?.content { b } else { nil }
    }
    /// Milliseconds.
    public func duration(_ name: String) -> Int64? {
        if case .duration(let ms)? = values[name]?.content { ms } else { nil }
    }
    public func expression(_ name: String) -> Expression? {
        if case .expression(let e)? = values[name]?.content { e } else { nil }
    }
    public func expressionMap(_ name: String) -> [NamedExpression]? {
        if case .expressionMap(let m)? = values[name]?.content { m } else { nil }
    }
    public func aggregates(_ name: String) -> (program: AggregateProgram, fields: [NamedExpression])? {
        if case .aggregateMap(let p, let m)? = values[name]?.content { (p, m) } else { nil }
    }
    public func fieldList(_ name: String) -> [[String]]? {
        if case .fieldList(let l)? = values[name]?.content { l } else { nil }
    }
    public func location(of name: String) -> SourceLocation {
        values[name]?.location ?? location
    }
}

public struct ConfigValue: Sendable {
    public enum Content: Sendable {
        case string(String)
        case integer(Int64)
        case boolean(Bool)
        case duration(Int64)
        case expression(Expression)
        case expressionMap([NamedExpression])
        case aggregateMap(AggregateProgram, [NamedExpression])
        case fieldList([[String]])
    }

    public var content: Content
    public var location: SourceLocation

    public init(_ content: Content, at location: SourceLocation) {
        self.content = content
        self.location = location
    }
}

/// An output field name with its expression and where the expression text starts.
public struct NamedExpression: Sendable {
    public var name: String
    public var expression: Expression
    public var location: SourceLocation

    public init(name: String, expression: Expression, location: SourceLocation) {
        self.name = name
        self.expression = expression
        self.location = location
    }
}
