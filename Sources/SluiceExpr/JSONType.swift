import SluiceSupport

/// The JSON kinds a value may have; a set, so that `integer or null` is one type.
public struct JSONKinds: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let null = JSONKinds(rawValue: 1)
    public static let boolean = JSONKinds(rawValue: 2)
    public static let integer = JSONKinds(rawValue: 4)
    /// A number that may have a fraction; JSON Schema's `number` is `[.integer, .number]`.
    public static let number = JSONKinds(rawValue: 8)
    public static let string = JSONKinds(rawValue: 16)
    public static let array = JSONKinds(rawValue: 32)
    public static let object = JSONKinds(rawValue: 64)

    public static let numeric: JSONKinds = [.integer, .number]
    public static let all: JSONKinds = [.null, .boolean, .integer, .number, .string, .array, .object]

    /// The single kinds in this set, in a fixed order.
    public var members: [JSONKinds] {
        [.null, .boolean, .integer, .number, .string, .array, .object].filter { contains($0) }
    }

    /// The kind of one value.
    public init(of value: Value) {
        switch value {
        case .null: self = .null
        case .bool: self = .boolean
        case .int: self = .integer
        case .double: self = .number
        case .string: self = .string
        case .array: self = .array
        case .object: self = .object
        }
    }

    /// `a string`, `an integer or null`, `a number` (integers included), `anything`.
    public var description: String {
        if self == .all { return "anything" }
        if isEmpty { return "nothing" }
        var names: [String] = []
        if contains(.boolean) { names.append("a boolean") }
        if contains(.number) {
            names.append("a number")
        } else if contains(.integer) {
            names.append("an integer")
        }
        if contains(.string) { names.append("a string") }
        if contains(.array) { names.append("an array") }
        if contains(.object) { names.append("an object") }
        if contains(.null) { names.append("null") }
        if names.count == 1 { return names[0] }
        return names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
    }
}

/// What validation knows about a value: its possible kinds and, for objects and arrays, their
/// shape. Built from a source's JSON Schema, then step by step from the pipeline.
public struct JSONType: Sendable {
    public var kinds: JSONKinds
    /// The declared fields of an object, in order.
    public var properties: [JSONProperty]
    /// True when an object may have fields besides `properties`, of unknown type.
    public var openFields: Bool
    /// The type of fields besides `properties` (JSON Schema `additionalProperties` as a schema).
    public var otherFields: JSONType? {
        get { otherBox.first }
        set { otherBox = newValue.map { [$0] } ?? [] }
    }
    /// The type of array elements; nil when unknown.
    public var items: JSONType? {
        get { itemsBox.first }
        set { itemsBox = newValue.map { [$0] } ?? [] }
    }
    /// The allowed values (JSON Schema `enum` / `const`), when restricted.
    public var allowedValues: [Value]?
    /// Where the type comes from, for messages: `schema: #/properties/category`, `map step, line 9`.
    public var origin: String?

    // Arrays of at most one element, as a struct cannot hold itself directly.
    private var otherBox: [JSONType]
    private var itemsBox: [JSONType]

    public init(
        kinds: JSONKinds, properties: [JSONProperty] = [], openFields: Bool = false, otherFields: JSONType? = nil,
        items: JSONType? = nil, allowedValues: [Value]? = nil, origin: String? = nil
    ) {
        self.kinds = kinds
        self.properties = properties
        self.openFields = openFields
        self.allowedValues = allowedValues
        self.origin = origin
        otherBox = otherFields.map { [$0] } ?? []
        itemsBox = items.map { [$0] } ?? []
    }

    /// Anything at all, with any fields.
    public static var any: JSONType { JSONType(kinds: .all, openFields: true) }

    /// Kinds with no further shape, e.g. `.of(.integer)`; objects of it may have any field.
    public static func of(_ kinds: JSONKinds, origin: String? = nil) -> JSONType {
        JSONType(kinds: kinds, openFields: true, origin: origin)
    }

    /// True when nothing is known about the kind, so no check can fail on it.
    public var isUnknown: Bool { kinds == .all }

    /// True when the type may be null.
    public var isNullable: Bool { kinds.contains(.null) }

    /// The type of field `name` of an object of this type; nil when the field cannot exist.
    public func field(_ name: String) -> JSONType? {
        if let property = properties.first(where: { $0.name == name }) { return property.type }
        if let otherFields { return otherFields }
        return openFields ? .any : nil
    }

    /// The same type with `null` removed.
    public var nonNull: JSONType {
        var copy = self
        copy.kinds.remove(.null)
        return copy
    }

    /// The same type with its origin replaced.
    public func from(_ origin: String?) -> JSONType {
        var copy = self
        copy.origin = origin
        return copy
    }

    /// A type covering both: kinds merged, shapes merged field by field.
    public func union(_ other: JSONType) -> JSONType {
        var result = JSONType(kinds: kinds.union(other.kinds))
        result.origin = origin == other.origin ? origin : nil
        if let a = allowedValues, let b = other.allowedValues { result.allowedValues = a + b.filter { !a.contains($0) } }
        let selfObject = kinds.contains(.object), otherObject = other.kinds.contains(.object)
        if selfObject && otherObject {
            var merged: [JSONProperty] = []
            for property in properties {
                let match = other.properties.first { $0.name == property.name }
                merged.append(JSONProperty(
                    name: property.name, type: match.map { property.type.union($0.type) } ?? property.type,
                    required: property.required && (match?.required ?? false)))
            }
            for property in other.properties where !properties.contains(where: { $0.name == property.name }) {
                merged.append(JSONProperty(name: property.name, type: property.type, required: false))
            }
            result.properties = merged
            result.openFields = openFields || other.openFields
            switch (otherFields, other.otherFields) {
            case (let a?, let b?): result.otherFields = a.union(b)
            case (let a, let b): result.otherFields = a ?? b
            }
        } else {
            let source = selfObject ? self : other
            result.properties = source.properties
            result.openFields = selfObject || otherObject ? source.openFields : true
            result.otherFields = source.otherFields
        }
        switch (items, other.items) {
        case (let a?, let b?): result.items = a.union(b)
        case (let a?, nil) where !other.kinds.contains(.array): result.items = a
        case (nil, let b?) where !kinds.contains(.array): result.items = b
        default: break
        }
        return result
    }

    /// The type of a literal value.
    public init(of value: Value) {
        self.init(kinds: JSONKinds(of: value))
        switch value {
        case .array(let elements):
            items = elements.map(JSONType.init(of:)).reduce(nil) { $0?.union($1) ?? $1 }
        case .object(let object):
            properties = object.fields.map { JSONProperty(name: $0.key, type: JSONType(of: $0.value), required: true) }
        default:
            break
        }
    }
}

/// One declared field of an object type.
public struct JSONProperty: Sendable {
    public var name: String
    public var type: JSONType
    /// True when every value has the field (JSON Schema `required`).
    public var required: Bool

    public init(name: String, type: JSONType, required: Bool) {
        self.name = name
        self.type = type
        self.required = required
    }
}
