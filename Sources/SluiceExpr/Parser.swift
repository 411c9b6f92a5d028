import SluiceSupport

/// Recursive-descent parser: tokens -> `Node` tree, plus the field paths read.
///
/// Precedence, loosest first: `or`, `and`, `not`, comparison and `in`, `??`, `+ -`, `* / %`,
/// unary `-`, postfix `.name` and `[i]`.
struct Parser {
    private let tokens: [Token]
    private var index = 0
    /// Current recursion depth, bounded so that hostile input cannot overflow the stack.
    private var depth = 0
    static let maxDepth = 200
    private(set) var fieldReferences: [FieldReference] = []

    init(tokens: [Token]) { self.tokens = tokens }

    static func parse(_ source: String) throws(ExpressionError) -> (Node, [FieldReference]) {
        var parser = Parser(tokens: try Lexer.tokens(source))
        let node = try parser.parseExpression(after: nil)
        let token = parser.current
        if token.kind != .end {
            throw ExpressionError("unexpected \(token.kind.description) after the expression; expected an operator", offset: token.offset)
        }
        if node.height > Self.maxDepth { throw Self.tooDeep(at: node.offset) }
        return (node, parser.fieldReferences)
    }

    // MARK: tokens

    private var current: Token { tokens[min(index, tokens.count - 1)] }
    private var nextToken: Token { tokens[min(index + 1, tokens.count - 1)] }

    private mutating func advance() -> Token {
        let token = current
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func isSymbol(_ symbols: String...) -> Bool {
        if case .symbol(let s) = current.kind { return symbols.contains(s) }
        return false
    }

    private func isKeyword(_ keyword: Keyword) -> Bool { current.kind == .keyword(keyword) }

    private mutating func expect(_ symbol: String, _ message: @autoclosure () -> String) throws(ExpressionError) -> Token {
        guard isSymbol(symbol) else {
            let found = current.kind == .end ? "" : ", found \(current.kind.description)"
            throw ExpressionError(message() + found, offset: current.offset)
        }
        return advance()
    }

    // MARK: grammar

    /// `after` names the operator before the expression, for the message when it is missing.
    private mutating func parseExpression(after: String?) throws(ExpressionError) -> Node {
        try nested { (parser) throws(ExpressionError) in try parser.parseOr(after: after) }
    }

    private mutating func nested(_ body: (inout Parser) throws(ExpressionError) -> Node) throws(ExpressionError) -> Node {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw Self.tooDeep(at: current.offset) }
        return try body(&self)
    }

    private static func tooDeep(at offset: Int) -> ExpressionError {
        ExpressionError("the expression is nested too deeply (more than \(maxDepth) levels)", offset: offset)
    }

    /// Checks a node built by an operator loop: long chains nest without recursing here.
    private func bounded(_ node: Node, at offset: Int) throws(ExpressionError) -> Node {
        if node.height > Self.maxDepth { throw Self.tooDeep(at: offset) }
        return node
    }

    private mutating func parseOr(after: String?) throws(ExpressionError) -> Node {
        var left = try parseAnd(after: after)
        while isKeyword(.or) || isSymbol("||") {
            let op = advance()
            let right = try parseAnd(after: Self.text(op))
            left = try bounded(Node(kind: .logical(.or, left, right, operatorOffset: op.offset), offset: left.offset, end: right.end), at: op.offset)
        }
        return left
    }

    private mutating func parseAnd(after: String?) throws(ExpressionError) -> Node {
        var left = try parseNot(after: after)
        while isKeyword(.and) || isSymbol("&&") {
            let op = advance()
            let right = try parseNot(after: Self.text(op))
            left = try bounded(Node(kind: .logical(.and, left, right, operatorOffset: op.offset), offset: left.offset, end: right.end), at: op.offset)
        }
        return left
    }

    private mutating func parseNot(after: String?) throws(ExpressionError) -> Node {
        guard isKeyword(.not) || isSymbol("!") else { return try parseComparison(after: after) }
        let op = advance()
        let operand = try nested { (parser) throws(ExpressionError) in try parser.parseNot(after: Self.text(op)) }
        return Node(kind: .not(operand), offset: op.offset, end: operand.end)
    }

    private static let comparisons: [String: BinaryOperator] = [
        "==": .equal, "!=": .notEqual, "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
    ]

