import SluiceExpr
import SluiceSupport
import SluiceYAML

/// The top-level fields records are known to have at one point of the pipeline.
struct KnownFields {
    /// Nil when unknown (any field may exist).
    var names: [String]?
    /// Where the names come from, for messages: `the source schema`, `the window step (line 12)`.
    var origin: String

    static let unknown = KnownFields(names: nil, origin: "")
}

/// Phase (e): every field an expression, a field list or a key reads must exist at that point.
struct ReferenceChecker {
    var diagnostics = Diagnostics()
    let origins: [ObjectIdentifier: (scalar: YAMLScalar, location: SourceLocation)]

    init(origins: [ObjectIdentifier: (scalar: YAMLScalar, location: SourceLocation)]) {
        self.origins = origins
    }

    /// The fields declared by a JSON Schema's top-level `properties`, when it has them.
    static func fields(of schema: Value?) -> KnownFields {
        guard case .object(let properties)? = schema?.objectValue?["properties"] else { return .unknown }
        return KnownFields(names: properties.keys, origin: "the source schema declares")
    }

    /// Walks the steps from the source to the sinks, tracking the field set.
    mutating func check(
        source: SourceSpec?, eventTimeLocation: SourceLocation?, steps: [StepInstance?], sinks: [SinkSpec]
    ) {
        var fields = Self.fields(of: source?.schema)
        if case .field(let path, _)? = source?.eventTime, let location = eventTimeLocation ?? source?.location {
            check(path: path, at: location, against: fields)
        }
        for step in steps {
            guard let step else {
                fields = .unknown
                continue
            }
            fields = apply(step, to: fields)
        }
        for sink in sinks {
            if let key = sink.key { check(key, against: fields) }
        }
    }

    /// Checks one step's references and returns the fields its output records have.
    mutating func apply(_ step: StepInstance, to fields: KnownFields) -> KnownFields {
        let config = step.config
        let place = "after the \(step.typeName) step (line \(step.location.line)) records have"
        switch step.typeName {
        case MapStep.name:
            var current = fields
            for entry in config.expressionMap("set") ?? [] {
                check(entry.expression, against: current)
                if current.names != nil, !(current.names?.contains(entry.name) ?? true) {
                    current.names?.append(entry.name)
                }
            }
            if current.names != nil { current.origin = place }
            return current
        case SelectStep.name:
            let paths = config.fieldList("fields") ?? []
            for path in paths { check(path: path, at: config.location(of: "fields"), against: fields) }
            var names: [String] = []
            for first in paths.compactMap(\.first) where !names.contains(first) { names.append(first) }
            return KnownFields(names: names, origin: place)
        case DropStep.name:
            let paths = config.fieldList("fields") ?? []
            for path in paths { check(path: path, at: config.location(of: "fields"), against: fields) }
            guard var names = fields.names else { return fields }
            for path in paths where path.count == 1 { names.removeAll { $0 == path[0] } }
            return KnownFields(names: names, origin: place)
        case AggregateStep.name, WindowStep.name:
            checkAllExpressions(config, against: fields)
            var names: [String] = []
            if let key = config.expression("key") { names.append(ResultFields.keyFieldName(for: key)) }
            if step.typeName == WindowStep.name { names += [ResultFields.windowStart, ResultFields.windowEnd] }
            names += config.aggregates("aggregates")?.fields.map(\.name) ?? []
            return KnownFields(names: names, origin: place)
        default:
            checkAllExpressions(config, against: fields)
            return fields
        }
    }

    private mutating func checkAllExpressions(_ config: StepConfig, against fields: KnownFields) {
        for name in config.values.keys.sorted() {
            switch config.values[name]?.content {
            case .expression(let expression)?:
                check(expression, against: fields)
            case .expressionMap(let entries)?, .aggregateMap(_, let entries)?:
                for entry in entries { check(entry.expression, against: fields) }
            default:
                break
            }
        }
    }

    mutating func check(_ expression: Expression, against fields: KnownFields) {
        guard fields.names != nil else { return }
        let origin = origins[ObjectIdentifier(expression)]
        for reference in expression.fieldReferences {
            let location: SourceLocation
            if let origin, !origin.scalar.lineStarts.isEmpty {
                location = origin.scalar.location(ofUTF8Offset: reference.offset)
            } else {
                location = origin?.location ?? SourceLocation(file: "", line: 0, column: 0)
            }
            check(path: reference.path, at: location, against: fields)
        }
    }

    mutating func check(path: [String], at location: SourceLocation, against fields: KnownFields) {
        guard let names = fields.names, let first = path.first, !names.contains(first) else { return }
        let hint = Suggestions.hint(for: first, in: names)
        let available = names.isEmpty ? "no fields" : names.joined(separator: ", ")
        diagnostics.error(
            "unknown-field", "unknown field '\(first)'\(hint): \(fields.origin) \(available)", at: location)
    }
}
