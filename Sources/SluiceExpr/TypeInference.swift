import SluiceSupport

/// A problem that type inference found in an expression, at a UTF-8 offset into its source.
public struct TypeIssue: Sendable {
    public var severity: Severity
    /// `unknown-field`, `type-mismatch`, `possible-type-mismatch` or `incompatible-comparison`.
    public var code: String
    public var message: String
    public var offset: Int
    /// Set for `unknown-field`, so that callers can word the message with what they know.
    public var unknownField: UnknownField?
}

/// A field read that cannot exist in the records' type.
public struct UnknownField: Sendable {
    /// The path as written up to the missing field: `categroy`, `customer.nmae`.
    public var text: String
    /// The missing field's name.
    public var name: String
    /// The path of the object it was looked up in, as written: `customer`; empty at the top level.
    public var parentText: String
    /// The object type it was looked up in.
    public var parent: JSONType
    /// True when `parent` is the record value itself (a one-key path).
    public var isTopLevel: Bool

    public init(text: String, name: String, parentText: String, parent: JSONType, isTopLevel: Bool) {
        self.text = text
        self.name = name
        self.parentText = parentText
        self.parent = parent
        self.isTopLevel = isTopLevel
    }
}

/// The inferred type of an expression and the problems found on the way.
public struct TypeInference: Sendable {
    public var type: JSONType
    public var issues: [TypeIssue]
}

extension Expression {
    /// Infers the type of the expression's value on records whose value has type `record`, and
    /// finds the field reads and operations that cannot work on such records.
    public func inferType(record: JSONType) -> TypeInference {
        var inferrer = TypeInferrer(source: Array(source.utf8), record: record)
        let type = inferrer.infer(root)
        return TypeInference(type: type, issues: inferrer.issues)
    }

    /// Like `inferType(record:)`, and also checks that the value is true or false; `role` names
    /// the expression in messages, e.g. `a filter condition`.
    public func inferCondition(record: JSONType, role: String) -> TypeInference {
        var inferrer = TypeInferrer(source: Array(source.utf8), record: record)
        let type = inferrer.infer(root)
        inferrer.require(
            type, .boolean, at: root, use: TypeInferrer.Use(operation: role, complaint: "\(role) must be true or false"))
        return TypeInference(type: type, issues: inferrer.issues)
    }
}

/// Walks a syntax tree bottom-up, giving each node a `JSONType`.
struct TypeInferrer {
    let source: [UInt8]
    let record: JSONType
    var issues: [TypeIssue] = []

    /// How a checked value is used, for messages.
    struct Use {
        /// `'*'`, `sum()`, `a filter condition`.
        var operation: String
        /// Said when the value can never be right: `cannot use it in '*'`, `sum() needs a number`.
        var complaint: String

        static func op(_ symbol: String) -> Use { Use(operation: "'\(symbol)'", complaint: "cannot use it in '\(symbol)'") }
    }

    mutating func infer(_ node: Node) -> JSONType {
        switch node.kind {
        case .literal(let value):
            return JSONType(of: value)
        case .path(let path):
            return resolve(path.components[...], in: record, base: nil, node: node)
        case .access(let base, let components):
            return resolve(components[...], in: infer(base), base: base, node: node)
        case .array(let items):
            let types = items.map { infer($0) }
            return JSONType(kinds: .array, items: types.reduce(nil) { $0?.union($1) ?? $1 })
        case .unary(_, let operand):
            let type = infer(operand)
            require(type, .numeric, at: operand, use: .op("-"))
            let kinds = type.kinds.intersection(.numeric)
            return .of(kinds.isEmpty ? .numeric : kinds)
        case .binary(let op, let left, let right, _):
            return binary(op, left, infer(left), right, infer(right))
        case .logical(let op, let left, let right, _):
            require(infer(left), .boolean, at: left, use: Use(operation: "'\(op.rawValue)'", complaint: "'\(op.rawValue)' needs true or false"))
            require(infer(right), .boolean, at: right, use: Use(operation: "'\(op.rawValue)'", complaint: "'\(op.rawValue)' needs true or false"))
            return .of(.boolean)
        case .not(let operand):
            require(infer(operand), .boolean, at: operand, use: Use(operation: "'not'", complaint: "'not' needs true or false"))
            return .of(.boolean)
        case .coalesce(let left, let right):
            let a = infer(left), b = infer(right)
            return a.kinds == .null ? b : a.nonNull.union(b)
        case .inList(let left, let right, let negated, _):
            _ = infer(left)
            let keyword = negated ? "not in" : "in"
            require(infer(right), .array, at: right, use: Use(operation: "'\(keyword)'", complaint: "'\(keyword)' needs an array on the right"))
            return .of(.boolean)
        case .call(let name, let arguments):
            return call(name, arguments)
        }
    }

