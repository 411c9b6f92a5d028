import SluiceExpr
import SluiceSupport

extension EnginePlan {
    /// Compiles a validated spec. Problems validation should have caught (a missing required
    /// field, an unusable schema) come back as diagnostics rather than traps.
    public init(spec: PipelineSpec) throws(PlanError) {
        var diagnostics = Diagnostics()
        var schema: SchemaCheck?
        if let schemaValue = spec.source.schema {
            do {
                schema = try SchemaCheck(schema: schemaValue)
            } catch {
                diagnostics.error("bad-schema", "schema \(spec.source.schemaPath ?? ""): \(error.message)", at: spec.source.location)
            }
        }
        let source = SourcePlan(
            topics: spec.source.topics, format: spec.source.format, eventTime: spec.source.eventTime,
            idleTimeoutMs: spec.source.idleTimeoutMs, schema: schema, location: spec.source.location)
        var steps: [StepPlan] = []
        for step in spec.steps {
            if let plan = StepPlan(config: step.config, spec: spec, into: &diagnostics) { steps.append(plan) }
        }
        let sinks = spec.sinks.map { SinkPlan(topic: $0.topic, key: $0.key, location: $0.location) }
        if diagnostics.hasErrors { throw PlanError(diagnostics: diagnostics.all) }
        self.init(file: spec.file, source: source, steps: steps, sinks: sinks, deadLetterTopic: spec.deadLetter)
        group = spec.source.group
        repartition = RepartitionPlacement.point(spec: spec, steps: steps)
    }
}

/// Why a spec could not be compiled for the engine.
public struct PlanError: Error, Sendable {
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
}

extension StepPlan {
    /// Compiles one step from its decoded fields (the registry contract); nil after a diagnostic.
    public init?(config: StepConfig, into diagnostics: inout Diagnostics) {
        func missing(_ field: String) {
            diagnostics.error("missing-key", "\(config.stepName) needs '\(field)'", at: config.location)
        }
        switch config.stepName {
        case "filter":
            guard let condition = config.expression("where") else {
                missing("where")
                return nil
            }
            self = .filter(FilterPlan(condition: condition, location: config.location(of: "where")))
        case "map":
            guard let set = config.expressionMap("set") else {
                missing("set")
                return nil
            }
            self = .map(set, location: config.location)
        case "select":
            guard let fields = config.fieldList("fields") else {
                missing("fields")
                return nil
            }
            self = .select(fields, location: config.location)
        case "drop":
            guard let fields = config.fieldList("fields") else {
                missing("fields")
                return nil
            }
            self = .drop(fields, location: config.location)
        case "to":
            guard let topic = config.string("topic") else {
                missing("topic")
                return nil
            }
            self = .to(ToPlan(topic: topic, key: config.expression("key"), location: config.location))
        case "aggregate":
            guard let key = config.expression("key") else {
                missing("key")
                return nil
            }
            guard let aggregates = config.aggregates("aggregates") else {
                missing("aggregates")
                return nil
            }
            let keyPlan = KeyPlan(expression: key, location: config.location(of: "key"))
            self = .aggregate(AggregatePlan(
                key: keyPlan, every: config.integer("every") ?? 1, program: aggregates.program,
                aggregateSources: aggregates.fields.map(\.expression.source), location: config.location))
        case "window":
            guard let aggregates = config.aggregates("aggregates") else {
                missing("aggregates")
                return nil
            }
            guard let kind = Self.windowKind(config, into: &diagnostics) else { return nil }
            let key: KeyPlan
            if let expression = config.expression("key") {
                key = KeyPlan(expression: expression, location: config.location(of: "key"))
            } else {
                do {
                    key = KeyPlan(expression: try Expression.parse("key()"), fieldName: "key", location: config.location)
                } catch {
                    diagnostics.error("internal", "cannot compile the default window key: \(error.message)", at: config.location)
                    return nil
                }
            }
            self = .window(WindowPlan(
                kind: kind, graceMs: config.duration("grace") ?? 0, key: key, program: aggregates.program,
                emit: config.string("emit") == "update" ? .update : .final, lateTopic: config.string("late_topic"),
                aggregateSources: aggregates.fields.map(\.expression.source), location: config.location))
        default:
            diagnostics.error("unknown-step", "the engine has no runtime for step '\(config.stepName)'", at: config.location)
            return nil
        }
    }

    private static func windowKind(_ config: StepConfig, into diagnostics: inout Diagnostics) -> WindowKind? {
        func positive(_ field: String) -> Int64? {
            guard let value = config.duration(field), value > 0 else {
                diagnostics.error("bad-window", "\(field) must be a duration greater than 0", at: config.location(of: field))
                return nil
            }
            return value
        }
        switch config.string("type") {
        case "tumbling": return positive("size").map { .tumbling(size: $0) }
        case "sliding": return positive("size").map { .sliding(size: $0) }
        case "session": return positive("gap").map { .session(gap: $0) }
        case "hopping":
            guard let size = positive("size"), let advance = positive("advance") else { return nil }
            guard advance <= size else {
                diagnostics.error("bad-window", "advance must not exceed size", at: config.location(of: "advance"))
                return nil
            }
            return .hopping(size: size, advance: advance)
        default:
            diagnostics.error("bad-window", "unknown window type", at: config.location(of: "type"))
            return nil
        }
    }
}
