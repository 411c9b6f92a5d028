#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns kcat `-J` envelopes into records, one JSON object per record.
///
/// Fields (any order):
/// - `topic`: string, required unless a default topic is given;
/// - `partition`: integer 0...2147483647, default 0;
/// - `offset`: non-negative integer; default one past the previous offset seen for the same
///   partition (0 for the first), so hand-written files need no offsets;
/// - `ts`: integer milliseconds since the epoch, default 0;
/// - `headers`: kcat's flat array `["name", "value", ...]` or an object `{"name": "value"}`,
///   values strings or null;
/// - `key`, `payload`: string or null (a missing payload is a null payload: a tombstone);
/// - `value`: any JSON instead of `payload`, stored as its compact JSON text;
/// - `tstype`, `broker`, `key_schema_id`, `value_schema_id`: accepted and ignored.
/// Any other field is an error, so that a misspelled `paylod` is not silently a tombstone.
public struct RecordingEnvelopeDecoder: Sendable {
    private var nextOffsets: [Int32: Int64] = [:]

    public init() {}

    /// Decodes one envelope; `defaultTopic` is used when the envelope has no `topic`.
    public mutating func decode(
        _ envelope: JSONObject, defaultTopic: String? = nil
    ) throws(RecordingEnvelopeError) -> Record {
        var builder = EnvelopeBuilder()
        for field in envelope.fields {
            try builder.set(field.key, field.value)
        }
        return try finish(builder, defaultTopic: defaultTopic)
    }

    /// Completes a record from collected fields, filling in the default offset.
    mutating func finish(
        _ builder: EnvelopeBuilder, defaultTopic: String? = nil
    ) throws(RecordingEnvelopeError) -> Record {
        guard let topic = builder.topic ?? defaultTopic else {
            throw RecordingEnvelopeError(field: nil, "missing required field 'topic'")
        }
        let offset = builder.offset ?? nextOffsets[builder.partition, default: 0]
        // Offsets are at most Int64.max; the next default saturates rather than trapping.
        nextOffsets[builder.partition] = offset == Int64.max ? offset : offset + 1
        return Record(
            topic: topic, partition: builder.partition, offset: offset, timestamp: builder.timestamp,
            key: builder.key, headers: builder.headers, value: builder.payload)
    }
}

/// What is wrong with an envelope, and in which field (nil for the envelope as a whole).
public struct RecordingEnvelopeError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String?
    public var message: String

    public init(field: String?, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }
}

/// The fields an envelope may have.
enum EnvelopeField: String, CaseIterable {
    case topic, partition, offset, tstype, ts, broker, headers, key, payload, value
    case keySchemaID = "key_schema_id"
    case valueSchemaID = "value_schema_id"

    /// The field spelled by `bytes`, compared without making a String.
    static func named(_ bytes: UnsafeBufferPointer<UInt8>) -> EnvelopeField? {
        func spells(_ name: StaticString) -> Bool {
            guard let base = bytes.baseAddress, name.utf8CodeUnitCount == bytes.count else { return false }
            return memcmp(name.utf8Start, base, bytes.count) == 0
        }
        switch bytes.count {
        case 2: return spells("ts") ? .ts : nil
        case 3: return spells("key") ? .key : nil
        case 5: return spells("topic") ? .topic : spells("value") ? .value : nil
        case 6: return spells("offset") ? .offset : spells("tstype") ? .tstype : spells("broker") ? .broker : nil
        case 7: return spells("payload") ? .payload : spells("headers") ? .headers : nil
        case 9: return spells("partition") ? .partition : nil
        case 13: return spells("key_schema_id") ? .keySchemaID : nil
        case 15: return spells("value_schema_id") ? .valueSchemaID : nil
        default: return nil
        }
    }

    /// The error for a field that is not one of these.
    static func unknown(_ name: String) -> RecordingEnvelopeError {
        var message = "unknown field '\(name)'"
        if let suggestion = closest(to: name) { message += "; did you mean '\(suggestion)'?" }
        return RecordingEnvelopeError(field: name, message)
    }
}

/// The fields of one envelope as they are read.
struct EnvelopeBuilder {
    var topic: String?
    var partition: Int32 = 0
    var offset: Int64?
    var timestamp: Int64 = 0
    var headers: [Header] = []
    var key: [UInt8]?
    var payload: [UInt8]?
    /// `payload` or `value`, whichever set the payload.
    private var payloadField: EnvelopeField?

    mutating func set(_ name: String, _ value: Value) throws(RecordingEnvelopeError) {
        guard let field = EnvelopeField(rawValue: name) else { throw EnvelopeField.unknown(name) }
        try set(field, value)
    }