    private mutating func parseComparison(after: String?) throws(ExpressionError) -> Node {
        let left = try parseCoalesce(after: after)
        let node: Node
        if case .symbol(let s) = current.kind, let op = Self.comparisons[s] {
            let token = advance()
            let right = try parseCoalesce(after: "'\(s)'")
            node = Node(kind: .binary(op, left, right, operatorOffset: token.offset), offset: left.offset, end: right.end)
        } else if isKeyword(.in) || (isKeyword(.not) && nextToken.kind == .keyword(.in)) {
            let token = advance()
            let negated = token.kind == .keyword(.not)
            if negated { _ = advance() }
            let right = try parseCoalesce(after: negated ? "'not in'" : "'in'")
            node = Node(kind: .inList(left, right, negated: negated, operatorOffset: token.offset), offset: left.offset, end: right.end)
        } else {
            return left
        }
        if case .symbol(let s) = current.kind, Self.comparisons[s] != nil {
            throw ExpressionError("comparisons cannot be chained; combine them with 'and'", offset: current.offset)
        }
        if isKeyword(.in) {
            throw ExpressionError("'in' cannot follow a comparison; add parentheses", offset: current.offset)
        }
        return node
    }

    private mutating func parseCoalesce(after: String?) throws(ExpressionError) -> Node {
        var left = try parseAdditive(after: after)
        while isSymbol("??") {
            let op = advance()
            let right = try parseAdditive(after: "'??'")
            left = try bounded(Node(kind: .coalesce(left, right), offset: left.offset, end: right.end), at: op.offset)
        }
        return left
    }

    private mutating func parseAdditive(after: String?) throws(ExpressionError) -> Node {
        var left = try parseMultiplicative(after: after)
        while isSymbol("+", "-") {
            let op = advance()
            let right = try parseMultiplicative(after: Self.text(op))
            let kind: BinaryOperator = op.kind == .symbol("+") ? .add : .subtract
            left = try bounded(Node(kind: .binary(kind, left, right, operatorOffset: op.offset), offset: left.offset, end: right.end), at: op.offset)
        }
        return left
    }

    private mutating func parseMultiplicative(after: String?) throws(ExpressionError) -> Node {
        var left = try parseUnary(after: after)
        while isSymbol("*", "/", "%") {
            let op = advance()
            let right = try parseUnary(after: Self.text(op))
            let kind: BinaryOperator = switch op.kind {
            case .symbol("*"): .multiply
            case .symbol("/"): .divide
            default: .remainder
            }
            left = try bounded(Node(kind: .binary(kind, left, right, operatorOffset: op.offset), offset: left.offset, end: right.end), at: op.offset)
        }
        return left
    }

    private mutating func parseUnary(after: String?) throws(ExpressionError) -> Node {
        guard isSymbol("-") else { return try parsePostfix(after: after) }
        let op = advance()
        // A negative integer literal, so that the smallest Int64 can be written.
        if case .integer(let magnitude) = current.kind, !Self.startsPostfix(nextToken) {
            let literal = advance()
            let value = magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
            return Node(kind: .literal(.int(value)), offset: op.offset, end: literal.end)
        }
        let operand = try nested { (parser) throws(ExpressionError) in try parser.parseUnary(after: "'-'") }
        return Node(kind: .unary(.negate, operand), offset: op.offset, end: operand.end)
    }

    private static func startsPostfix(_ token: Token) -> Bool {
        token.kind == .symbol(".") || token.kind == .symbol("[")
    }

    private mutating func parsePostfix(after: String?) throws(ExpressionError) -> Node {
        var (node, isPath) = try parsePrimary(after: after)
        var components: [PathComponent] = []
        if isPath, case .path(let path) = node.kind { components = path.components }
        var end = node.end
        while Self.startsPostfix(current) {
            let open = advance()
            if open.kind == .symbol(".") {
                let name = current
                switch name.kind {
                case .identifier(let n): components.append(.key(n))
                case .keyword(let k): components.append(.key(k.rawValue))
                default: throw ExpressionError("expected a field name after '.'", offset: name.offset)
                }
                end = advance().end
            } else {
                components.append(try parseSubscript())
                end = try expect("]", "expected ']' to close '['").end
            }
        }
        if isPath {
            node = Node(kind: .path(FieldPath(components: components)), offset: node.offset, end: end)
            recordReference(components, offset: node.offset, end: end)
        } else if !components.isEmpty {
            node = Node(kind: .access(node, components), offset: node.offset, end: end)
        }
        return node
    }