    // MARK: fields

    /// Follows `components` from a value of type `type`: the record (`base` nil) or a computed value.
    mutating func resolve(_ components: ArraySlice<PathComponent>, in type: JSONType, base: Node?, node: Node) -> JSONType {
        var current = type
        var walked: [PathComponent] = []
        for component in components {
            // Built only for a message: building it at every step would be quadratic in the path length.
            var here: String { pathText(walked, base: base) }
            switch component {
            case .key(let name):
                guard current.kinds.contains(.object) else {
                    if !current.kinds.isEmpty {
                        issue(.error, "type-mismatch", "\(here) is \(describe(current)); it has no field '\(name)'", at: node.offset)
                    }
                    return .any
                }
                guard let next = current.field(name) else {
                    let parentText = base.map { text(of: $0) + walked.map(FieldPath.suffix).joined() }
                        ?? (walked.isEmpty ? "" : FieldPath.text(walked[...]))
                    walked.append(component)
                    let fieldText = base.map { text(of: $0) + walked.map(FieldPath.suffix).joined() }
                        ?? FieldPath.text(walked[...])
                    var found = TypeIssue(
                        severity: .error, code: "unknown-field", message: "unknown field '\(fieldText)'", offset: node.offset)
                    found.unknownField = UnknownField(
                        text: fieldText, name: name, parentText: parentText, parent: current,
                        isTopLevel: base == nil && walked.count == 1)
                    issues.append(found)
                    return .any
                }
                current = next
            case .index:
                guard current.kinds.contains(.array) else {
                    if !current.kinds.isEmpty {
                        issue(.error, "type-mismatch", "\(here) is \(describe(current)); it cannot be indexed", at: node.offset)
                    }
                    return .any
                }
                current = current.items ?? .any
            }
            walked.append(component)
        }
        return current
    }

    /// `'a.b'`, `'split(s, ",")[0]'`, or `the record value` for the empty record path.
    private func pathText(_ components: [PathComponent], base: Node?) -> String {
        if let base { return "'" + text(of: base) + components.map(FieldPath.suffix).joined() + "'" }
        return components.isEmpty ? "the record value" : "'" + FieldPath.text(components[...]) + "'"
    }

    // MARK: checks

    /// Reports `node` when its type has no kind in `accepted` (an error) or may have kinds outside
    /// it (a warning): such records would become error records.
    mutating func require(_ type: JSONType, _ accepted: JSONKinds, at node: Node, use: Use) {
        guard !type.isUnknown, !type.kinds.isEmpty else { return }
        if type.kinds.isDisjoint(with: accepted) {
            issue(.error, "type-mismatch", "\(describe(node)) is \(describe(type)); \(use.complaint)", at: node.offset)
            return
        }
        let bad = type.kinds.subtracting(accepted)
        if !bad.isEmpty {
            issue(
                .warning, "possible-type-mismatch",
                "\(describe(node)) may be \(bad.description)\(originNote(type)); \(use.operation) fails on that and the record becomes an error record",
                at: node.offset)
        }
    }

    mutating func issue(_ severity: Severity, _ code: String, _ message: String, at offset: Int) {
        issues.append(TypeIssue(severity: severity, code: code, message: message, offset: offset))
    }

    // MARK: text for messages

    /// The source text of `node`.
    func text(of node: Node) -> String {
        let start = max(0, min(node.offset, source.count)), end = max(start, min(node.end, source.count))
        return String(decoding: source[start..<end], as: UTF8.self)
    }

    /// `'category'` for a field path, `"A"` for a literal, else the expression text in quotes, or
    /// `the value` when long.
    func describe(_ node: Node) -> String {
        if case .path(let path) = node.kind { return path.components.isEmpty ? "the record value" : "'\(path.text)'" }
        if case .literal(let value) = node.kind { return JSONText.write(value) }
        let text = text(of: node)
        return text.count <= 40 ? "'\(text)'" : "the value"
    }

    /// `a string (schema: #/properties/category)`.
    func describe(_ type: JSONType) -> String {
        type.kinds.description + originNote(type)
    }

    func originNote(_ type: JSONType) -> String {
        type.origin.map { " (\($0))" } ?? ""
    }
}
