import SluiceExpr
import SluiceSupport
import SluiceYAML

extension NodeReader {
    /// Parses an expression scalar; syntax errors are reported at their column in the file.
    mutating func expression(_ node: YAMLNode, allowAggregates: Bool = false) -> Expression? {
        guard let scalar = scalar(node) else { return nil }
        let expression: Expression
        do {
            expression = try Expression.parse(scalar.text)
        } catch {
            diagnostics.error("expression-syntax", error.message, at: location(in: node, scalar, offset: error.offset))
            return nil
        }
        expressionOrigins[ObjectIdentifier(expression)] = (scalar, node.location)
        if expression.containsAggregate && !allowAggregates {
            diagnostics.error(
                "misplaced-aggregate",
                "aggregate functions such as count() or sum() are allowed only under 'aggregates'",
                at: node.location)
            return nil
        }
        return expression
    }

    /// A mapping of field name to expression, in order.
    mutating func expressionMap(_ node: YAMLNode, aggregates: Bool = false) -> [NamedExpression]? {
        guard let pairs = mapping(node) else { return nil }
        if pairs.isEmpty {
            diagnostics.error("empty-list", "expected at least one field", at: node.location)
            return nil
        }
        var result: [NamedExpression] = []
        var ok = true
        for pair in pairs {
            guard let name = string(pair.key) else { ok = false; continue }
            if name.isEmpty {
                diagnostics.error("bad-field-name", "a field name cannot be empty", at: pair.key.location)
                ok = false
                continue
            }
            guard let expression = expression(pair.value, allowAggregates: aggregates) else { ok = false; continue }
            if aggregates && !expression.containsAggregate {
                diagnostics.error(
                    "bad-aggregate",
                    "aggregate '\(name)' uses no aggregate function: use e.g. count(), sum(value) or avg(value)",
                    at: pair.value.location)
                ok = false
                continue
            }
            result.append(NamedExpression(name: name, expression: expression, location: pair.value.location))
        }
        return ok ? result : nil
    }

    /// A mapping of field name to aggregate expression, compiled into one program.
    mutating func aggregateMap(_ node: YAMLNode) -> (AggregateProgram, [NamedExpression])? {
        guard let named = expressionMap(node, aggregates: true) else { return nil }
        do {
            let program = try AggregateProgram(named.map { (name: $0.name, expression: $0.expression) })
            return (program, named)
        } catch {
            diagnostics.error("bad-aggregate", error.message, at: node.location)
            return nil
        }
    }

    /// The most names a field path such as `a.b.c` may have.
    static let maxFieldPathDepth = 128

    /// A field path such as `a.b` or `a["x y"]`.
    mutating func fieldPath(_ node: YAMLNode) -> [String]? {
        guard let scalar = scalar(node) else { return nil }
        let text = scalar.text
        if let expression = try? Expression.parse(text), expression.fieldReferences.count == 1,
            let reference = expression.fieldReferences.first,
            reference.length == text.trimmingWhitespace.utf8.count, !text.contains("(")
        {
            // Deeper than records sensibly nest, and deep enough to exhaust the stack of
            // the type checker and engine, which follow paths recursively.
            guard reference.path.count <= Self.maxFieldPathDepth else {
                diagnostics.error(
                    "bad-field-path",
                    "the field path has \(reference.path.count) levels; at most \(Self.maxFieldPathDepth) are allowed",
                    at: node.location)
                return nil
            }
            return reference.path
        }
        diagnostics.error(
            "bad-field-path", "'\(text)' is not a field path: write a name such as value, a.b or a[\"x y\"]",
            at: node.location)
        return nil
    }

    /// A list of field paths; a single scalar counts as a list of one.
    mutating func fieldList(_ node: YAMLNode) -> [[String]]? {
        if node.scalar != nil {
            fieldListItems[node.location] = [node.location]
            return fieldPath(node).map { [$0] }
        }
        guard let items = sequence(node) else { return nil }
        if items.isEmpty {
            diagnostics.error("empty-list", "expected at least one field", at: node.location)
            return nil
        }
        fieldListItems[node.location] = items.map(\.location)
        let paths = items.map { fieldPath($0) }
        return paths.contains(nil) ? nil : paths.compactMap { $0 }
    }

    private func location(in node: YAMLNode, _ scalar: YAMLScalar, offset: Int) -> SourceLocation {
        if scalar.lineStarts.isEmpty { return node.location }
        return scalar.location(ofUTF8Offset: offset)
    }
}
