import SluiceExpr
import SluiceSupport

/// `source:`: the topics to read and how to read them.
public struct SourceSpec: Sendable {
    public var topics: [String]
    /// The consumer group; defaults to the pipeline name.
    public var group: String
    public var format: ValueFormat
    public var start: StartPosition
    public var eventTime: EventTime
    /// A partition silent this long does not hold stream time back.
    public var idleTimeoutMs: Int64
    /// The JSON Schema file, resolved against the pipeline file's directory.
    public var schemaPath: String?
    /// The loaded JSON Schema; records that violate it are error records.
    public var schema: Value?
    public var location: SourceLocation
    /// The source's name: its key under `sources:`, or `source` for a pipeline's single `source:`.
    public var name: String = "source"
    /// `keyed_by`: the producer keyed these records by this expression's value, so stateful steps
    /// keyed by the same expression need no repartition topic.
    public var keyedBy: Expression?

    public init(
        topics: [String], group: String, format: ValueFormat = .json, start: StartPosition = .earliest,
        eventTime: EventTime = .kafka, idleTimeoutMs: Int64 = 30_000, schemaPath: String? = nil,
        schema: Value? = nil, location: SourceLocation
    ) {
        self.topics = topics
        self.group = group
        self.format = format
        self.start = start
        self.eventTime = eventTime
        self.idleTimeoutMs = idleTimeoutMs
        self.schemaPath = schemaPath
        self.schema = schema
        self.location = location
    }

    public static let fields: [FieldSpec] = [
        FieldSpec("topics", .topicList, required: true, "The topics to consume, one or more.", example: "[input-topic]"),
        FieldSpec("group", .string, "The consumer group; default: the pipeline name.", example: "category-windows"),
        FieldSpec(
            "format", .oneOf(ValueFormat.allCases.map(\.rawValue)), default: "json",
            "How record values are read: `json`, or `string` (the payload as one string value).",
            example: "json"),
        FieldSpec(
            "start", .oneOf(StartPosition.allCases.map(\.rawValue)), default: "earliest",
            "Where a consumer group with no committed offset starts reading.", example: "earliest"),
        FieldSpec(
            "event_time", .either([.oneOf(["kafka"]), .section(EventTime.fields)]), default: "kafka",
            "Where a record's event time comes from: `kafka` (the record timestamp) or `{field, unit}`.",
            example: "{field: timestamp, unit: seconds}"),
        FieldSpec(
            "idle_timeout", .duration, default: "30s",
            "A partition silent this long no longer holds stream time back.", example: "30s"),
        FieldSpec(
            "schema", .path,
            "A JSON Schema file, relative to the pipeline file: `sluice validate` type-checks every field read and expression against it, and records that violate it are error records.",
            example: "../schemas/tutorial-record.schema.json"),
        FieldSpec(
            "keyed_by", .expression,
            "Declares that the producer keyed these records by this expression's value (their Kafka key is its value): `aggregate` and `window` steps keyed by the same expression then need no repartition topic.",
            example: "category"),
    ]
}

public enum ValueFormat: String, Sendable, CaseIterable {
    case json, string
}

public enum StartPosition: String, Sendable, CaseIterable {
    case earliest, latest
}

/// Where a record's event time comes from.
public enum EventTime: Sendable, Hashable {
    /// The Kafka record timestamp.
    case kafka
    /// A field of the record value, e.g. `timestamp` in seconds.
    case field(path: [String], unit: TimeUnit)

    public static let fields = [
        FieldSpec("field", .string, required: true, "The field path holding the time, e.g. `timestamp`.", example: "timestamp"),
        FieldSpec(
            "unit", .oneOf(TimeUnit.allCases.map(\.rawValue)), required: true,
            "`seconds` or `milliseconds` since the epoch, or `iso8601` text.", example: "seconds"),
    ]
}

public enum TimeUnit: String, Sendable, CaseIterable {
    case seconds, milliseconds, iso8601
}
