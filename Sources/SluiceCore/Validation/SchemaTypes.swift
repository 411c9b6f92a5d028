import SluiceExpr
import SluiceSupport

/// Reads a source's JSON Schema as a `JSONType`, each part remembering its JSON pointer
/// (`#/properties/category`) so that diagnostics can name it.
///
/// Understood: `type` (a name or a list; `integer` is whole numbers, `number` any number),
/// `nullable`, `properties`, `required`, `enum`, `const`, `items` and `additionalProperties`.
/// Other keywords (`anyOf`, `$ref`, ...) are ignored, as the run-time check ignores them.
enum SchemaTypes {
    /// Deeper schemas are read as "anything" below this level.
    static let maxDepth = 64

    static func type(of schema: Value) -> JSONType {
        type(of: schema, pointer: "#", depth: 0)
    }

    private static func type(of schema: Value, pointer: String, depth: Int) -> JSONType {
        let origin = "schema: \(pointer)"
        guard depth < maxDepth, case .object(let object) = schema else {
            if case .bool(false) = schema { return JSONType(kinds: [], origin: origin) }
            return JSONType.any.from(origin)
        }
        var allowed: [Value]?
        if case .array(let values)? = object["enum"] {
            allowed = values
        } else if let constant = object["const"] {
            allowed = [constant]
        }
        var kinds = JSONKinds.all
        switch object["type"] {
        case .string(let name)?:
            kinds = Self.kinds(named: [name])
        case .array(let names)?:
            kinds = Self.kinds(named: names.compactMap(\.stringValue))
        default:
            if let allowed { kinds = allowed.reduce([]) { $0.union(JSONKinds(of: $1)) } }
        }
        if case .bool(true)? = object["nullable"] { kinds.insert(.null) }

        var result = JSONType(kinds: kinds, allowedValues: allowed, origin: origin)
        let required = Set(object["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        if case .object(let properties)? = object["properties"] {
            result.properties = properties.fields.map { field in
                JSONProperty(
                    name: field.key,
                    type: type(of: field.value, pointer: pointer + "/properties/" + escape(field.key), depth: depth + 1),
                    required: required.contains(field.key))
            }
        }
        switch object["additionalProperties"] {
        case nil:
            // Listed properties are taken as the complete set, so a misspelled name is caught;
            // a schema that lists none says nothing about the fields.
            result.openFields = object["properties"] == nil
        case .bool(let open)?:
            result.openFields = open
        case let other?:
            result.otherFields = type(of: other, pointer: pointer + "/additionalProperties", depth: depth + 1)
        }
        if let items = object["items"], case .object = items {
            result.items = type(of: items, pointer: pointer + "/items", depth: depth + 1)
        }
        return result
    }

    private static func kinds(named names: [String]) -> JSONKinds {
        var kinds: JSONKinds = []
        for name in names {
            switch name {
            case "null": kinds.insert(.null)
            case "boolean": kinds.insert(.boolean)
            case "integer": kinds.insert(.integer)
            case "number": kinds.formUnion(.numeric)
            case "string": kinds.insert(.string)
            case "array": kinds.insert(.array)
            case "object": kinds.insert(.object)
            default: return .all  // an unknown type name is reported by the run-time check's compiler
            }
        }
        return kinds
    }

    /// A property name as a JSON pointer token: `~` -> `~0`, `/` -> `~1`.
    static func escape(_ name: String) -> String {
        name.replacingAll("~", "~0").replacingAll("/", "~1")
    }

    /// Whether the fields along `path` are all required, from the top.
    static func isRequired(_ path: [String], in type: JSONType) -> Bool {
        var current = type
        for name in path {
            guard let property = current.properties.first(where: { $0.name == name }), property.required else { return false }
            current = property.type
        }
        return true
    }
}

extension Value {
    var arrayValue: [Value]? { if case .array(let items) = self { items } else { nil } }
}
