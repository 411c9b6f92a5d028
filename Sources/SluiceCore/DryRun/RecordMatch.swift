import SluiceSupport

/// Comparing produced records with expected ones, and showing them.
public enum RecordMatch {
    /// JSON equality for expectations: object fields may come in any order; integers and
    /// doubles stay distinct (`1` is not `1.0`), as they do in the output bytes.
    public static func sameValue(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { sameValue($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count
                && x.fields.allSatisfy { field in y[field.key].map { sameValue(field.value, $0) } ?? false }
        case (.double(let x), .double(let y)):
            return x == y || (x.isNaN && y.isNaN)
        default:
            return a == b
        }
    }

    /// True when the payloads say the same: equal JSON values when both are JSON, else equal bytes.
    public static func samePayload(_ a: [UInt8]?, _ b: [UInt8]?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        if a == b { return true }
        guard let x = try? JSON.parse(a), let y = try? JSON.parse(b) else { return false }
        return sameValue(x, y)
    }

    /// Bytes as text for messages: the UTF-8 text, or `null`.
    public static func text(_ bytes: [UInt8]?) -> String {
        guard let bytes else { return "null" }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Key bytes for messages: `"A"` (JSON-quoted) or `null`.
    public static func keyText(_ bytes: [UInt8]?) -> String {
        guard let bytes else { return "null" }
        var out: [UInt8] = []
        JSON.writeString(utf8: bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
