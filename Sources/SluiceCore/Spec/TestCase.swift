import SluiceSupport

/// One inline test from `tests:`: records in, and what each topic must receive.
public struct TestCase: Sendable {
    public var name: String
    public var location: SourceLocation
    /// The input records in order; offsets default to their index, timestamps to 0.
    public var input: [Record]
    /// Where each input record was written, parallel to `input`.
    public var inputLocations: [SourceLocation]
    /// Expected records per topic, in order; a topic not listed must receive nothing.
    public var expect: [String: [ExpectedRecord]]
    /// The topics of `expect` in the order written.
    public var expectedTopics: [String]

    public init(
        name: String, location: SourceLocation, input: [Record], inputLocations: [SourceLocation],
        expect: [String: [ExpectedRecord]], expectedTopics: [String]
    ) {
        self.name = name
        self.location = location
        self.input = input
        self.inputLocations = inputLocations
        self.expect = expect
        self.expectedTopics = expectedTopics
    }

    public static let fields: [FieldSpec] = [
        FieldSpec("name", .string, required: true, "What the test checks.", example: "doubles the value"),
        FieldSpec(
            "input", .list(.section(TestCase.inputFields)), required: true,
            "The records fed to the pipeline, in order."),
        FieldSpec(
            "expect", .map(.list(.section(TestCase.expectedFields))), required: true,
            "Per topic, the records it must receive, in order; a topic not named must receive nothing."),
    ]

    /// The fields of one input record.
    public static let inputFields: [FieldSpec] = [
        FieldSpec("topic", .topic, "The record's topic; default: the first source topic."),
        FieldSpec("partition", .integer(min: 0, max: Int64(Int32.max)), default: "0", "The record's partition."),
        FieldSpec("offset", .integer(min: 0, max: nil), "The record's offset; default: its index in `input`."),
        FieldSpec("ts", .integer(min: nil, max: nil), default: "0", "The record timestamp, epoch milliseconds."),
        FieldSpec("key", .anyValue, "The record key: a string as its text, other values as JSON; default: null."),
        FieldSpec("headers", .map(.string), "Record headers, name to value."),
        FieldSpec("value", .anyValue, "The record value as YAML/JSON; it is sent as compact JSON."),
        FieldSpec("payload", .string, "The raw record value as text, instead of `value` (e.g. invalid JSON)."),
    ]

    /// The fields of one expected record.
    public static let expectedFields: [FieldSpec] = [
        FieldSpec("key", .anyValue, "The expected key (a string as its text, other values as JSON); not checked when absent."),
        FieldSpec("value", .anyValue, "The expected value, compared as JSON."),
        FieldSpec("payload", .string, "The expected raw value as text, instead of `value`."),
        FieldSpec("headers", .map(.string), "Headers the record must carry with these values (others are allowed)."),
        FieldSpec("ts", .integer(min: nil, max: nil), "The expected timestamp, epoch milliseconds; not checked when absent."),
    ]
}

/// One record a test expects on a topic. Absent parts are not checked.
public struct ExpectedRecord: Sendable {
    /// The expected key bytes (strings as UTF-8, other values as compact JSON); `.some(nil)` means a null key.
    public var key: [UInt8]??
    /// The expected value, compared with the decoded JSON value.
    public var value: Value?
    /// The expected raw value as text.
    public var payload: String?
    /// Headers that must be present with these values.
    public var headers: [Header]?
    public var timestamp: Int64?
    public var location: SourceLocation

    public init(
        key: [UInt8]?? = nil, value: Value? = nil, payload: String? = nil, headers: [Header]? = nil,
        timestamp: Int64? = nil, location: SourceLocation
    ) {
        self.key = key
        self.value = value
        self.payload = payload
        self.headers = headers
        self.timestamp = timestamp
        self.location = location
    }
}