    private mutating func parseSubscript() throws(ExpressionError) -> PathComponent {
        let token = advance()
        switch token.kind {
        case .string(let key): return .key(key)
        case .integer(let magnitude) where magnitude <= UInt64(Int.max): return .index(Int(magnitude))
        case .symbol("-"):
            if case .integer(let magnitude) = current.kind, magnitude <= UInt64(Int.max) {
                _ = advance()
                return .index(-Int(magnitude))
            }
        default: break
        }
        throw ExpressionError("expected a quoted field name or an integer index inside '[ ]'", offset: token.offset)
    }

    private mutating func recordReference(_ components: [PathComponent], offset: Int, end: Int) {
        var keys: [String] = []
        for component in components {
            guard case .key(let key) = component else { break }
            keys.append(key)
        }
        if !keys.isEmpty { fieldReferences.append(FieldReference(path: keys, offset: offset, length: end - offset)) }
    }

    /// The primary expression, and whether postfix accessors extend it as a field path.
    private mutating func parsePrimary(after: String?) throws(ExpressionError) -> (Node, Bool) {
        let token = current
        func node(_ kind: NodeKind) -> Node { Node(kind: kind, offset: token.offset, end: token.end) }
        switch token.kind {
        case .integer(let magnitude):
            guard magnitude <= UInt64(Int64.max) else {
                throw ExpressionError("integer \(magnitude) is too large (the limit is \(Int64.max))", offset: token.offset)
            }
            _ = advance()
            return (node(.literal(.int(Int64(magnitude)))), false)
        case .number(let value):
            _ = advance()
            return (node(.literal(.double(value))), false)
        case .string(let value):
            _ = advance()
            return (node(.literal(.string(value))), false)
        case .keyword(.true):
            _ = advance()
            return (node(.literal(.bool(true))), false)
        case .keyword(.false):
            _ = advance()
            return (node(.literal(.bool(false))), false)
        case .keyword(.null):
            _ = advance()
            return (node(.literal(.null)), false)
        case .keyword(.this):
            _ = advance()
            return (node(.path(FieldPath(components: []))), true)
        case .identifier(let name):
            _ = advance()
            if isSymbol("(") { return (try parseCall(name: name, nameToken: token), false) }
            return (node(.path(FieldPath(components: [.key(name)]))), true)
        case .symbol("("):
            _ = advance()
            var inner = try parseExpression(after: "'('")
            let close = try expect(")", "expected ')' to close '('")
            inner.offset = token.offset
            inner.end = close.end
            return (inner, false)
        case .symbol("["):
            _ = advance()
            var items: [Node] = []
            if !isSymbol("]") {
                repeat {
                    items.append(try parseExpression(after: items.isEmpty ? "'['" : "','"))
                } while try consumeComma(closing: "]", message: "expected ',' or ']' in the array")
            }
            let close = try expect("]", "expected ']' to close '['")
            return (Node(kind: .array(items), offset: token.offset, end: close.end), false)
        default:
            if let after {
                throw ExpressionError("expected an expression after \(after)", offset: token.offset)
            }
            let found = token.kind == .end ? "" : ", found \(token.kind.description)"
            throw ExpressionError("expected an expression" + found, offset: token.offset)
        }
    }

    private mutating func parseCall(name: String, nameToken: Token) throws(ExpressionError) -> Node {
        _ = advance()  // (
        var arguments: [Node] = []
        if !isSymbol(")") {
            repeat {
                arguments.append(try parseExpression(after: arguments.isEmpty ? "'\(name)('" : "','"))
            } while try consumeComma(closing: ")", message: "expected ',' or ')' in the call to '\(name)'")
        }
        let close = try expect(")", "expected ')' to close '\(name)('")
        return Node(kind: .call(name: name, arguments: arguments), offset: nameToken.offset, end: close.end)
    }

    /// Consumes a `,` (true) or stops before `closing` (false); anything else is an error.
    private mutating func consumeComma(closing: String, message: String) throws(ExpressionError) -> Bool {
        if isSymbol(",") {
            _ = advance()
            return true
        }
        if isSymbol(closing) || current.kind == .end { return false }
        throw ExpressionError("\(message), found \(current.kind.description)", offset: current.offset)
    }

    private static func text(_ token: Token) -> String {
        switch token.kind {
        case .symbol(let s): "'\(s)'"
        case .keyword(let k): "'\(k.rawValue)'"
        default: token.kind.description
        }
    }
}
