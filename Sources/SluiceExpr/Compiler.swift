import SluiceSupport

/// A compiled expression: the record context and, in aggregate results, the finished
/// accumulator values (empty otherwise).
typealias Eval = @Sendable (EvaluationContext, [Value]) throws(EvaluationError) -> Value
/// Like `Eval`, but a missing field gives nil instead of an error (under `??`, `coalesce`, `has`).
typealias Lookup = @Sendable (EvaluationContext, [Value]) throws(EvaluationError) -> Value?

/// A compiled closure in a struct. Arrays of bare closures hold them at maximal abstraction,
/// and every call then goes through a thunk that copies the context.
struct Compiled: Sendable { let run: Eval }
struct CompiledLookup: Sendable { let run: Lookup }

/// Turns a syntax tree into a tree of closures, resolving functions once.
struct Compiler {
    /// Aggregate call (canonical text) -> accumulator slot, when compiling an aggregate result.
    /// Nil for plain expressions, where aggregate calls fail at evaluation.
    var aggregateSlots: [String: Int]?

    func compile(_ node: Node) throws(ExpressionError) -> Eval {
        let offset = node.offset
        switch node.kind {
        case .literal(let value):
            return { _, _ in value }
        case .path(let path):
            let lookup = Self.lookup(path.components)
            return { context, _ throws(EvaluationError) in
                guard let value = lookup(context.value) else {
                    throw Paths.missing(path.components, in: context.value, offset: offset)
                }
                return value
            }
        case .access(let base, let components):
            let baseEval = try compile(base)
            return { context, slots throws(EvaluationError) in
                let value = try baseEval(context, slots)
                guard let result = Paths.lookup(value, components) else {
                    throw Paths.missing(components, in: value, offset: offset, isRecordValue: false)
                }
                return result
            }
        case .array(let items):
            if let constant = Self.constant(node) { return { _, _ in constant } }
            let evals = try items.map { (item) throws(ExpressionError) -> Compiled in Compiled(run: try compile(item)) }
            return { context, slots throws(EvaluationError) in
                var values: [Value] = []
                values.reserveCapacity(evals.count)
                for eval in evals { values.append(try eval.run(context, slots)) }
                return .array(values)
            }
        case .unary(.negate, let operand):
            let eval = try compile(operand)
            return { context, slots throws(EvaluationError) in
                switch try eval(context, slots) {
                case .int(let i):
                    let (result, overflow) = Int64(0).subtractingReportingOverflow(i)
                    if overflow { throw EvaluationError("integer overflow in '-' (-(\(i)))", offset: offset) }
                    return .int(result)
                case .double(let d): return .double(-d)
                case let other: throw EvaluationError("cannot apply '-' to \(other.typeName)", offset: offset)
                }
            }
        case .binary(let op, let left, let right, let operatorOffset):
            return try binary(op, left, right, operatorOffset)
        case .logical(let op, let left, let right, _):
            let a = try compile(left), b = try compile(right)
            let aOffset = left.offset, bOffset = right.offset
            let name = op.rawValue
            let shortCircuit = op == .or
            return { context, slots throws(EvaluationError) in
                let first = try a(context, slots)
                guard case .bool(let x) = first else { throw Self.notBoolean(name, first, offset: aOffset) }
                if x == shortCircuit { return .bool(x) }
                let y = try b(context, slots)
                guard case .bool = y else { throw Self.notBoolean(name, y, offset: bOffset) }
                return y
            }
        case .not(let operand):
            let eval = try compile(operand)
            let operandOffset = operand.offset
            return { context, slots throws(EvaluationError) in
                let value = try eval(context, slots)
                guard case .bool(let b) = value else { throw Self.notBoolean("not", value, offset: operandOffset) }
                return .bool(!b)
            }
        case .coalesce(let left, let right):
            let a = try compileLenient(left), b = try compile(right)
            return { context, slots throws(EvaluationError) in
                if let value = try a(context, slots), !value.isNull { return value }
                return try b(context, slots)
            }
        case .inList(let left, let right, let negated, let operatorOffset):
            let a = try compile(left)
            let keyword = negated ? "not in" : "in"
            if let constant = Self.constant(right) {
                guard case .array(let items) = constant else {
                    throw ExpressionError("'\(keyword)' needs an array on the right, such as [\"a\", \"b\"]", offset: right.offset)
                }
                return { context, slots throws(EvaluationError) in
                    let value = try a(context, slots)
                    return .bool(items.contains { Operators.equals(value, $0) } != negated)
                }
            }
            let b = try compile(right)
            return { context, slots throws(EvaluationError) in
                let value = try a(context, slots)
                let list = try b(context, slots)
                guard case .array(let items) = list else {
                    throw EvaluationError("'\(keyword)' needs an array on the right, got \(list.typeName)", offset: operatorOffset)
                }
                return .bool(items.contains { Operators.equals(value, $0) } != negated)
            }
        case .call(let name, let arguments):
            return try call(name, arguments, node)
        }
    }

