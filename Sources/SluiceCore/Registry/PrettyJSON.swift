import SluiceSupport

/// Indented JSON for people to read (the schema, JSON reports); compact JSON comes from `JSON.serialize`.
public enum PrettyJSON {
    public static func text(_ value: Value, indent: String = "  ") -> String {
        var out = ""
        write(value, indent: indent, depth: 0, into: &out)
        return out
    }

    private static func write(_ value: Value, indent: String, depth: Int, into out: inout String) {
        let inner = String(repeating: indent, count: depth + 1)
        let outer = String(repeating: indent, count: depth)
        switch value {
        case .array(let items) where !items.isEmpty && !fitsOnOneLine(items):
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += inner
                write(item, indent: indent, depth: depth + 1, into: &out)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += outer + "]"
        case .object(let object) where object.count > 0:
            out += "{\n"
            for (index, field) in object.fields.enumerated() {
                out += inner + Value.string(field.key).jsonText + ": "
                write(field.value, indent: indent, depth: depth + 1, into: &out)
                out += index == object.count - 1 ? "\n" : ",\n"
            }
            out += outer + "}"
        case .array(let items):
            out += "[" + items.map(\.jsonText).joined(separator: ", ") + "]"
        default:
            out += value.jsonText
        }
    }

    /// Short lists of scalars (`["string", "number"]`) read better on one line.
    private static func fitsOnOneLine(_ items: [Value]) -> Bool {
        var length = 0
        for item in items {
            switch item {
            case .array, .object: return false
            default: length += item.jsonText.count + 2
            }
        }
        return length <= 72
    }
}
