import SluiceExpr
import SluiceSupport

/// A pipeline compiled for the engine: everything a run needs, nothing about YAML.
///
/// Built from a `PipelineSpec` with `EnginePlan(spec:)`, or directly (tests).
public struct EnginePlan: Sendable {
    /// The pipeline file, for error locations.
    public var file: String
    public var source: SourcePlan
    public var steps: [StepPlan]
    public var sinks: [SinkPlan]
    /// Where error records go; nil: counted and skipped.
    public var deadLetterTopic: String?
    /// The stateful step whose records go through a repartition topic; nil: none (see
    /// `RepartitionPlacement`). Set by `init(spec:)`; plans built directly have none.
    public var repartition: RepartitionPoint?
    /// The consumer group the spec names (`source.group`, default the pipeline name): dry runs
    /// name their in-memory repartition topic after it, as `run` names the real one.
    public var group = ""

    public init(file: String, source: SourcePlan, steps: [StepPlan], sinks: [SinkPlan], deadLetterTopic: String? = nil) {
        self.file = file
        self.source = source
        self.steps = steps
        self.sinks = sinks
        self.deadLetterTopic = deadLetterTopic
    }
}

/// How source records are read.
public struct SourcePlan: Sendable {
    public var topics: [String]
    public var format: ValueFormat
    public var eventTime: EventTime
    /// A partition whose event time lags (dry-run) or that is silent (run) this long does not
    /// hold stream time back.
    public var idleTimeoutMs: Int64
    public var schema: SchemaCheck?
    /// Where `source:` is written: the location of decode and schema errors.
    public var location: SourceLocation
    /// Where `event_time:` is written: the location of event-time errors.
    public var eventTimeLocation: SourceLocation

    public init(
        topics: [String], format: ValueFormat = .json, eventTime: EventTime = .kafka, idleTimeoutMs: Int64 = 30_000,
        schema: SchemaCheck? = nil, location: SourceLocation, eventTimeLocation: SourceLocation? = nil
    ) {
        self.topics = topics
        self.format = format
        self.eventTime = eventTime
        self.idleTimeoutMs = idleTimeoutMs
        self.schema = schema
        self.location = location
        self.eventTimeLocation = eventTimeLocation ?? location
    }
}

/// One compiled step.
public enum StepPlan: Sendable {
    case filter(FilterPlan)
    case map([NamedExpression], location: SourceLocation)
    case select([[String]], location: SourceLocation)
    case drop([[String]], location: SourceLocation)
    case to(ToPlan)
    case aggregate(AggregatePlan)
    case window(WindowPlan)
    /// `lookup` or `join` (see JoinPlan).
    case join(JoinPlan)
}

public struct FilterPlan: Sendable {
    public var condition: Expression
    public var location: SourceLocation

    public init(condition: Expression, location: SourceLocation) {
        self.condition = condition
        self.location = location
    }
}

public struct ToPlan: Sendable {
    public var topic: String
    public var key: Expression?
    public var location: SourceLocation

    public init(topic: String, key: Expression? = nil, location: SourceLocation) {
        self.topic = topic
        self.key = key
        self.location = location
    }
}

/// A grouping key: its expression, the result field that carries it, and where it is written.
public struct KeyPlan: Sendable {
    public var expression: Expression
    /// `category` for `key: category`; see `ResultFields.keyFieldName(for:)`.
    public var fieldName: String
    public var location: SourceLocation

    public init(expression: Expression, fieldName: String? = nil, location: SourceLocation) {
        self.expression = expression
        self.fieldName = fieldName ?? ResultFields.keyFieldName(for: expression)
        self.location = location
    }
}

public struct AggregatePlan: Sendable {
    public var key: KeyPlan
    /// Emit after every N-th record of a key.
    public var every: Int64
    public var program: AggregateProgram
    /// The aggregate expressions' source texts (for static checks such as "uses key()").
    public var aggregateSources: [String]
    public var location: SourceLocation

    public init(
        key: KeyPlan, every: Int64 = 1, program: AggregateProgram, aggregateSources: [String] = [],
        location: SourceLocation
    ) {
        self.key = key
        self.every = max(1, every)
        self.program = program
        self.aggregateSources = aggregateSources
        self.location = location
    }
}

/// The shape of a window, durations in milliseconds.
public enum WindowKind: Sendable, Hashable {
    case tumbling(size: Int64)
    case hopping(size: Int64, advance: Int64)
    case sliding(size: Int64)
    case session(gap: Int64)

    public var name: String {
        switch self {
        case .tumbling: "tumbling"
        case .hopping: "hopping"
        case .sliding: "sliding"
        case .session: "session"
        }
    }
}

public enum EmitMode: String, Sendable {
    case final, update
}

public struct WindowPlan: Sendable {
    public var kind: WindowKind
    public var graceMs: Int64
    public var key: KeyPlan
    public var program: AggregateProgram
    public var emit: EmitMode
    public var lateTopic: String?
    /// The aggregate expressions' source texts (for static checks such as "uses key()").
    public var aggregateSources: [String]
    public var location: SourceLocation

    public init(
        kind: WindowKind, graceMs: Int64 = 0, key: KeyPlan, program: AggregateProgram, emit: EmitMode = .final,
        lateTopic: String? = nil, aggregateSources: [String] = [], location: SourceLocation
    ) {
        self.aggregateSources = aggregateSources
        self.kind = kind
        self.graceMs = max(0, graceMs)
        self.key = key
        self.program = program
        self.emit = emit
        self.lateTopic = lateTopic
        self.location = location
    }
}

/// A sink as the engine uses it: the decoded `sinks:` item as it is.
public typealias SinkPlan = SinkSpec
