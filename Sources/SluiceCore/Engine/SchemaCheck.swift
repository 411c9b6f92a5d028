import SluiceSupport

/// A compiled subset of JSON Schema, checked against every source record value.
///
/// Supported keywords: `type` (a name or a list; `integer` accepts numbers without a fraction,
/// `number` accepts integers), `nullable: true`, `properties`, `required`, `enum`, `const`,
/// `items`, `additionalProperties` (false or a schema). Other keywords (`$schema`, `title`,
/// `description`, ...) are ignored.
public struct SchemaCheck: Sendable {
    private let root: Node
    /// The checks by top-level field, for scanned records; nil when the schema needs the whole value.
    let fieldRules: SchemaFieldRules?

    public init(schema: Value) throws(SchemaError) {
        root = try Node(schema, path: "")
        fieldRules = root.fieldRules
    }

    /// Nil when `value` conforms, else what is wrong (`field 'value' is string, expected integer`).
    public func violation(in value: Value) -> String? {
        root.check(value)?.message
    }

    /// Where a value breaks the schema; `problem` nil means a required field is missing.
    fileprivate struct Violation {
        var path: [String]
        var problem: String?

        var message: String {
            var text = ""
            for part in path {
                text += part.hasPrefix("[") || text.isEmpty ? part : "." + part
            }
            guard let problem else { return "missing required field '\(text)'" }
            if problem == "is not allowed" { return "unexpected field '\(text)'" }
            return text.isEmpty ? "the value \(problem)" : "field '\(text)' \(problem)"
        }
    }

    fileprivate final class Node: Sendable {
        let types: TypeSet?
        let properties: [(name: String, node: Node)]
        let required: [String]
        let allowed: [Value]?
        let items: Node?
        /// nil: any extra property is fine; `.some(nil)`: none allowed; `.some(node)`: each must match node.
        let additional: Node??

        init(_ schema: Value, path: String) throws(SchemaError) {
            if case .bool(let accept) = schema {
                types = accept ? nil : TypeSet(bits: 0)
                properties = []; required = []; allowed = nil; items = nil; additional = nil
                return
            }
            guard case .object(let object) = schema else {
                throw SchemaError("\(Self.place(path))is \(schema.typeName), expected a schema object")
            }
            var types: TypeSet?
            switch object["type"] {
            case nil: types = nil
            case .string(let name)?: types = try TypeSet(names: [name], path: path)
            case .array(let names)?:
                types = try TypeSet(names: names.map { v throws(SchemaError) -> String in
                    guard case .string(let s) = v else { throw SchemaError("\(Self.place(path))'type' must list type names") }
                    return s
                }, path: path)
            case let other?: throw SchemaError("\(Self.place(path))'type' is \(other.typeName), expected a string or a list")
            }
            if case .bool(true)? = object["nullable"] { types?.bits |= TypeSet.null }
            self.types = types

            var properties: [(name: String, node: Node)] = []
            if let value = object["properties"] {
                guard case .object(let props) = value else { throw SchemaError("\(Self.place(path))'properties' must be an object") }
                for (name, sub) in props { properties.append((name, try Node(sub, path: Self.join(path, name)))) }
            }
            self.properties = properties

            var required: [String] = []
            if let value = object["required"] {
                guard case .array(let names) = value else { throw SchemaError("\(Self.place(path))'required' must be a list of names") }
                for name in names {
                    guard case .string(let s) = name else { throw SchemaError("\(Self.place(path))'required' must be a list of names") }
                    required.append(s)
                }
            }
            self.required = required

            if case .array(let values)? = object["enum"] {
                allowed = values
            } else if let constant = object["const"] {
                allowed = [constant]
            } else {
                allowed = nil
            }
            items = try object["items"].map { v throws(SchemaError) in try Node(v, path: path + "[]") }
            switch object["additionalProperties"] {
            case nil, .bool(true)?: additional = nil
            case .bool(false)?: additional = .some(nil)
            case let sub?: additional = .some(try Node(sub, path: Self.join(path, "*")))
            }
        }

        /// The first violation, with its path filled in on the way back up: nothing is
        /// allocated for a conforming value.
        func check(_ value: Value) -> Violation? {
            if let types, !types.accepts(value) {
                return Violation(path: [], problem: "is \(value.typeName), expected \(types.description)")
            }
            if let allowed, !allowed.contains(where: { SchemaCheck.sameJSON($0, value) }) {
                return Violation(path: [], problem: "is \(value.jsonText), expected one of \(Value.array(allowed).jsonText)")
            }
            switch value {
            case .object(let object):
                for name in required where object[name] == nil {
                    return Violation(path: [name], problem: nil)
                }
                for field in object.fields {
                    let node: Node
                    if let declared = properties.first(where: { $0.name == field.key })?.node {
                        node = declared
                    } else if let additional {
                        guard let extra = additional else { return Violation(path: [field.key], problem: "is not allowed") }
                        node = extra
                    } else {
                        continue
                    }
                    if var violation = node.check(field.value) {
                        violation.path.insert(field.key, at: 0)
                        return violation
                    }
                }
            case .array(let elements):
                guard let items else { break }
                for (index, element) in elements.enumerated() {
                    if var violation = items.check(element) {
                        violation.path.insert("[\(index)]", at: 0)
                        return violation
                    }
                }
            default: break
            }
            return nil
        }

        /// This node as the root of `SchemaFieldRules`: possible without `enum`/`const` at the
        /// root and with ASCII field names (compared as bytes there, exactly as Swift strings are).
        var fieldRules: SchemaFieldRules? {
            guard allowed == nil else { return nil }
            guard (properties.map(\.name) + required).allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) else { return nil }
            var rules = SchemaFieldRules(
                acceptsObjects: types.map { $0.bits & TypeSet.object != 0 } ?? true, required: [], properties: [],
                additional: additional.map { $0.map(\.fieldCheck) })
            for name in required where !rules.required.contains(name) { rules.required.append(name) }
            // The first declaration of a name wins, as in `check`.
            for (name, node) in properties where !rules.properties.contains(where: { $0.name == name }) {
                rules.properties.append((name, node.fieldCheck))
            }
            return rules
        }

