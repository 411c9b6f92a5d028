#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One line of a recording: a record, or why the line is not one.
public enum RecordingLine: Sendable, Hashable {
    /// A record and the 1-based line it came from.
    case record(Record, line: Int)
    /// A line that is not a valid envelope (code `recording-invalid-line`, at its line and column).
    case invalid(Diagnostic)
}

/// Reads a recording (JSON Lines of kcat `-J` envelopes, see `RecordingEnvelopeDecoder`) one
/// line at a time.
///
/// A bad line gives a diagnostic at its file, line and column and reading goes on with the
/// next line, so one broken line loses nothing around it. Blank lines are skipped; lines may
/// end in `\n` or `\r\n`; a UTF-8 byte order mark at the start of the file is skipped. Lines
/// are strict JSON (see `JSON`): a line with invalid UTF-8 is a bad line, not a guess.
public struct RecordingReader: Sequence, IteratorProtocol, Sendable {
    public let file: String
    private let bytes: [UInt8]
    private var position = 0
    private var lineNumber = 0
    private var decoder = RecordingEnvelopeDecoder()
    /// Used for lines without a `topic` field; nil makes `topic` required.
    public var defaultTopic: String?

    public static let invalidLineCode = "recording-invalid-line"

    public init(bytes: [UInt8], file: String, defaultTopic: String? = nil) {
        self.bytes = bytes
        self.file = file
        self.defaultTopic = defaultTopic
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3 }
    }

    /// Reads a whole recording: its records in order, and a diagnostic for each bad line.
    public static func records(
        from bytes: [UInt8], file: String, defaultTopic: String? = nil
    ) -> (records: [Record], diagnostics: [Diagnostic]) {
        var records: [Record] = []
        var diagnostics: [Diagnostic] = []
        for line in RecordingReader(bytes: bytes, file: file, defaultTopic: defaultTopic) {
            switch line {
            case .record(let record, _): records.append(record)
            case .invalid(let diagnostic): diagnostics.append(diagnostic)
            }
        }
        return (records, diagnostics)
    }

    /// The next record or bad line; nil at the end of the input.
    public mutating func next() -> RecordingLine? {
        let count = bytes.count
        while position < count {
            lineNumber += 1
            let start = position
            var end = count
            bytes.withUnsafeBytes { buffer in
                if let base = buffer.baseAddress, let newline = memchr(base + start, 0x0A, count - start) {
                    end = base.distance(to: UnsafeRawPointer(newline))
                }
            }
            position = end + 1
            if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            if let line = readLine(start: start, end: end) { return line }
        }
        return nil
    }

    /// Decodes the line in `bytes[start..<end]`; nil if it is blank.
    private mutating func readLine(start: Int, end: Int) -> RecordingLine? {
        var builder = EnvelopeBuilder()
        var failure: LineError?
        var open = 0
        let blank = bytes.withUnsafeBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress, end > start else { return true }
            var parser = JSONParser(base: base + start, count: end - start)
            parser.skipWhitespace()
            if parser.atEnd { return true }
            open = parser.pos
            do throws(LineError) {
                try RecordingReader.parseEnvelope(&parser, into: &builder)
            } catch {
                failure = error
            }
            return false
        }
        if blank { return nil }
        if let failure {
            return .invalid(diagnostic(failure.message, atByte: failure.offset, start: start, end: end))
        }
        do {
            return .record(try decoder.finish(builder, defaultTopic: defaultTopic), line: lineNumber)
        } catch {
            return .invalid(diagnostic(error.message, atByte: open, start: start, end: end))
        }
    }

    /// Walks the top-level object itself, so that each field's error points at its value.
    private static func parseEnvelope(
        _ parser: inout JSONParser, into builder: inout EnvelopeBuilder
    ) throws(LineError) {
        let open = parser.pos
        guard parser.current == UInt8(ascii: "{") else {
            let value = try json { () throws(JSONError) in try parser.parseDocument() }
            throw LineError("expected a json object (one record per line), not \(value.shortDescription)", at: open)
        }
        var seen: [EnvelopeField] = []
        parser.pos += 1
        parser.depth = 1
        parser.skipWhitespace()
        if !parser.atEnd && parser.current == UInt8(ascii: "}") {
            parser.pos += 1
        } else {
            while true {
                parser.skipWhitespace()
                let keyAt = parser.pos
                let content = try json { () throws(JSONError) in try parser.scanKey(open: open) }
                guard let name = parser.withBytes(of: content, EnvelopeField.named) else {
                    let text = parser.withBytes(of: content) { String(decoding: $0, as: UTF8.self) }
                    throw LineError(EnvelopeField.unknown(text).message, at: keyAt)
                }
                if seen.contains(name) { throw LineError("duplicate field '\(name.rawValue)'", at: keyAt) }
                seen.append(name)
                parser.skipWhitespace()
                let valueAt = parser.pos
                if (name == .payload || name == .key) && !parser.atEnd && parser.current == UInt8(ascii: "\"") {
                    // Straight to bytes: no String for what is stored as bytes anyway.
                    let bytes = try json { () throws(JSONError) in try parser.parseStringBytes() }
                    try field(at: valueAt) { () throws(RecordingEnvelopeError) in
                        if name == .key { builder.key = bytes } else { try builder.setPayload(bytes, from: name) }
                    }
                } else {
                    let value = try json { () throws(JSONError) in try parser.parseValue() }
                    try field(at: valueAt) { () throws(RecordingEnvelopeError) in try builder.set(name, value) }
                }
                parser.skipWhitespace()
                guard !parser.atEnd else { throw LineError("invalid json: unterminated object", at: open) }
                let separator = parser.current
                parser.pos += 1
                if separator == UInt8(ascii: ",") { continue }
                if separator == UInt8(ascii: "}") { break }
                throw jsonError(parser.unexpected(at: parser.pos - 1, expecting: "',' or '}'"))
            }
        }
        parser.skipWhitespace()
        if !parser.atEnd {
            throw LineError(
                "invalid json: unexpected \(JSONParser.describe(byte: parser.current)) after the json value", at: parser.pos)
        }
    }

    private static func json<T>(_ body: () throws(JSONError) -> T) throws(LineError) -> T {
        do {
            return try body()
        } catch {
            throw jsonError(error)
        }
    }

    private static func jsonError(_ error: JSONError) -> LineError {
        LineError("invalid json: \(error.reason)", at: error.offset)
    }

    private static func field(at offset: Int, _ body: () throws(RecordingEnvelopeError) -> Void) throws(LineError) {
        do {
            try body()
        } catch {
            throw LineError(error.message, at: offset)
        }
    }

    private func diagnostic(_ message: String, atByte offset: Int, start: Int, end: Int) -> Diagnostic {
        // Columns count characters: every byte that does not continue a UTF-8 sequence.
        var column = 1
        var i = start
        let stop = Swift.min(start + offset, end)
        while i < stop {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        let location = SourceLocation(file: file, line: lineNumber, column: column)
        return .error(RecordingReader.invalidLineCode, message, at: location)
    }
}

/// A problem in one line, at a byte offset within it.
private struct LineError: Error {
    var message: String
    var offset: Int

    init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }
}
