/// One Kafka record as the engine sees it: coordinates, timestamp, key, headers and raw value.
public struct Record: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// Milliseconds since the epoch (the Kafka record timestamp).
    public var timestamp: Int64
    public var key: [UInt8]?
    public var headers: [Header]
    /// The raw payload; nil for a tombstone.
    public var value: [UInt8]?

    public init(
        topic: String, partition: Int32 = 0, offset: Int64 = 0, timestamp: Int64 = 0,
        key: [UInt8]? = nil, headers: [Header] = [], value: [UInt8]?
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.headers = headers
        self.value = value
    }
}

/// A record header; Kafka allows repeated names and null values.
public struct Header: Sendable, Hashable {
    public var name: String
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = Array(value.utf8)
    }
}
