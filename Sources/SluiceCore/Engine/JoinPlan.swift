import SluiceExpr
import SluiceSupport

/// A compiled `lookup` (stream-table) or `join` (stream-stream) step.
public struct JoinPlan: Sendable {
    public enum Mode: Sendable, Hashable {
        /// Stream-table: the other source is a table keyed by record key.
        case lookup
        /// Stream-stream: records match when their event times are at most `within` apart.
        case windowed(withinMs: Int64, graceMs: Int64)
    }

    public enum JoinType: String, Sendable, CaseIterable {
        case inner, left, outer
    }

    public var mode: Mode
    public var type: JoinType
    /// The stream's source name: the result field of the stream side (windowed).
    public var streamName: String
    /// The other side's source name.
    public var otherName: String
    /// How the other side's records are read (the stream's own for a self-join).
    public var other: SourcePlan
    /// The result field of the other side (windowed): `as`, default the other source's name.
    public var alias: String
    /// The other side is the stream itself (windowed only).
    public var selfJoin: Bool
    /// The join key of the stream's records.
    public var key: KeyPlan
    /// The join key of the other side's records (windowed); nil: their record key.
    public var otherKey: Expression?
    public var otherKeyLocation: SourceLocation
    /// Lookup: result field name to expression on the table row's value.
    public var fields: [NamedExpression]
    public var lateTopic: String?
    public var location: SourceLocation
    /// `repartition: true`: the step declares its sides repartitioned by the join keys.
    public var repartition = false
    /// Lookup: how far back before stream time old versions of table rows are kept.
    public var historyMs: Int64 = 3_600_000

    public init(
        mode: Mode, type: JoinType, streamName: String, otherName: String, other: SourcePlan, alias: String? = nil,
        selfJoin: Bool = false, key: KeyPlan, otherKey: Expression? = nil, otherKeyLocation: SourceLocation? = nil,
        fields: [NamedExpression] = [], lateTopic: String? = nil, location: SourceLocation
    ) {
        self.mode = mode
        self.type = type
        self.streamName = streamName
        self.otherName = otherName
        self.other = other
        self.alias = alias ?? otherName
        self.selfJoin = selfJoin
        self.key = key
        self.otherKey = otherKey
        self.otherKeyLocation = otherKeyLocation ?? location
        self.fields = fields
        self.lateTopic = lateTopic
        self.location = location
    }

    /// The source text of every expression, for static questions (`uses key()`).
    var expressionSources: [String] {
        [key.expression.source] + (otherKey.map { [$0.source] } ?? []) + fields.map(\.expression.source)
    }
}

extension StepPlan {
    /// Compiles one step; `lookup` and `join` also need the spec's sources.
    init?(config: StepConfig, spec: PipelineSpec, into diagnostics: inout Diagnostics) {
        guard config.stepName == LookupStep.name || config.stepName == JoinStep.name else {
            self.init(config: config, into: &diagnostics)
            return
        }
        guard var plan = JoinPlan(config: config, spec: spec, into: &diagnostics) else { return nil }
        plan.repartition = config.boolean("repartition") ?? false
        if let history = config.duration("history") { plan.historyMs = max(0, history) }
        self = .join(plan)
    }
}

