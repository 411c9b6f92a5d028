import SluiceSupport

/// What each function accepts and returns, for type inference.
struct FunctionType: Sendable {
    /// The kinds each argument may have; the last entry covers any further arguments.
    let parameters: [JSONKinds]
    /// The result type from the argument types.
    let result: @Sendable ([JSONType]) -> JSONType

    init(_ parameters: [JSONKinds], _ result: @escaping @Sendable ([JSONType]) -> JSONType) {
        self.parameters = parameters
        self.result = result
    }

    init(_ parameters: [JSONKinds], returns kinds: JSONKinds) {
        self.init(parameters) { _ in .of(kinds) }
    }

    static let any = JSONKinds.all
    static let numeric = JSONKinds.numeric
    /// Aggregates skip nulls.
    static let numericOrNull: JSONKinds = [.integer, .number, .null]

    static let table: [String: FunctionType] = [
        "length": FunctionType([[.string, .array, .object]], returns: .integer),
        "lower": FunctionType([.string], returns: .string),
        "upper": FunctionType([.string], returns: .string),
        "trim": FunctionType([.string], returns: .string),
        "concat": FunctionType([any], returns: .string),
        "substring": FunctionType([.string, numeric, numeric], returns: .string),
        "substr": FunctionType([.string, numeric, numeric], returns: .string),
        "contains": FunctionType([[.string, .array], any], returns: .boolean),
        "starts_with": FunctionType([.string, .string], returns: .boolean),
        "ends_with": FunctionType([.string, .string], returns: .boolean),
        "replace": FunctionType([.string, .string, .string], returns: .string),
        "split": FunctionType([.string, .string]) { _ in JSONType(kinds: .array, items: .of(.string)) },
        "abs": FunctionType([numeric]) { numericPart($0[0], else: .numeric) },
        "round": FunctionType([numeric, numeric]) { integerIfInteger($0[0]) },
        "floor": FunctionType([numeric]) { integerIfInteger($0[0]) },
        "ceil": FunctionType([numeric]) { integerIfInteger($0[0]) },
        "sqrt": FunctionType([numeric], returns: .number),
        "pow": FunctionType([numeric, numeric]) { types in
            types.allSatisfy { $0.kinds.subtracting(.integer).isEmpty } ? .of(.numeric) : .of(.number)
        },
        "least": FunctionType([[.integer, .number, .string, .null]]) { union($0) },
        "greatest": FunctionType([[.integer, .number, .string, .null]]) { union($0) },
        "string": FunctionType([any], returns: .string),
        "int": FunctionType([[.integer, .number, .string]], returns: .integer),
        "float": FunctionType([[.integer, .number, .string]], returns: .number),
        "is_null": FunctionType([any], returns: .boolean),
        "typeof": FunctionType([any], returns: .string),
        "now": FunctionType([], returns: .integer),
        "key": FunctionType([], returns: [.string, .null]),
        "timestamp": FunctionType([], returns: .integer),
        "topic": FunctionType([], returns: .string),
        "partition": FunctionType([], returns: .integer),
        "offset": FunctionType([], returns: .integer),
        "header": FunctionType([.string], returns: [.string, .null]),
        "count": FunctionType([any], returns: .integer),
        "count_distinct": FunctionType([any], returns: .integer),
        "sum": FunctionType([numericOrNull]) { types in
            types[0].kinds.intersection(.numeric) == .integer ? .of(.integer) : .of(.numeric)
        },
        "avg": FunctionType([numericOrNull]) { types in .of(types[0].isNullable ? [.number, .null] : .number) },
        "min": FunctionType([[.integer, .number, .string, .null]]) { $0[0] },
        "max": FunctionType([[.integer, .number, .string, .null]]) { $0[0] },
        "first": FunctionType([any]) { $0[0] },
        "last": FunctionType([any]) { $0[0] },
    ]

    /// The numeric kinds of `type`, or `fallback` when it has none.
    static func numericPart(_ type: JSONType, else fallback: JSONKinds) -> JSONType {
        let kinds = type.kinds.intersection(.numeric)
        return .of(kinds.isEmpty ? fallback : kinds)
    }

    /// `integer` for an integer argument; otherwise whole numbers, which may not fit an integer.
    static func integerIfInteger(_ type: JSONType) -> JSONType {
        type.kinds.intersection(.numeric) == .integer ? .of(.integer) : .of(.numeric)
    }

    /// The union of the non-null argument types, nullable only when every argument is.
    static func union(_ types: [JSONType]) -> JSONType {
        guard let first = types.first else { return .any }
        let merged = types.dropFirst().reduce(first.nonNull) { $0.union($1.nonNull) }
        var result = merged
        if types.allSatisfy(\.isNullable) { result.kinds.insert(.null) }
        return result.from(types.count == 1 ? first.origin : nil)
    }
}

extension TypeInferrer {
    /// Types a call: special forms by hand, the rest from `FunctionType.table`.
    mutating func call(_ name: String, _ arguments: [Node]) -> JSONType {
        switch name {
        case "if":
            let condition = infer(arguments[0])
            require(condition, .boolean, at: arguments[0], use: Use(operation: "if()", complaint: "if() needs a true or false condition"))
            let branches = arguments.dropFirst().map { infer($0) }
            return branches.dropFirst().reduce(branches.first ?? .any) { $0.union($1) }.from(nil)
        case "coalesce":
            return FunctionType.union(arguments.map { infer($0) })
        case "has":
            // has() asks whether a field is there, so only its name is checked.
            _ = arguments.first.map { infer($0) }
            return .of(.boolean)
        default:
            let types = arguments.map { infer($0) }
            guard let function = FunctionType.table[name] else { return .any }
            for (i, (argument, type)) in zip(arguments, types).enumerated() {
                guard let accepted = function.parameters.isEmpty ? nil : function.parameters[min(i, function.parameters.count - 1)],
                      accepted != .all else { continue }
                let position = arguments.count > 1 ? " as argument \(i + 1)" : ""
                let needed = accepted.subtracting(.null).description
                require(type, accepted, at: argument, use: Use(operation: "\(name)()", complaint: "\(name)() needs \(needed)\(position)"))
            }
            // A result is a new value: it does not come from the schema, even `first(x)`.
            return function.result(types).from(nil)
        }
    }
}
