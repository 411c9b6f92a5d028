import SluiceSupport
import SluiceYAML

extension NodeReader {
    /// Decodes `steps:`. A step that fails to decode is left out; its problems are reported.
    /// The result has one entry per item, nil for the items that failed.
    mutating func steps(_ node: YAMLNode) -> [StepInstance?] {
        guard let items = sequence(node) else { return [] }
        return items.map { step($0) }
    }

    /// Decodes one `- <step>: <fields>` item.
    mutating func step(_ item: YAMLNode) -> StepInstance? {
        guard let pairs = item.mapping else {
            diagnostics.error(
                "bad-step", "expected a step such as '- filter: value > 0', found \(Self.describe(item))",
                at: item.location)
            return nil
        }
        guard pairs.count == 1, let pair = pairs.first else {
            let keys = pairs.map { "'\($0.key.keyText)'" }.joined(separator: ", ")
            let message = pairs.isEmpty
                ? "a step needs a step name, e.g. '- filter: value > 0'"
                : "a step has exactly one key, the step name; found \(keys): indent the step's fields under it"
            diagnostics.error("bad-step", message, at: item.location)
            return nil
        }
        let name = pair.key.keyText
        guard let type = StepRegistry.step(named: name) else {
            diagnostics.error(
                "unknown-step", "unknown step '\(name)'\(Suggestions.hint(for: name, in: StepRegistry.names))",
                at: pair.key.location)
            return nil
        }
        guard let config = stepConfig(type, body: pair.value, location: pair.key.location) else { return nil }
        return StepInstance(typeName: name, type: type, config: config, location: pair.key.location)
    }

    /// Decodes a step's fields (or its shorthand), fills in defaults, then runs the step's own checks.
    mutating func stepConfig(_ type: any StepType.Type, body: YAMLNode, location: SourceLocation) -> StepConfig? {
        let errorsBefore = diagnostics.errorCount
        var pairs: [String: YAMLPair]
        if let shorthand = type.shorthandField, body.mapping == nil, !body.isNull {
            pairs = [shorthand: YAMLPair(key: body, value: body)]
        } else if body.isNull {
            // `- window:` with nothing under it: report each missing required field.
            let empty = YAMLNode(content: .mapping([]), location: body.location, endLocation: body.endLocation)
            pairs = fields(of: empty, declared: type.fields, context: type.name) ?? [:]
        } else {
            guard let found = fields(of: body, declared: type.fields, context: type.name) else { return nil }
            pairs = found
        }

        var values: [String: ConfigValue] = [:]
        var invalid: Set<String> = []
        for field in type.fields {
            if let pair = pairs[field.name] {
                if let content = configContent(pair.value, field: field, noun: "\(type.name) \(field.name)") {
                    values[field.name] = ConfigValue(content, at: pair.value.location)
                } else {
                    invalid.insert(field.name)
                }
            } else if let defaultText = field.defaultValue {
                // Defaults are decoded as if written, so the engine always finds a value.
                let node = YAMLNode(
                    content: .scalar(YAMLScalar(text: defaultText, style: .plain, lineStarts: [])),
                    location: location, endLocation: location)
                if let content = configContent(node, field: field, noun: "\(type.name) \(field.name)") {
                    values[field.name] = ConfigValue(content, at: location)
                }
            }
        }
        // Cross-field checks run even after field errors, so one run reports everything.
        var config = StepConfig(stepName: type.name, location: location, values: values)
        config.invalidFields = invalid
        type.check(config, into: &diagnostics)
        return diagnostics.errorCount == errorsBefore ? config : nil
    }

    /// One step field's value, decoded by its declared type.
    mutating func configContent(_ node: YAMLNode, field: FieldSpec, noun: String) -> ConfigValue.Content? {
        switch field.type {
        case .string, .path:
            return string(node).map { .string($0) }
        case .identifier:
            return identifier(node, noun: noun).map { .string($0) }
        case .integer(let min, let max):
            return integer(node, min: min, max: max, noun: field.name).map { .integer($0) }
        case .boolean:
            return boolean(node).map { .boolean($0) }
        case .duration:
            return duration(node).map { .duration($0) }
        case .topic:
            return topic(node).map { .string($0) }
        case .topicList:
            return topicList(node, noun: field.name).map { .fieldList($0.map { [$0] }) }
        case .expression:
            return expression(node).map { .expression($0) }
        case .expressionMap:
            return expressionMap(node).map { .expressionMap($0) }
        case .aggregateMap:
            return aggregateMap(node).map { .aggregateMap($0.0, $0.1) }
        case .fieldList:
            return fieldList(node).map { .fieldList($0) }
        case .oneOf(let options):
            return oneOf(node, options, noun: noun).map { .string($0) }
        case .section, .list, .map, .either, .anyValue, .steps:
            diagnostics.error("unsupported-field", "field '\(field.name)' has a type steps cannot use", at: node.location)
            return nil
        }
    }
}
