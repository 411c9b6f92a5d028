import SluiceSupport

/// libFuzzer entry: the bytes are read as one JSON text and as a recording (JSON Lines envelopes).
///
/// Checks beyond "no crash": what parses writes back and parses again to the same value, and the
/// recording reader accounts for every non-blank line as a record or a diagnostic.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecording(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    if let value = try? JSON.parse(bytes) {
        let written = JSON.serialize(value)
        guard let again = try? JSON.parse(written) else {
            fatalError("written json does not parse again: \(String(decoding: written, as: UTF8.self))")
        }
        if again != value { fatalError("json round trip changed the value") }
    }

    var records = 0, invalid = 0
    for line in RecordingReader(bytes: bytes, file: "fuzz.jsonl", defaultTopic: "input-topic") {
        switch line {
        case .record(let record, let number):
            records += 1
            if number < 1 { fatalError("record on line \(number)") }
            // What the reader accepted, the writer must write as a line the reader accepts again.
            let line = record.envelopeLine()
            let reread = RecordingReader.records(from: Array(line.utf8), file: "again.jsonl")
            if reread.records != [record] {
                fatalError("envelope round trip failed: \(line) \(reread.diagnostics)")
            }
        case .invalid(let diagnostic):
            invalid += 1
            if diagnostic.code != RecordingReader.invalidLineCode || diagnostic.message.isEmpty { fatalError("bad diagnostic") }
        }
    }
    // Every line that is not blank (a leading byte order mark aside) gives exactly one result.
    let text = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    let lines = text.split(separator: 0x0A).filter { line in
        line.contains { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0D) }
    }
    if records + invalid != lines.count { fatalError("\(records + invalid) results for \(lines.count) lines") }
    return 0
}
