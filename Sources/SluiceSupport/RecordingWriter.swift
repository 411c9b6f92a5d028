extension Record {
    /// Appends this record as one recording line: a kcat `-J` envelope and a newline.
    ///
    /// `{"topic":"t","partition":0,"offset":0,"tstype":"create","ts":1736990000000,"broker":-1,`
    /// `"headers":["k","v"],"key":"A","payload":"{\"id\":1}"}`. `headers` is left out when
    /// there are none, as kcat does; `key` and `payload` are null when absent. Bytes that are
    /// not valid UTF-8 (in the key, payload or header values) are written with U+FFFD in place
    /// of each bad sequence, since JSON text cannot carry arbitrary bytes. `timestampType` is
    /// kcat's `tstype`: `create`, `logappend` (the broker set the timestamp) or `none`.
    public func writeEnvelope(into out: inout [UInt8], broker: Int = -1, timestampType: String = "create") {
        JSONOutput.with { output in
            output.writeEnvelope(self, broker: broker, timestampType: timestampType)
            out.append(contentsOf: output.bytes)
        }
    }

    /// This record's recording line, newline included (see `writeEnvelope(into:broker:)`).
    public func envelopeLine(broker: Int = -1) -> String {
        JSONOutput.with { output in
            output.writeEnvelope(self, broker: broker)
            return String(decoding: output.bytes, as: UTF8.self)
        }
    }
}

/// Collects records as a recording (JSON Lines of kcat `-J` envelopes), in the order written.
public struct RecordingWriter: Sendable {
    /// The recording so far.
    public private(set) var bytes: [UInt8] = []
    /// The `broker` field written on every line (kcat's broker id; -1 means none).
    public var broker: Int

    public init(broker: Int = -1) {
        self.broker = broker
    }

    public mutating func write(_ record: Record) {
        record.writeEnvelope(into: &bytes, broker: broker)
    }

    public mutating func write(contentsOf records: some Sequence<Record>) {
        for record in records { write(record) }
    }

    /// The recording so far as text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Returns the recording so far and starts a new one (for writing out in chunks).
    public mutating func takeBytes() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }
}

extension JSONOutput {
    mutating func writeEnvelope(_ record: Record, broker: Int, timestampType: String = "create") {
        append("{\"topic\":")
        writeString(record.topic)
        append(",\"partition\":")
        writeInteger(Int64(record.partition))
        append(",\"offset\":")
        writeInteger(record.offset)
        append(",\"tstype\":")
        writeString(timestampType)
        append(",\"ts\":")
        writeInteger(record.timestamp)
        append(",\"broker\":")
        writeInteger(Int64(broker))
        if !record.headers.isEmpty {
            append(",\"headers\":[")
            for (i, header) in record.headers.enumerated() {
                if i > 0 { append(UInt8(ascii: ",")) }
                writeString(header.name)
                append(UInt8(ascii: ","))
                writeOptionalBytes(header.value)
            }
            append(UInt8(ascii: "]"))
        }
        append(",\"key\":")
        writeOptionalBytes(record.key)
        append(",\"payload\":")
        writeOptionalBytes(record.value)
        append("}\n")
    }

    private mutating func writeOptionalBytes(_ bytes: [UInt8]?) {
        if let bytes { writeString(utf8: bytes) } else { append("null") }
    }
}
