import CRdKafka
import SluiceSupport

/// What a consumer poll returns: a record, the end of a partition, or an error.
public enum KafkaMessage: Sendable, Hashable {
    case record(Record)
    /// The consumer reached the current end of a partition (only with
    /// `enable.partition.eof=true`); `offset` is the next offset to be written.
    case partitionEnd(TopicPartitionOffset)
    /// A consumer error; most are informational and librdkafka recovers by itself, unless
    /// `isFatal`.
    case error(KafkaError)

    public var record: Record? {
        if case .record(let record) = self { record } else { nil }
    }
}

extension KafkaMessage {
    /// Copies a consumed message out. The message stays owned by the caller, who destroys it.
    init(_ message: UnsafePointer<rd_kafka_message_t>, handle: NativeHandle, topics: inout TopicNames) {
        switch BorrowedMessage(message, handle: handle, topics: &topics) {
        case .record(let record): self = .record(record.copy(names: &topics))
        case .partitionEnd(let end): self = .partitionEnd(end)
        case .error(let error): self = .error(error)
        }
    }

    init(_ message: UnsafePointer<rd_kafka_message_t>, handle: NativeHandle) {
        var topics = TopicNames()
        self.init(message, handle: handle, topics: &topics)
    }
}

/// Remembers the name of the last topic handle seen, so that a batch of messages from one
/// topic builds its name once, and a few recent keys, so that a batch with few distinct keys
/// (categories, regions) shares their storage instead of allocating one array per message.
struct TopicNames {
    private var handle: OpaquePointer?
    private var name = ""
    private var keys: [[UInt8]] = []
    private var nextKeySlot = 0
    private var keyLookups = 0
    private var keyHits = 0

    /// Keys remembered per batch, and the longest one worth remembering.
    static let keyCacheSize = 8
    static let maxCachedKeyLength = 64

    /// `bytes` as an array, shared with an equal recent key when there is one. Gives up
    /// looking once most keys turn out distinct.
    mutating func key(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        guard bytes.count <= Self.maxCachedKeyLength, keyLookups < 256 || keyHits * 2 >= keyLookups else {
            return Array(bytes)
        }
        keyLookups += 1
        for key in keys where key.count == bytes.count {
            if key.withUnsafeBytes({ $0.elementsEqual(bytes) }) {
                keyHits += 1
                return key
            }
        }
        let key = Array(bytes)
        if keys.count < Self.keyCacheSize {
            keys.append(key)
        } else {
            keys[nextKeySlot] = key
            nextKeySlot = (nextKeySlot + 1) % Self.keyCacheSize
        }
        return key
    }

    mutating func name(of topic: OpaquePointer?) -> String {
        guard let topic else { return "" }
        if topic != handle {
            // The name belongs to the topic handle, which outlives the message: copy it.
            name = String(cString: rd_kafka_topic_name(topic))
            handle = topic
        }
        return name
    }
}
