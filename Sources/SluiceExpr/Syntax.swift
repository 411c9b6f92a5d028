import SluiceSupport

/// One step of a field path: an object key or an array index (negative counts from the end).
enum PathComponent: Sendable, Hashable {
    case key(String)
    case index(Int)
}

/// A field path such as `a.b["x y"][0]`; `this` is the empty path.
struct FieldPath: Sendable, Hashable {
    var components: [PathComponent]

    /// The path as the user would write it, for messages: `a.b`, `a["x y"][0]`, `this`.
    var text: String { Self.text(components[...]) }

    static func text(_ components: ArraySlice<PathComponent>) -> String {
        guard let first = components.first else { return "this" }
        if case .key(let key) = first, isPlainName(key) {
            return key + components.dropFirst().map(suffix).joined()
        }
        return "this" + components.map(suffix).joined()
    }

    /// One component as written after something else: `.b`, `["x y"]`, `[0]`.
    static func suffix(_ component: PathComponent) -> String {
        switch component {
        case .key(let key) where isPlainName(key): "." + key
        case .key(let key): "[" + JSONText.quoted(key) + "]"
        case .index(let index): "[\(index)]"
        }
    }

    /// True when `name` can be written bare (`a.name`): an identifier that is not a keyword.
    static func isPlainName(_ name: String) -> Bool {
        guard let first = name.utf8.first, Lexer.isIdentifierStart(first) else { return false }
        return name.utf8.allSatisfy(Lexer.isIdentifierPart) && Lexer.keyword(name) == nil
    }
}

enum UnaryOperator: Sendable { case negate }

enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
}

enum LogicalOperator: String, Sendable { case and, or }

/// A node of the syntax tree with the UTF-8 byte range of its source text.
struct Node: Sendable {
    var kind: NodeKind
    var offset: Int
    var end: Int
    /// Levels of nodes below and including this one; the parser bounds it, since compiling,
    /// evaluating and even freeing the tree recurse.
    let height: Int

    init(kind: NodeKind, offset: Int, end: Int) {
        self.kind = kind
        self.offset = offset
        self.end = end
        var below = 0
        switch kind {
        case .literal, .path: break
        case .access(let base, _): below = base.height
        case .array(let items): below = items.map(\.height).max() ?? 0
        case .unary(_, let operand), .not(let operand): below = operand.height
        case .binary(_, let a, let b, _), .logical(_, let a, let b, _), .coalesce(let a, let b),
             .inList(let a, let b, _, _):
            below = max(a.height, b.height)
        case .call(_, let arguments): below = arguments.map(\.height).max() ?? 0
        }
        height = below + 1
    }
}

indirect enum NodeKind: Sendable {
    case literal(Value)
    case path(FieldPath)
    /// Postfix `.name` / `[i]` on something that is not a field path, e.g. `split(s, ",")[0]`.
    case access(Node, [PathComponent])
    case array([Node])
    case unary(UnaryOperator, Node)
    /// `operatorOffset` is where the operator token stands, for error messages.
    case binary(BinaryOperator, Node, Node, operatorOffset: Int)
    case logical(LogicalOperator, Node, Node, operatorOffset: Int)
    case not(Node)
    case coalesce(Node, Node)
    case inList(Node, Node, negated: Bool, operatorOffset: Int)
    case call(name: String, arguments: [Node])
}

extension Node {
    /// A canonical text of the node, so that `sum( value )` and `sum(value)` share an accumulator.
    var canonical: String {
        switch kind {
        case .literal(let value): JSONText.write(value)
        case .path(let path): path.text
        case .access(let base, let components):
            "(\(base.canonical))" + components.map(FieldPath.suffix).joined()
        case .array(let items): "[" + items.map(\.canonical).joined(separator: ",") + "]"
        case .unary(_, let operand): "-(\(operand.canonical))"
        case .binary(let op, let a, let b, _): "(\(a.canonical) \(op.rawValue) \(b.canonical))"
        case .logical(let op, let a, let b, _): "(\(a.canonical) \(op.rawValue) \(b.canonical))"
        case .not(let operand): "not (\(operand.canonical))"
        case .coalesce(let a, let b): "(\(a.canonical) ?? \(b.canonical))"
        case .inList(let a, let b, let negated, _):
            "(\(a.canonical) \(negated ? "not in" : "in") \(b.canonical))"
        case .call(let name, let arguments):
            name + "(" + arguments.map(\.canonical).joined(separator: ",") + ")"
        }
    }

    /// Calls `visit` on this node and every node below it, in source order.
    func walk(_ visit: (Node) throws(ExpressionError) -> Void) throws(ExpressionError) {
        try visit(self)
        switch kind {
        case .literal, .path: break
        case .access(let base, _): try base.walk(visit)
        case .array(let items): for item in items { try item.walk(visit) }
        case .unary(_, let operand), .not(let operand): try operand.walk(visit)
        case .binary(_, let a, let b, _), .logical(_, let a, let b, _), .coalesce(let a, let b),
             .inList(let a, let b, _, _):
            try a.walk(visit)
            try b.walk(visit)
        case .call(_, let arguments): for argument in arguments { try argument.walk(visit) }
        }
    }
}
