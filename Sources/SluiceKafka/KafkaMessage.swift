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
        case .record(let record): self = .record(record.copy())
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
/// topic builds its name once.
struct TopicNames {
    private var handle: OpaquePointer?
    private var name = ""

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
