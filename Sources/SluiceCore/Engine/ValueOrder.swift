import SluiceSupport

/// A total order on values, used to emit window results in a deterministic key order
/// (dictionary iteration order changes from run to run).
///
/// null < booleans < numbers < strings < arrays < objects; numbers compare by value (ints and
/// doubles together, NaN first), strings by their UTF-8 bytes, arrays and objects element-wise.
enum ValueOrder {
    static func less(_ a: Value, _ b: Value) -> Bool { compare(a, b) < 0 }

    static func compare(_ a: Value, _ b: Value) -> Int {
        let ra = rank(a), rb = rank(b)
        if ra != rb { return ra < rb ? -1 : 1 }
        switch (a, b) {
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (x ? 1 : -1)
        case (.int(let x), .int(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        case (.string(let x), .string(let y)): return compareBytes(x, y)
        case (.array(let x), .array(let y)):
            for (u, v) in zip(x, y) {
                let c = compare(u, v)
                if c != 0 { return c }
            }
            return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
        case (.object(let x), .object(let y)):
            for (u, v) in zip(x.fields, y.fields) {
                let c = compareBytes(u.key, v.key)
                if c != 0 { return c }
                let d = compare(u.value, v.value)
                if d != 0 { return d }
            }
            return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
        default:
            guard let x = a.numberValue, let y = b.numberValue else { return 0 }
            if x.isNaN || y.isNaN { return x.isNaN == y.isNaN ? 0 : (x.isNaN ? -1 : 1) }
            return x == y ? 0 : (x < y ? -1 : 1)
        }
    }

    private static func rank(_ value: Value) -> Int {
        switch value {
        case .null: 0
        case .bool: 1
        case .int, .double: 2
        case .string: 3
        case .array: 4
        case .object: 5
        }
    }

    private static func compareBytes(_ a: String, _ b: String) -> Int {
        if a == b { return 0 }
        return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
    }
}

/// Record keys as bytes and back.
enum KeyCoding {
    /// A key value as record key bytes: strings as UTF-8, null as no key, others as compact JSON.
    static func bytes(_ value: Value) -> [UInt8]? {
        switch value {
        case .null: return nil
        case .string(let text): return Array(text.utf8)
        default: return JSON.serialize(value)
        }
    }

    /// Key bytes as `key()` sees them: the UTF-8 text, or null for no key.
    static func value(_ bytes: [UInt8]?) -> Value {
        guard let bytes else { return .null }
        return .string(String(decoding: bytes, as: UTF8.self))
    }
}
