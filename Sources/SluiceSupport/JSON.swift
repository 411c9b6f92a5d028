/// Strict RFC 8259 JSON reading and compact writing for `Value`.
///
/// Parsing works on raw UTF-8 bytes with a cursor; it never uses Foundation. Choices where the
/// RFC leaves room:
/// - integers that fit `Int64` become `.int`, other numbers `.double`; a number too large for a
///   Double (such as `1e400`) is an error, since there is no JSON way to write infinity back;
/// - duplicate object keys keep the position of the first and the value of the last, like Python;
/// - invalid UTF-8 and `\u` escapes of lone surrogates are errors (nothing is silently replaced);
/// - nesting deeper than `maxDepth` arrays and objects is an error;
/// - a UTF-8 byte order mark is not accepted (RFC 8259 section 8.1 forbids adding one).
public enum JSON {
    /// The deepest nesting of arrays and objects that `parse` accepts.
    public static let maxDepth = 512

    /// Parses one JSON text (surrounded by optional whitespace) from UTF-8 bytes.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> Value {
        guard let start = bytes.baseAddress, bytes.count > 0 else {
            throw JSONError("unexpected end of input, expected a json value", at: 0)
        }
        var parser = JSONParser(base: start.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        return try parser.parseDocument()
    }

    /// Parses one JSON text from UTF-8 bytes.
    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> Value {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONError) -> Value in try parse(raw) }
        }
        return try result.get()
    }

    /// Parses one JSON text.
    public static func parse(_ text: String) throws(JSONError) -> Value {
        var text = text
        let result = text.withUTF8 { buffer in
            Result { () throws(JSONError) -> Value in try parse(UnsafeRawBufferPointer(buffer)) }
        }
        return try result.get()
    }
}

/// Why a JSON text was rejected, and the byte offset where the problem was found.
///
/// `reason` says what is wrong (`unterminated string`); `message` adds the position
/// (`unterminated string at byte 12`). Callers that report a line and column of their own
/// (such as the recording reader) use `reason` with their location.
public struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    /// Zero-based byte offset into the parsed text.
    public var offset: Int

    public init(_ reason: String, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// The reason followed by the position, e.g. `unexpected character 'x' at byte 12`.
    public var message: String { "\(reason) at byte \(offset)" }

    public var description: String { message }
}