extension JoinPlan {
    /// Compiles a validated `lookup` or `join` step; nil after a diagnostic.
    init?(config: StepConfig, spec: PipelineSpec, into diagnostics: inout Diagnostics) {
        let isLookup = config.stepName == LookupStep.name
        let otherName = config.string(isLookup ? "table" : "with") ?? ""
        let sources = [spec.source] + spec.otherSources
        guard let otherSpec = sources.first(where: { $0.name == otherName }) else {
            diagnostics.error("unknown-source", "unknown source '\(otherName)'", at: config.location)
            return nil
        }
        guard let other = SourcePlan(spec: otherSpec, into: &diagnostics) else { return nil }
        let key: KeyPlan
        if let expression = config.expression("key") {
            key = KeyPlan(expression: expression, fieldName: "key", location: config.location(of: "key"))
        } else {
            do {
                key = KeyPlan(expression: try Expression.parse("key()"), fieldName: "key", location: config.location)
            } catch {
                diagnostics.error("internal", "cannot compile the default join key: \(error.message)", at: config.location)
                return nil
            }
        }
        let type = JoinType(rawValue: config.string("type") ?? "inner") ?? .inner
        if isLookup {
            guard let fields = config.expressionMap("fields") else {
                diagnostics.error("missing-key", "lookup needs 'fields'", at: config.location)
                return nil
            }
            self.init(
                mode: .lookup, type: type, streamName: spec.source.name, otherName: otherName, other: other, key: key,
                fields: fields, location: config.location)
        } else {
            guard let within = config.duration("within"), within > 0 else {
                diagnostics.error("bad-join", "within must be a duration greater than 0", at: config.location(of: "within"))
                return nil
            }
            let selfJoin = otherName == spec.source.name
            self.init(
                mode: .windowed(withinMs: within, graceMs: max(0, config.duration("grace") ?? 0)), type: type,
                streamName: spec.source.name, otherName: otherName, other: other, alias: config.string("as"),
                selfJoin: selfJoin, key: key,
                otherKey: config.expression("with_key").flatMap { JoinChecks.isRecordKey($0) ? nil : $0 },
                otherKeyLocation: config.location(of: "with_key"), lateTopic: config.string("late_topic"),
                location: config.location)
        }
    }
}

extension SourcePlan {
    /// How a source's records are read, its schema compiled; nil after a diagnostic.
    init?(spec: SourceSpec, into diagnostics: inout Diagnostics) {
        var schema: SchemaCheck?
        if let schemaValue = spec.schema {
            do {
                schema = try SchemaCheck(schema: schemaValue)
            } catch {
                diagnostics.error("bad-schema", "schema \(spec.schemaPath ?? ""): \(error.message)", at: spec.location)
                return nil
            }
        }
        self.init(
            topics: spec.topics, format: spec.format, eventTime: spec.eventTime, idleTimeoutMs: spec.idleTimeoutMs,
            schema: schema, location: spec.location)
    }
}

extension EnginePlan {
    /// Whether a step can find records late (windows and stream-stream joins): summaries
    /// then report late records.
    public var hasLateRecords: Bool {
        steps.contains { step in
            switch step {
            case .window: true
            case .join(let join): join.mode != .lookup
            default: false
            }
        }
    }

    /// Every topic a run consumes: the stream's, then each join step's other source's.
    public var inputTopics: [String] {
        var topics = source.topics
        for case .join(let join) in steps where !join.selfJoin {
            for topic in join.other.topics where !topics.contains(topic) { topics.append(topic) }
        }
        return topics
    }

    /// The topics `lookup` steps read as tables (read to their end on assignment in `run`).
    public var tableTopics: [String] {
        steps.flatMap { step -> [String] in
            guard case .join(let join) = step, join.mode == .lookup else { return [] }
            return join.other.topics
        }
    }

    /// Why the topics a join needs co-partitioned cannot be, given each topic's partition
    /// count (nil: unknown); nil when they all agree.
    public func coPartitioningProblem(partitions: (String) -> Int?) -> String? {
        for case .join(let join) in steps where !join.selfJoin {
            let topics = source.topics + join.other.topics
            let counts = topics.compactMap { topic in partitions(topic).map { (topic, $0) } }
            guard let first = counts.first, let other = counts.first(where: { $0.1 != first.1 }) else { continue }
            let step = join.mode == .lookup ? "lookup" : "join"
            return "\(step) at \(join.location) needs co-partitioned topics, but \"\(first.0)\" has \(first.1) partitions and \"\(other.0)\" has \(other.1): give them the same partition count"
        }
        return nil
    }
}