    mutating func set(_ field: EnvelopeField, _ value: Value) throws(RecordingEnvelopeError) {
        switch field {
        case .topic:
            guard case .string(let text) = value, !text.isEmpty else {
                throw typeError(field, "a non-empty string", value)
            }
            topic = text
        case .partition:
            guard case .int(let number) = value, number >= 0, number <= Int64(Int32.max) else {
                throw typeError(field, "an integer from 0 to \(Int32.max)", value)
            }
            partition = Int32(number)
        case .offset:
            guard case .int(let number) = value, number >= 0 else {
                throw typeError(field, "a non-negative integer", value)
            }
            offset = number
        case .ts:
            guard case .int(let number) = value else {
                throw typeError(field, "an integer (milliseconds since the epoch)", value)
            }
            timestamp = number
        case .headers:
            headers = try EnvelopeBuilder.headers(from: value)
        case .key:
            switch value {
            case .string(let text): key = Array(text.utf8)
            case .null: key = nil
            default: throw typeError(field, "a string or null", value)
            }
        case .payload:
            switch value {
            case .string(let text): try setPayload(Array(text.utf8), from: field)
            case .null: try setPayload(nil, from: field)
            default: throw typeError(field, "a string or null (use 'value' for any json)", value)
            }
        case .value:
            try setPayload(JSON.serialize(value), from: field)
        case .tstype, .broker, .keySchemaID, .valueSchemaID:
            break
        }
    }

    /// Sets the payload from `payload` or `value`; an envelope may not have both.
    mutating func setPayload(_ bytes: [UInt8]?, from field: EnvelopeField) throws(RecordingEnvelopeError) {
        if let previous = payloadField, previous != field {
            throw RecordingEnvelopeError(field: field.rawValue, "an envelope has either 'payload' or 'value', not both")
        }
        payloadField = field
        payload = bytes
    }

    private func typeError(_ field: EnvelopeField, _ expected: String, _ value: Value) -> RecordingEnvelopeError {
        RecordingEnvelopeError(
            field: field.rawValue, "field '\(field.rawValue)' must be \(expected), not \(value.shortDescription)")
    }

    private static func headers(from value: Value) throws(RecordingEnvelopeError) -> [Header] {
        switch value {
        case .null:
            return []
        case .array(let items):
            guard items.count % 2 == 0 else {
                throw RecordingEnvelopeError(
                    field: "headers", "field 'headers' must list name, value pairs, but has \(items.count) elements")
            }
            var headers: [Header] = []
            headers.reserveCapacity(items.count / 2)
            for pair in stride(from: 0, to: items.count, by: 2) {
                guard case .string(let name) = items[pair] else {
                    throw RecordingEnvelopeError(
                        field: "headers", "header names must be strings, not \(items[pair].shortDescription)")
                }
                headers.append(Header(name: name, value: try headerValue(items[pair + 1], name: name)))
            }
            return headers
        case .object(let object):
            var headers: [Header] = []
            headers.reserveCapacity(object.count)
            for field in object.fields {
                headers.append(Header(name: field.key, value: try headerValue(field.value, name: field.key)))
            }
            return headers
        default:
            throw RecordingEnvelopeError(
                field: "headers",
                "field 'headers' must be an array of names and values or an object, not \(value.shortDescription)")
        }
    }

    private static func headerValue(_ value: Value, name: String) throws(RecordingEnvelopeError) -> [UInt8]? {
        switch value {
        case .string(let text): return Array(text.utf8)
        case .null: return nil
        default:
            throw RecordingEnvelopeError(
                field: "headers", "header '\(name)' must be a string or null, not \(value.shortDescription)")
        }
    }
}

extension Value {
    /// The value as error messages show it: small scalars as JSON, the rest by type.
    var shortDescription: String {
        switch self {
        case .null, .bool, .int, .double: return jsonText
        case .string(let text): return text.utf8.count <= 40 ? jsonText : "a long string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

extension EnvelopeField {
    /// The field closest to `name` (a typo or two away), for did-you-mean hints.
    static func closest(to name: String) -> String? {
        // Long names are not typos of short ones; this also keeps a huge key from costing seconds.
        guard name.utf8.count <= 64 else { return nil }
        let typed = Array(name.lowercased().utf8)
        var best: (field: String, distance: Int)?
        for field in allCases.map(\.rawValue) {
            let distance = editDistance(typed, Array(field.utf8))
            let allowed = max(1, field.utf8.count / 3)
            if distance <= allowed && distance < (best?.distance ?? Int.max) { best = (field, distance) }
        }
        return best?.field
    }

    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        var row = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            row[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                row[j] = min(substitution, previous[j] + 1, row[j - 1] + 1)
            }
            swap(&previous, &row)
        }
        return previous[b.count]
    }
}
