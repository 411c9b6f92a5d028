extension Expression {
    /// The top-level record fields the expression can read (`a` for `a.b[0]`), each once, in
    /// source order; nil when it may read the record value as a whole (`this`, `this[0]`).
    ///
    /// An engine may then decode only these fields of a record: every path lookup, missing-field
    /// message included, sees the same values as on the fully decoded record.
    public var rootFieldNames: [String]? {
        var names: [String] = []
        var whole = false
        try? root.walk { node in
            guard case .path(let path) = node.kind else { return }
            guard case .key(let name)? = path.components.first else {
                whole = true
                return
            }
            if !names.contains(name) { names.append(name) }
        }
        return whole ? nil : names
    }
}

extension Node {
    /// The field name when this node is exactly one top-level field (`value`, `this.value`).
    var singleFieldName: String? {
        guard case .path(let path) = kind, path.components.count == 1, case .key(let name) = path.components[0] else {
            return nil
        }
        return name
    }
}

extension Expression {
    /// The field name when the whole expression is one top-level field (`category`), else nil.
    public var singleFieldName: String? { root.singleFieldName }
}
