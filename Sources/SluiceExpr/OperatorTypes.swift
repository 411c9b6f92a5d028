import SluiceSupport

extension TypeInferrer {
    /// Types a binary operator from the kinds its operands may have, pair by pair.
    mutating func binary(_ op: BinaryOperator, _ left: Node, _ a: JSONType, _ right: Node, _ b: JSONType) -> JSONType {
        switch op {
        case .equal, .notEqual:
            checkEquality(op, left, a, right, b)
            return .of(.boolean)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            _ = pairwise(op, left, a, right, b, domain: [.integer, .number, .string]) { x, y in
                (JSONKinds.numeric.contains(x) && JSONKinds.numeric.contains(y)) || (x == .string && y == .string)
                    ? .boolean : nil
            }
            return .of(.boolean)
        case .add, .subtract, .multiply, .divide, .remainder:
            let domain: JSONKinds = op == .add ? [.integer, .number, .string] : .numeric
            let kinds = pairwise(op, left, a, right, b, domain: domain) { x, y in
                if x == .integer && y == .integer { return op == .divide ? .number : .integer }
                if JSONKinds.numeric.contains(x) && JSONKinds.numeric.contains(y) { return .number }
                if op == .add && x == .string && y == .string { return .string }
                return nil
            }
            return .of(kinds.isEmpty ? domain : kinds)
        }
    }

    /// Checks every pair of operand kinds with `combine` (nil: the pair fails at run time) and
    /// returns the kinds of the results. An operand with no kind in `domain`, or operands that
    /// never combine, are errors; pairs that may fail are warnings.
    private mutating func pairwise(
        _ op: BinaryOperator, _ left: Node, _ a: JSONType, _ right: Node, _ b: JSONType, domain: JSONKinds,
        combine: (JSONKinds, JSONKinds) -> JSONKinds?
    ) -> JSONKinds {
        let symbol = op.rawValue
        var outside = false
        for (node, type) in [(left, a), (right, b)] where !type.isUnknown && !type.kinds.isEmpty && type.kinds.isDisjoint(with: domain) {
            issue(.error, "type-mismatch", "\(describe(node)) is \(describe(type)); cannot use it in '\(symbol)'", at: node.offset)
            outside = true
        }
        if outside { return [] }
        var results: JSONKinds = []
        var badLeft = a.kinds, badRight = b.kinds
        for x in a.kinds.members {
            for y in b.kinds.members {
                guard let result = combine(x, y) else { continue }
                results.formUnion(result)
                badLeft.remove(x)
                badRight.remove(y)
            }
        }
        if a.isUnknown || b.isUnknown || a.kinds.isEmpty || b.kinds.isEmpty { return results }
        if results.isEmpty {
            let verb = [.add, .subtract, .multiply, .divide, .remainder].contains(op) ? "apply" : "compare"
            let (first, second) = (describeOperand(left, a), describeOperand(right, b))
            let message = verb == "apply"
                ? "cannot apply '\(symbol)' to \(first) and \(second)"
                : "cannot compare \(first) with \(second) using '\(symbol)'"
            issue(.error, "type-mismatch", message, at: blamed(left, right).offset)
            return []
        }
        for (node, type, bad) in [(left, a, badLeft), (right, b, badRight)] where !bad.isEmpty {
            issue(
                .warning, "possible-type-mismatch",
                "\(describe(node)) may be \(bad.description)\(originNote(type)); '\(symbol)' fails on that and the record becomes an error record",
                at: node.offset)
        }
        return results
    }

    /// `'category' (a string, schema: #/properties/category)`, `1 (an integer)`.
    private func describeOperand(_ node: Node, _ type: JSONType) -> String {
        let origin = type.origin.map { ", \($0)" } ?? ""
        return "\(describe(node)) (\(type.kinds.description)\(origin))"
    }

    /// The operand a message about both points at: the first field path, else the left one.
    private func blamed(_ left: Node, _ right: Node) -> Node {
        if case .path = left.kind { return left }
        if case .path = right.kind { return right }
        return left
    }

    /// `==` and `!=` never fail, but values of different kinds are never equal: a warning.
    private mutating func checkEquality(_ op: BinaryOperator, _ left: Node, _ a: JSONType, _ right: Node, _ b: JSONType) {
        guard !a.isUnknown, !b.isUnknown, !a.kinds.isEmpty, !b.kinds.isEmpty,
              a.kinds != .null, b.kinds != .null else { return }
        let outcome = op == .equal ? "false" : "true"
        if Self.comparable(a.kinds).isDisjoint(with: Self.comparable(b.kinds)) {
            issue(
                .warning, "incompatible-comparison",
                "\(describeOperand(left, a)) and \(describeOperand(right, b)) are never equal: '\(op.rawValue)' is always \(outcome)",
                at: blamed(left, right).offset)
            return
        }
        // A literal outside a field's `enum` is a likely typo.
        for (field, fieldType, other) in [(left, a, right), (right, b, left)] {
            guard let allowed = fieldType.allowedValues, case .literal(let value) = other.kind, !value.isNull else { continue }
            if !allowed.contains(where: { Operators.equals($0, value) }) {
                var list = allowed.prefix(10).map { JSONText.write($0) }.joined(separator: ", ")
                if allowed.count > 10 { list += ", ... (\(allowed.count) values)" }
                issue(
                    .warning, "incompatible-comparison",
                    "\(describe(field)) is one of \(list)\(originNote(fieldType)), never \(JSONText.write(value)): '\(op.rawValue)' is always \(outcome)",
                    at: other.offset)
                return
            }
        }
    }

    /// Kinds with integer and number merged, since `1 == 1.0`.
    private static func comparable(_ kinds: JSONKinds) -> JSONKinds {
        kinds.isDisjoint(with: .numeric) ? kinds : kinds.union(.numeric)
    }
}
