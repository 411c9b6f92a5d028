import SluiceSupport

/// A JSON Schema (draft-07) of pipeline files, derived from the field declarations, for editors'
/// YAML language servers (`# yaml-language-server: $schema=...`).
public enum PipelineSchema {
    public static let draft = "http://json-schema.org/draft-07/schema#"
    /// The pattern of a duration such as `250ms`, `60s`, `1.5s`, `1h30m` or `0`; the validator
    /// also rejects fractions that are not whole milliseconds.
    public static let durationPattern: String = {
        let part = #"[0-9]+(\.[0-9]+)?"#
        let units = ["d", "h", "m", "s", "ms"].map { "(\(part)\($0))?" }.joined()
        return "^(0|(?=[0-9])" + units + ")$"
    }()

    /// The whole schema document.
    public static func document() -> Value {
        var root = section(PipelineSpec.fields)
        var object = root.objectValue ?? JSONObject()
        var definitions = JSONObject()
        var stepNames: [Value] = []
        for step in StepRegistry.all {
            definitions["step-\(step.name)"] = stepSchema(step)
            stepNames.append(.object(["$ref": .string("#/definitions/step-\(step.name)")]))
        }
        definitions["step"] = .object(["oneOf": .array(stepNames)])
        var header: JSONObject = [
            "$schema": .string(draft),
            "title": .string("Sluice pipeline"),
            "description": .string("A Sluice stream-processing pipeline file (see docs/spec.md and `sluice steps`)."),
        ]
        for field in object.fields { header[field.key] = field.value }
        // `source` or `sources`, not both.
        header["oneOf"] = .array([.object(["required": .array([.string("source")])]), .object(["required": .array([.string("sources")])])])
        header["definitions"] = .object(definitions)
        object = header
        root = .object(object)
        return root
    }

    /// The schema text, indented.
    public static func text() -> String {
        PrettyJSON.text(document()) + "\n"
    }

    /// `{"<name>": <fields or shorthand>}`, the only key allowed.
    static func stepSchema(_ step: any StepType.Type) -> Value {
        var body = section(step.fields)
        if let shorthand = step.shorthandField, let field = step.fields.first(where: { $0.name == shorthand }) {
            body = .object(["anyOf": .array([schema(for: field.type), body])])
        }
        var described = body.objectValue ?? JSONObject()
        described["description"] = .string(step.summary)
        return .object([
            "type": .string("object"),
            "description": .string(step.summary),
            "properties": .object([step.name: .object(described)]),
            "required": .array([.string(step.name)]),
            "additionalProperties": .bool(false),
        ])
    }

    /// An object with exactly the declared fields.
    static func section(_ fields: [FieldSpec]) -> Value {
        var properties = JSONObject()
        for field in fields { properties[field.name] = property(field) }
        var object: JSONObject = ["type": .string("object"), "properties": .object(properties)]
        let required = fields.filter(\.required).map { Value.string($0.name) }
        if !required.isEmpty { object["required"] = .array(required) }
        object["additionalProperties"] = .bool(false)
        return .object(object)
    }

    static func property(_ field: FieldSpec) -> Value {
        var object = schema(for: field.type).objectValue ?? JSONObject()
        object["description"] = .string(field.description)
        if let text = field.defaultValue {
            if case .integer = field.type, let number = Int64(text) {
                object["default"] = .int(number)
            } else {
                object["default"] = .string(text)
            }
        }
        return .object(object)
    }

    /// The schema of one field type.
    static func schema(for type: FieldType) -> Value {
        let scalar: Value = .array([.string("string"), .string("number"), .string("boolean")])
        switch type {
        case .string, .expression:
            return .object(["type": scalar])
        case .path:
            return .object(["type": .string("string")])
        case .integer(let min, let max):
            var object: JSONObject = ["type": .string("integer")]
            if let min { object["minimum"] = .int(min) }
            if let max { object["maximum"] = .int(max) }
            return .object(object)
        case .boolean:
            return .object(["type": .string("boolean")])
        case .duration:
            return .object(["type": .string("string"), "pattern": .string(durationPattern)])
        case .topic:
            return .object([
                "type": .string("string"), "pattern": .string("^[a-zA-Z0-9._-]+$"), "minLength": .int(1), "maxLength": .int(249),
                "not": .object(["enum": .array([.string("."), .string("..")])]),
            ])
        case .identifier:
            return .object(["type": .string("string"), "pattern": .string("^[a-z0-9._-]+$")])
        case .expressionMap, .aggregateMap:
            return .object(["type": .string("object"), "minProperties": .int(1), "additionalProperties": .object(["type": scalar])])
        case .fieldList:
            let item: Value = .object(["type": .string("string"), "minLength": .int(1)])
            return .object(["anyOf": .array([item, .object(["type": .string("array"), "items": item, "minItems": .int(1)])])])
        case .oneOf(let options):
            return .object(["type": .string("string"), "enum": .array(options.map(Value.string))])
        case .topicList:
            let topic = schema(for: .topic)
            return .object(["anyOf": .array([topic, .object(["type": .string("array"), "items": topic, "minItems": .int(1)])])])
        case .section(let fields):
            return section(fields)
        case .list(let item):
            return .object(["type": .string("array"), "items": schema(for: item)])
        case .map(let value):
            return .object(["type": .string("object"), "additionalProperties": schema(for: value)])
        case .either(let types):
            return .object(["anyOf": .array(types.map(schema(for:)))])
        case .anyValue:
            return .object([:])
        case .steps:
            return .object(["type": .string("array"), "items": .object(["$ref": .string("#/definitions/step")])])
        }
    }
}
