import Foundation
import SluiceSupport

/// Checks a value against the subset of JSON Schema draft-07 that `PipelineSchema` emits, so the
/// schema can be tested without a third-party validator.
struct SchemaChecker {
    let root: Value

    /// Paths and reasons of every violation; empty when `value` conforms.
    func problems(_ value: Value) -> [String] {
        var out: [String] = []
        check(value, against: root, path: "$", into: &out)
        return out
    }

    private func resolve(_ schema: Value) -> Value {
        guard let ref = schema.objectValue?["$ref"]?.stringValue, ref.hasPrefix("#/") else { return schema }
        var node = root
        for part in ref.dropFirst(2).split(separator: "/") {
            guard let next = node.objectValue?[String(part)] else { return .object(JSONObject()) }
            node = next
        }
        return node
    }

    private func check(_ value: Value, against schema: Value, path: String, into out: inout [String]) {
        if case .bool(let allowed) = schema {
            if !allowed { out.append("\(path): nothing is allowed here") }
            return
        }
        let schema = resolve(schema)
        guard let rules = schema.objectValue else { return }
        if let type = rules["type"], !matches(value, type: type) {
            out.append("\(path): expected type \(type.jsonText), found \(value.typeName)")
            return
        }
        if case .array(let options)? = rules["enum"], !options.contains(value) {
            out.append("\(path): \(value.jsonText) is not one of \(Value.array(options).jsonText)")
        }
        if case .string(let text) = value {
            if let pattern = rules["pattern"]?.stringValue, text.range(of: pattern, options: .regularExpression) == nil {
                out.append("\(path): '\(text)' does not match \(pattern)")
            }
            if case .int(let min)? = rules["minLength"], text.count < min { out.append("\(path): shorter than \(min)") }
            if case .int(let max)? = rules["maxLength"], text.count > max { out.append("\(path): longer than \(max)") }
        }
        if let number = value.numberValue {
            if let min = rules["minimum"]?.numberValue, number < min { out.append("\(path): below \(min)") }
            if let max = rules["maximum"]?.numberValue, number > max { out.append("\(path): above \(max)") }
        }
        if case .array(let items) = value {
            if case .int(let min)? = rules["minItems"], items.count < min { out.append("\(path): fewer than \(min) items") }
            if let itemSchema = rules["items"] {
                for (index, item) in items.enumerated() {
                    check(item, against: itemSchema, path: "\(path)[\(index)]", into: &out)
                }
            }
        }
        if case .object(let object) = value {
            checkObject(object, rules: rules, path: path, into: &out)
        }
        if case .array(let options)? = rules["anyOf"] {
            let passing = options.filter { option in
                var scratch: [String] = []
                check(value, against: option, path: path, into: &scratch)
                return scratch.isEmpty
            }
            if passing.isEmpty { out.append("\(path): matches none of anyOf") }
        }
        if case .array(let options)? = rules["oneOf"] {
            let passing = options.filter { option in
                var scratch: [String] = []
                check(value, against: option, path: path, into: &scratch)
                return scratch.isEmpty
            }
            if passing.count != 1 { out.append("\(path): matches \(passing.count) of oneOf, expected exactly 1") }
        }
        if let negated = rules["not"] {
            var scratch: [String] = []
            check(value, against: negated, path: path, into: &scratch)
            if scratch.isEmpty { out.append("\(path): matches a forbidden schema") }
        }
    }

    private func checkObject(_ object: JSONObject, rules: JSONObject, path: String, into out: inout [String]) {
        let properties = rules["properties"]?.objectValue ?? JSONObject()
        if case .array(let required)? = rules["required"] {
            for name in required.compactMap(\.stringValue) where object[name] == nil {
                out.append("\(path): missing required \(name)")
            }
        }
        if case .int(let min)? = rules["minProperties"], object.count < min {
            out.append("\(path): fewer than \(min) properties")
        }
        for field in object.fields {
            if let schema = properties[field.key] {
                check(field.value, against: schema, path: "\(path).\(field.key)", into: &out)
            } else if let additional = rules["additionalProperties"] {
                check(field.value, against: additional, path: "\(path).\(field.key)", into: &out)
            }
        }
    }

    private func matches(_ value: Value, type: Value) -> Bool {
        if case .array(let types) = type { return types.contains { matches(value, type: $0) } }
        switch (type.stringValue, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
            ("integer", .int), ("number", .int), ("number", .double):
            return true
        case ("integer", .double(let d)):
            return d.rounded() == d
        default:
            return false
        }
    }
}