        /// How to check a field value against this node.
        var fieldCheck: SchemaFieldRules.Check {
            var typeOnly = properties.isEmpty && required.isEmpty && allowed == nil && items == nil
            if case .some = additional { typeOnly = false }
            let types: UInt8 = self.types?.bits ?? TypeSet.any
            if typeOnly { return SchemaFieldRules.Check(types: types, deep: nil) }
            return SchemaFieldRules.Check(types: types, deep: { [self] value in check(value) == nil })
        }

        private static func place(_ path: String) -> String { path.isEmpty ? "" : "at '\(path)': " }
        private static func join(_ path: String, _ name: String) -> String { path.isEmpty ? name : path + "." + name }
    }

    /// JSON equality where `1` and `1.0` are the same number (as JSON Schema's `enum` wants).
    static func sameJSON(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int, .double), (.double, .int): return a.numberValue == b.numberValue
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameJSON($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.fields.allSatisfy { field in y[field.key].map { sameJSON(field.value, $0) } ?? false }
        default: return a == b
        }
    }
}

/// A schema's checks by top-level field, for records scanned rather than parsed (see
/// `PartialDecoder`): a value conforms when it is an object whose fields these accept.
struct SchemaFieldRules: Sendable {
    /// One field's check: its type, then (when `deep` is set) its whole decoded value.
    struct Check: Sendable {
        /// Accepted types, as `TypeSet` bits.
        var types: UInt8
        var deep: (@Sendable (Value) -> Bool)?

        /// Whether a scanned value of `kind` (`bits` as in `JSONObjectScan.Field`) has an accepted type.
        func acceptsType(_ kind: JSONObjectScan.Kind, bits: Int64) -> Bool {
            TypeSet(bits: types).accepts(kind, bits: bits)
        }
    }

    var acceptsObjects: Bool
    /// Distinct required names.
    var required: [String]
    var properties: [(name: String, check: Check)]
    /// Fields not in `properties`: nil, anything goes; `.some(nil)`: not allowed; else checked.
    var additional: Check??
}

/// A set of JSON Schema type names, as bits.
private struct TypeSet: Sendable {
    static let null: UInt8 = 1, boolean: UInt8 = 2, integer: UInt8 = 4, number: UInt8 = 8
    static let string: UInt8 = 16, array: UInt8 = 32, object: UInt8 = 64
    static let any: UInt8 = 127
    static let names: [(String, UInt8)] = [
        ("null", null), ("boolean", boolean), ("integer", integer), ("number", number),
        ("string", string), ("array", array), ("object", object),
    ]

    var bits: UInt8

    init(bits: UInt8) { self.bits = bits }

    init(names: [String], path: String) throws(SchemaError) {
        bits = 0
        for name in names {
            guard let bit = Self.names.first(where: { $0.0 == name })?.1 else {
                throw SchemaError("\(path.isEmpty ? "" : "at '\(path)': ")unknown type '\(name)'")
            }
            bits |= bit
        }
    }

    /// `accepts` for a scanned field (`bits` as in `JSONObjectScan.Field`).
    func accepts(_ kind: JSONObjectScan.Kind, bits: Int64) -> Bool {
        switch kind {
        case .null: self.bits & Self.null != 0
        case .bool: self.bits & Self.boolean != 0
        case .int: self.bits & (Self.integer | Self.number) != 0
        case .double: accepts(.double(Double(bitPattern: UInt64(bitPattern: bits))))
        case .string: self.bits & Self.string != 0
        case .array: self.bits & Self.array != 0
        case .object: self.bits & Self.object != 0
        }
    }

    func accepts(_ value: Value) -> Bool {
        switch value {
        case .null: bits & Self.null != 0
        case .bool: bits & Self.boolean != 0
        case .int: bits & (Self.integer | Self.number) != 0
        case .double(let d): bits & Self.number != 0 || (bits & Self.integer != 0 && d.rounded() == d && d.isFinite)
        case .string: bits & Self.string != 0
        case .array: bits & Self.array != 0
        case .object: bits & Self.object != 0
        }
    }

    var description: String {
        let names = Self.names.filter { bits & $0.1 != 0 }.map(\.0)
        if names.isEmpty { return "nothing (the schema is false)" }
        return names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
    }
}

/// A schema file that uses keywords wrongly.
public struct SchemaError: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
