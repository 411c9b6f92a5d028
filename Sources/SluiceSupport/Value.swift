/// A JSON-like value: what record values, keys and expression results are made of.
///
/// Integers and floating-point numbers are kept apart so that `1` stays `1` in output, as
/// Python's json module does; objects keep their key order.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([Value])
    case object(JSONObject)

    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    public var isNull: Bool { if case .null = self { true } else { false } }

    /// The number as a Double, for ints and doubles.
    public var numberValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
}

/// An ordered JSON object. Lookups are linear: records have few fields, and order matters more.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public var fields: [(key: String, value: Value)]

    public init() { fields = [] }
    public init(_ fields: [(key: String, value: Value)]) { self.fields = fields }
    public init(dictionaryLiteral elements: (String, Value)...) {
        fields = elements.map { (key: $0.0, value: $0.1) }
    }

    public var count: Int { fields.count }
    public var keys: [String] { fields.map(\.key) }

    public subscript(key: String) -> Value? {
        get {
            for field in fields where field.key == key { return field.value }
            return nil
        }
        set {
            if let index = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                fields.append((key: key, value: newValue))
            }
        }
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: Value)]> { fields.makeIterator() }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.fields.count == b.fields.count
            && zip(a.fields, b.fields).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(fields.count)
        for field in fields {
            hasher.combine(field.key)
            hasher.combine(field.value)
        }
    }
}
