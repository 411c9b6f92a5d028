import SluiceExpr
import SluiceSupport

/// The fixed JSON text around a window result's values (`{"<key field>":`, the window bounds'
/// and each aggregate's `,"<name>":`), escaped once, so that a result going straight to the
/// sinks is written as bytes without building its object.
struct WindowResultLayout {
    let open: [UInt8]
    let start: [UInt8]
    let end: [UInt8]
    let separators: [[UInt8]]

    init(keyField: String, names: [String]) {
        func separator(_ name: String, first: Bool = false) -> [UInt8] {
            var bytes: [UInt8] = [UInt8(ascii: first ? "{" : ",")]
            JSON.writeString(name, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
            return bytes
        }
        open = separator(keyField, first: true)
        start = separator(ResultFields.windowStart)
        end = separator(ResultFields.windowEnd)
        separators = names.map { separator($0) }
    }
}

extension TimeWindowStore {
    /// The JSON bytes of the object `emitWindow` builds for `result` (key, bounds, then the
    /// program's results), as `Value.writeJSON` writes it; nil when a result needs an
    /// expression run (the object is then built as before).
    func resultJSON(_ result: WindowResult, keyField: String) -> [UInt8]? {
        let layout = resultLayout ?? WindowResultLayout(keyField: keyField, names: program.names)
        if resultLayout == nil { resultLayout = layout }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        bytes.append(contentsOf: layout.open)
        result.key.writeJSON(into: &bytes)
        bytes.append(contentsOf: layout.start)
        JSON.writeInteger(result.bounds.start, into: &bytes)
        bytes.append(contentsOf: layout.end)
        JSON.writeInteger(result.bounds.end, into: &bytes)
        guard program.writeResult(result.state, separators: layout.separators, into: &bytes) else { return nil }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}
