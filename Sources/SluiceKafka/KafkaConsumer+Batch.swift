import CRdKafka
import SluiceSupport

/// The messages one `KafkaConsumer.pollMessages` call took, still in librdkafka's buffers.
///
/// Iterating copies each message into a `KafkaMessage` only when it is reached: a batch needs
/// no array of copies, and each record can be freed as soon as it is processed (it stays in
/// cache meanwhile). The messages are destroyed when the batch is released: keep it on the
/// polling thread and release it before closing the consumer.
public final class PolledMessages: Sequence {
    private let handle: NativeHandle
    /// Each slot holds a message we own, or nil.
    private let messages: UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>
    /// How many messages were taken.
    public let count: Int

    fileprivate init(
        handle: NativeHandle, messages: UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>, count: Int
    ) {
        self.handle = handle
        self.messages = messages
        self.count = count
    }

    deinit {
        for index in 0..<count {
            if let message = messages[index] { rd_kafka_message_destroy(message) }
        }
        messages.deallocate()
    }

    public var isEmpty: Bool { count == 0 }

    public var underestimatedCount: Int { count }

    public func makeIterator() -> Iterator { Iterator(batch: self) }

    /// Copies out one message after another.
    public struct Iterator: IteratorProtocol {
        private let batch: PolledMessages
        private var index = 0
        private var topics = TopicNames()

        fileprivate init(batch: PolledMessages) {
            self.batch = batch
        }

        public mutating func next() -> KafkaMessage? {
            while index < batch.count {
                defer { index += 1 }
                guard let message = batch.messages[index] else { continue }
                return KafkaMessage(message, handle: batch.handle, topics: &topics)
            }
            return nil
        }
    }
}

extension KafkaConsumer {
    /// Like `pollBatch(maxMessages:timeoutMs:)`, but leaves the messages in librdkafka's
    /// buffers until they are iterated: waits up to `timeoutMs` for a first message, then
    /// takes up to `maxMessages` in all of those already fetched. Blocks.
    public func pollMessages(maxMessages: Int, timeoutMs: Int32) -> PolledMessages {
        let capacity = max(1, maxMessages)
        let messages = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: capacity)
        // Ownership: polled messages are ours, destroyed by the batch.
        guard maxMessages > 0, let first = rd_kafka_consumer_poll(handle.pointer, timeoutMs) else {
            return PolledMessages(handle: handle, messages: messages, count: 0)
        }
        messages[0] = first
        guard capacity > 1 else { return PolledMessages(handle: handle, messages: messages, count: 1) }
        // Ownership: a reference to the consumer queue, released before returning (librdkafka
        // requires that before rd_kafka_consumer_close).
        guard let queue = rd_kafka_queue_get_consumer(handle.pointer) else {
            return PolledMessages(handle: handle, messages: messages, count: 1)
        }
        defer { rd_kafka_queue_destroy(queue) }
        // Timeout 0: take only what is already queued.
        let more = max(0, rd_kafka_consume_batch_queue(queue, 0, messages + 1, capacity - 1))
        return PolledMessages(handle: handle, messages: messages, count: 1 + more)
    }
}
