import SluiceExpr

/// Names of the fields that aggregate and window results carry.
public enum ResultFields {
    public static let windowStart = "window_start"
    public static let windowEnd = "window_end"

    /// The result field holding the key: the key expression's text when it is a plain field path
    /// (`category` -> `category`, `a.b` -> `b`), else `key`.
    public static func keyFieldName(for key: Expression) -> String {
        let source = key.source.trimmingWhitespace
        if key.fieldReferences.count == 1, let reference = key.fieldReferences.first,
            reference.length == key.source.utf8.count || reference.length == source.utf8.count,
            let last = reference.path.last, !key.containsAggregate, isPlainPath(source)
        {
            return last
        }
        return "key"
    }

    /// True for `a`, `a.b`, `a["x y"]`: text made only of a field path.
    private static func isPlainPath(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return !text.contains("(")
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
