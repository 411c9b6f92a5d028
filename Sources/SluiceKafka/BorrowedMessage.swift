import CRdKafka
import SluiceSupport

/// A consumed record whose key and value still live in librdkafka's buffers.
///
/// Valid only inside the closure it is passed to (the message is destroyed afterwards): read
/// what you need, or `copy()` it. Saves two allocations and copies per record on hot paths
/// (for example parsing JSON straight from `value`).
public struct BorrowedRecord {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    /// Milliseconds since the epoch; -1 when the broker gave none.
    public let timestamp: Int64
    public let key: UnsafeRawBufferPointer?
    /// Nil for a tombstone.
    public let value: UnsafeRawBufferPointer?
    private let message: UnsafePointer<rd_kafka_message_t>

    init(_ message: UnsafePointer<rd_kafka_message_t>, topic: String) {
        let fields = message.pointee
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        self.topic = topic
        self.partition = fields.partition
        self.offset = fields.offset
        self.timestamp = rd_kafka_message_timestamp(message, &type)
        self.key = fields.key.map { UnsafeRawBufferPointer(start: $0, count: fields.key_len) }
        self.value = fields.payload.map { UnsafeRawBufferPointer(start: $0, count: fields.len) }
        self.message = message
    }

    /// The record's headers, copied (parsed on first use by librdkafka).
    public var headers: [Header] {
        // The header list belongs to the message: read, not freed.
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

    /// An owned copy, safe to keep and to send to other threads.
    public func copy() -> Record {
        Record(
            topic: topic, partition: partition, offset: offset, timestamp: timestamp,
            key: key.map { Array($0) }, headers: headers, value: value.map { Array($0) })
    }

    /// An owned copy whose key may share storage with an equal key copied before.
    func copy(names: inout TopicNames) -> Record {
        Record(
            topic: topic, partition: partition, offset: offset, timestamp: timestamp,
            key: key.map { names.key($0) }, headers: headers, value: value.map { Array($0) })
    }
}

/// What a borrowing batch poll hands to its closure.
public enum BorrowedMessage {
    case record(BorrowedRecord)
    /// The end of a partition was reached (with `enable.partition.eof=true`).
    case partitionEnd(TopicPartitionOffset)
    case error(KafkaError)

    /// Classifies a consumed message, which stays owned by the caller.
    init(_ message: UnsafePointer<rd_kafka_message_t>, handle: NativeHandle, topics: inout TopicNames) {
        let fields = message.pointee
        let topic = topics.name(of: fields.rkt)
        switch fields.err {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            self = .record(BorrowedRecord(message, topic: topic))
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
}

extension KafkaConsumer {
    /// Like `pollBatch(maxMessages:timeoutMs:)`, but hands each message to `body` without
    /// copying it; returns how many messages were handled. Blocks up to `timeoutMs`.
    ///
    /// Each `BorrowedRecord` is valid only during its call to `body`.
    @discardableResult
    public func pollBatch(maxMessages: Int, timeoutMs: Int32, _ body: (BorrowedMessage) -> Void) -> Int {
        var topics = TopicNames()
        return withPolledMessages(maxMessages: maxMessages, timeoutMs: timeoutMs) { message in
            body(BorrowedMessage(message, handle: handle, topics: &topics))
        }
    }

    /// Waits up to `timeoutMs` for a first message, then takes what else is already fetched,
    /// up to `maxMessages` in all, calling `body` with each and destroying it afterwards.
    @discardableResult
    func withPolledMessages(
        maxMessages: Int, timeoutMs: Int32, _ body: (UnsafePointer<rd_kafka_message_t>) -> Void
    ) -> Int {
        guard maxMessages > 0 else { return 0 }
        // Ownership: a polled message is ours; destroyed once `body` has read it.
        guard let first = rd_kafka_consumer_poll(handle.pointer, timeoutMs) else { return 0 }
        body(first)
        rd_kafka_message_destroy(first)
        let wanted = maxMessages - 1
        guard wanted > 0 else { return 1 }
        // Ownership: a reference to the consumer queue, released before returning (librdkafka
        // requires that before rd_kafka_consumer_close).
        guard let queue = rd_kafka_queue_get_consumer(handle.pointer) else { return 1 }
        defer { rd_kafka_queue_destroy(queue) }
        let buffer = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: wanted)
        defer { buffer.deallocate() }
        // Timeout 0: take only what is already queued. Each returned message is ours.
        let count = max(0, rd_kafka_consume_batch_queue(queue, 0, buffer, wanted))
        for index in 0..<count {
            guard let message = buffer[index] else { continue }
            body(message)
            rd_kafka_message_destroy(message)
        }
        return 1 + count
    }
}
