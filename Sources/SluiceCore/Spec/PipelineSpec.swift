import SluiceExpr
import SluiceSupport

/// A decoded and validated pipeline file.
public struct PipelineSpec: Sendable {
    /// The pipeline file's path, as given.
    public var file: String
    /// `pipeline:`; the default consumer group and the prefix of internal topics.
    public var name: String
    public var description: String?
    /// The stream the steps consume: `source:`, or the first of `sources:`.
    public var source: SourceSpec
    /// The other entries of `sources:`, in file order: tables and streams that join steps name.
    public var otherSources: [SourceSpec] = []
    public var steps: [StepInstance]
    public var sinks: [SinkSpec]
    /// `dead_letter.topic`: where error records go; nil means they are counted and skipped.
    public var deadLetter: String?
    public var guarantee: Guarantee
    /// librdkafka properties in file order, values with `${VAR}` left as written.
    public var kafka: [KafkaProperty]
    public var tests: [TestCase]

    public init(
        file: String, name: String, description: String? = nil, source: SourceSpec,
        steps: [StepInstance] = [], sinks: [SinkSpec] = [], deadLetter: String? = nil,
        guarantee: Guarantee = .atLeastOnce, kafka: [KafkaProperty] = [], tests: [TestCase] = []
    ) {
        self.file = file
        self.name = name
        self.description = description
        self.source = source
        self.steps = steps
        self.sinks = sinks
        self.deadLetter = deadLetter
        self.guarantee = guarantee
        self.kafka = kafka
        self.tests = tests
    }

    /// The top-level keys of a pipeline file.
    public static let fields: [FieldSpec] = [
        FieldSpec(
            "pipeline", .identifier, required: true,
            "The pipeline's name: lowercase letters, digits, `.`, `_` and `-`. The default consumer group and the prefix of internal topics.",
            example: "category-windows"),
        FieldSpec("description", .string, "What the pipeline does, for people.", example: "60 s tumbling windows per category"),
        FieldSpec(
            "source", .section(SourceSpec.fields),
            "Where records come from and how to read them. Required unless `sources` is given."),
        FieldSpec(
            "sources", .map(.section(SourceSpec.fields)),
            "Several named sources instead of `source`, for joins: the steps consume the first one; `lookup` and `join` steps name the others (see docs/joins.md).",
            example: "{orders: {topics: [orders]}, customers: {topics: [customers]}}"),
        FieldSpec(
            "steps", .steps,
            "The ordered transform steps, each `- <step>: <fields>`; see `sluice steps`. Default: none (records go straight to the sinks)."),
        FieldSpec(
            "sinks", .list(.section(SinkSpec.fields)), required: true,
            "One or more topics; every record that reaches the end of `steps` goes to each."),
        FieldSpec(
            "dead_letter", .section(DeadLetterFields.fields),
            "Where error records go (undecodable values, failed expressions, schema violations); default: they are counted and skipped."),
        FieldSpec(
            "guarantee", .oneOf(Guarantee.allCases.map(\.rawValue)), default: "at-least-once",
            "`at-least-once`: offsets are committed after outputs are acknowledged; `exactly-once`: Kafka transactions."),
        FieldSpec(
            "kafka", .map(.string),
            "librdkafka properties passed through as written, e.g. `session.timeout.ms: \"6000\"`; values may use `${VAR}` from the environment.",
            example: "{session.timeout.ms: \"6000\"}"),
        FieldSpec(
            "tests", .list(.section(TestCase.fields)),
            "Inline tests run by `sluice test`: input records and the records each topic must receive."),
    ]
}

/// The fields of `dead_letter:`.
public enum DeadLetterFields {
    public static let fields = [
        FieldSpec("topic", .topic, required: true, "The dead-letter topic.", example: "dead-letter-topic"),
    ]
}

public enum Guarantee: String, Sendable, CaseIterable {
    case atLeastOnce = "at-least-once"
    case exactlyOnce = "exactly-once"
}

/// One item of `steps:`: which step, its decoded fields, and where it was written.
public struct StepInstance: Sendable {
    /// The step's name as written, e.g. `window`.
    public var typeName: String
    public var type: any StepType.Type
    public var config: StepConfig
    /// Where the step's key (`- window:`) is.
    public var location: SourceLocation

    public init(typeName: String, type: any StepType.Type, config: StepConfig, location: SourceLocation) {
        self.typeName = typeName
        self.type = type
        self.config = config
        self.location = location
    }
}

/// One item of `sinks:`.
public struct SinkSpec: Sendable {
    public var topic: String
    /// The produced record's key; nil keeps the record's current key.
    public var key: Expression?
    public var location: SourceLocation

    public init(topic: String, key: Expression? = nil, location: SourceLocation) {
        self.topic = topic
        self.key = key
        self.location = location
    }

    public static let fields = [
        FieldSpec("topic", .topic, required: true, "The topic to produce to.", example: "aggregated-topic"),
        FieldSpec(
            "key", .expression, "The produced record's key, an expression; default: the record's current key.",
            example: "category"),
    ]
}

/// One librdkafka property from `kafka:`.
public struct KafkaProperty: Sendable, Hashable {
    public var name: String
    /// As written; `${VAR}` is replaced only by `PipelineSpec.interpolatedKafka(environment:)`.
    public var value: String
    public var location: SourceLocation

    public init(name: String, value: String, location: SourceLocation) {
        self.name = name
        self.value = value
        self.location = location
    }
}
