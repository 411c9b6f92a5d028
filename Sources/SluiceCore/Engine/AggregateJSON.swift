import SluiceExpr
import SluiceSupport

/// The fixed JSON text around an aggregate result's values, escaped once at plan time, so a
/// result going straight to the sinks is written as bytes without building a `Value` first.
struct AggregateJSONLayout {
    /// `{"<key field>":`
    let open: [UInt8]
    /// `,"<name>":` for each aggregate, in the program's order.
    let separators: [[UInt8]]
    /// The bytes of all separators.
    let separatorBytes: Int

    init(keyField: String, names: [String]) {
        var open: [UInt8] = [UInt8(ascii: "{")]
        JSON.writeString(keyField, into: &open)
        open.append(UInt8(ascii: ":"))
        self.open = open
        separators = names.map { name in
            var bytes: [UInt8] = [UInt8(ascii: ",")]
            JSON.writeString(name, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
            return bytes
        }
        separatorBytes = separators.reduce(0) { $0 + $1.count }
    }

    /// `{"<key field>":<key>`, the start of a result of `key` (see `write(open:row:of:into:)`).
    func open(key: Value) -> [UInt8] {
        var bytes = open
        key.writeJSON(into: &bytes)
        return bytes
    }

    /// The result of `row` of `table` (the program's plain results, see
    /// `AggregateTable.writeResult`) as the JSON object `write(key:fields:)` gives, from the
    /// result's start as `open(key:)` gives it, written into `outputs`' bytes (no array per
    /// result): its place there, or nil when the program's results need expressions run.
    func write(open: [UInt8], row: Int, of table: AggregateTable, into outputs: OutputBuffer) -> (start: Int, count: Int)? {
        let capacity = open.count + separatorBytes + 32 * separators.count + 1
        let target = outputs.reserve(capacity)
        open.withUnsafeBufferPointer { if let base = $0.baseAddress { target.initialize(from: base, count: $0.count) } }
        if let written = table.writeResult(row: row, separators: separators, at: target + open.count, capacity: capacity - open.count - 1) {
            target[open.count + written] = UInt8(ascii: "}")
            let count = open.count + written + 1
            return (outputs.commit(count), count)
        }
        // Strings and other values: written to an array, then copied.
        var bytes = open
        guard table.writeResult(row: row, separators: separators, into: &bytes) else { return nil }
        bytes.append(UInt8(ascii: "}"))
        return outputs.copy(bytes)
    }

    /// The same bytes as `Value.writeJSON` of the object `{keyField: key, names[i]: values[i]...}`.
    func write(key: Value, fields: JSONObject) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(open.count + 24 * (separators.count + 1))
        bytes.append(contentsOf: open)
        key.writeJSON(into: &bytes)
        if fields.fields.count == separators.count {
            for index in separators.indices {
                bytes.append(contentsOf: separators[index])
                fields.fields[index].value.writeJSON(into: &bytes)
            }
        } else {
            // Not the program's names: write the fields as they are.
            for field in fields.fields {
                bytes.append(UInt8(ascii: ","))
                JSON.writeString(field.key, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                field.value.writeJSON(into: &bytes)
            }
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}

extension Engine {
    /// Sends an aggregate result straight to the sinks as JSON bytes, when it is the last step
    /// and no sink computes a key from the value; false (nothing done) otherwise.
    func produceAggregateDirectly(
        _ fields: JSONObject, key: Value, _ runtime: AggregateRuntime, _ working: Working, step: Int
    ) -> Bool {
        guard step + 1 == runtimes.count else { return false }
        for sink in plan.sinks where sink.key != nil { return false }
        emitToSinks(runtime.jsonLayout.write(key: key, fields: fields), key: key, timestamp: working.context.timestamp)
        return true
    }

    /// An aggregate result, already JSON, to every sink, keyed by the aggregate key.
    func emitToSinks(_ value: [UInt8], key: Value, timestamp: Int64) {
        emitToSinks(value, keyBytes: KeyCoding.bytes(key), timestamp: timestamp)
    }

    /// `emitToSinks(_:key:timestamp:)` with the key's bytes already made.
    func emitToSinks(_ value: [UInt8], keyBytes: [UInt8]?, timestamp: Int64) {
        emitToSinks(outputs.copy(value), keyBytes: keyBytes, timestamp: timestamp)
    }

    /// `emitToSinks(_:keyBytes:timestamp:)` for a value already in the output buffer, which
    /// all the sinks' outputs share.
    func emitToSinks(_ valueRange: (start: Int, count: Int), keyBytes: [UInt8]?, timestamp: Int64) {
        let keyRange = outputs.copy(keyBytes)
        for topic in sinkTopics {
            outputs.append(topic: topic, partition: -1, key: keyRange, value: valueRange, headers: [], timestamp: timestamp, cause: currentCause)
        }
    }
}
