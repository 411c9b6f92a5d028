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
        let fields = message.pointee
        let topic = topics.name(of: fields.rkt)
        switch fields.err {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let timestamp = rd_kafka_message_timestamp(message, &type)
            self = .record(Record(
                topic: topic, partition: fields.partition, offset: fields.offset, timestamp: timestamp,
                key: copyBytes(fields.key, count: fields.key_len),
                headers: KafkaMessage.headers(of: message),
                value: copyBytes(fields.payload, count: fields.len)))
        case RD_KAFKA_RESP_ERR__PARTITION_EOF:
            self = .partitionEnd(TopicPartitionOffset(topic: topic, partition: fields.partition, offset: fields.offset))
        case RD_KAFKA_RESP_ERR__FATAL:
            self = .error(
                KafkaError.fatalError(of: handle)
                    ?? KafkaError(code: fields.err.rawValue, message: "fatal consumer error", isFatal: true))
        default:
            // For consumer errors the payload holds librdkafka's error text.
            let text = String(cString: rd_kafka_message_errstr(message))
            let place = topic.isEmpty ? "consumer" : "\(topic)[\(fields.partition)]"
            self = .error(KafkaError(code: fields.err.rawValue, message: "\(place): \(text)"))
        }
    }

    init(_ message: UnsafePointer<rd_kafka_message_t>, handle: NativeHandle) {
        var topics = TopicNames()
        self.init(message, handle: handle, topics: &topics)
    }

    /// Copies the message's headers (the list belongs to the message: not freed here).
    private static func headers(of message: UnsafePointer<rd_kafka_message_t>) -> [Header] {
        var list: OpaquePointer?
        guard rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        var headers: [Header] = []
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            headers.append(Header(name: name.map { String(cString: $0) } ?? "", value: copyBytes(value, count: size)))
            index += 1
        }
        return headers
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