    /// Compiles `node` so that a missing field gives nil rather than an error.
    func compileLenient(_ node: Node) throws(ExpressionError) -> Lookup {
        switch node.kind {
        case .path(let path):
            let lookup = Self.lookup(path.components)
            return { context, _ in lookup(context.value) }
        case .access(let base, let components):
            let baseEval = try compileLenient(base)
            return { context, slots throws(EvaluationError) in
                try baseEval(context, slots).flatMap { Paths.lookup($0, components) }
            }
        case .coalesce(let left, let right):
            let a = try compileLenient(left), b = try compileLenient(right)
            return { context, slots throws(EvaluationError) in
                if let value = try a(context, slots), !value.isNull { return value }
                return try b(context, slots)
            }
        default:
            let eval = try compile(node)
            return { context, slots throws(EvaluationError) in try eval(context, slots) }
        }
    }

    private func binary(_ op: BinaryOperator, _ left: Node, _ right: Node, _ offset: Int) throws(ExpressionError) -> Eval {
        let a = try compile(left), b = try compile(right)
        switch op {
        case .equal:
            return { context, slots throws(EvaluationError) in
                .bool(Operators.equals(try a(context, slots), try b(context, slots)))
            }
        case .notEqual:
            return { context, slots throws(EvaluationError) in
                .bool(!Operators.equals(try a(context, slots), try b(context, slots)))
            }
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            return { context, slots throws(EvaluationError) in
                .bool(try Operators.ordering(op, try a(context, slots), try b(context, slots), offset: offset))
            }
        case .add, .subtract, .multiply, .divide, .remainder:
            if op == .add || op == .subtract || op == .multiply, case .int(let y)? = Self.constant(right) {
                // `value * 2`: integer arithmetic inline; anything else (overflow included) as below.
                return { context, slots throws(EvaluationError) in
                    let x = try a(context, slots)
                    if case .int(let n) = x {
                        let result =
                            op == .add
                            ? n.addingReportingOverflow(y)
                            : op == .subtract ? n.subtractingReportingOverflow(y) : n.multipliedReportingOverflow(by: y)
                        if !result.overflow { return .int(result.partialValue) }
                    }
                    return try Operators.arithmetic(op, x, .int(y), offset: offset)
                }
            }
            return { context, slots throws(EvaluationError) in
                try Operators.arithmetic(op, try a(context, slots), try b(context, slots), offset: offset)
            }
        }
    }

    /// A field lookup specialised for the common one-key path.
    static func lookup(_ components: [PathComponent]) -> @Sendable (Value) -> Value? {
        if components.isEmpty { return { $0 } }
        if components.count == 1, case .key(let key) = components[0] {
            return { value in
                guard case .object(let object) = value else { return nil }
                for field in object.fields where field.key == key { return field.value }
                return nil
            }
        }
        return { Paths.lookup($0, components) }
    }

    /// The value of a node made only of literals (and arrays of them), else nil.
    static func constant(_ node: Node) -> Value? {
        switch node.kind {
        case .literal(let value): return value
        case .array(let items):
            var values: [Value] = []
            for item in items {
                guard let value = constant(item) else { return nil }
                values.append(value)
            }
            return .array(values)
        default: return nil
        }
    }

    static func notBoolean(_ op: String, _ value: Value, offset: Int) -> EvaluationError {
        EvaluationError("'\(op)' needs boolean operands, got \(value.typeName)", offset: offset)
    }
}

/// Field path lookups and the messages for missing fields.
enum Paths {
    static func lookup(_ root: Value, _ components: [PathComponent]) -> Value? {
        var current = root
        for component in components {
            guard let next = step(current, component) else { return nil }
            current = next
        }
        return current
    }

    static func step(_ value: Value, _ component: PathComponent) -> Value? {
        switch (value, component) {
        case (.object(let object), .key(let key)):
            for field in object.fields where field.key == key { return field.value }
            return nil
        case (.array(let items), .index(let index)):
            let i = index < 0 ? items.count + index : index
            return i >= 0 && i < items.count ? items[i] : nil
        default: return nil
        }
    }

    /// Explains why `components` cannot be read from `root` (only called on failure).
    static func missing(_ components: [PathComponent], in root: Value, offset: Int, isRecordValue: Bool = true) -> EvaluationError {
        var current = root
        for (i, component) in components.enumerated() {
            if let next = step(current, component) {
                current = next
                continue
            }
            let text = isRecordValue
                ? FieldPath.text(components[...i])
                : components[...i].map(FieldPath.suffix).joined()
            let parent = i == 0
                ? (isRecordValue ? "the record value" : "the value")
                : "'" + (isRecordValue ? FieldPath.text(components[..<i]) : components[..<i].map(FieldPath.suffix).joined()) + "'"
            switch (current, component) {
            case (.object, _):
                return EvaluationError("field '\(text)' is missing", offset: offset)
            case (.array(let items), .index):
                return EvaluationError("field '\(text)' is missing (\(parent) has \(items.count) elements)", offset: offset)
            case (.null, _):
                return EvaluationError("field '\(text)' is missing (\(parent) is null)", offset: offset)
            case (_, .key):
                return EvaluationError("field '\(text)' is missing (\(parent) is \(article(current.typeName)), not an object)", offset: offset)
            case (_, .index):
                return EvaluationError("field '\(text)' is missing (\(parent) is \(article(current.typeName)), not an array)", offset: offset)
            }
        }
        return EvaluationError("field '\(FieldPath.text(components[...]))' is missing", offset: offset)
    }

    static func article(_ typeName: String) -> String {
        (typeName.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + typeName
    }
}
