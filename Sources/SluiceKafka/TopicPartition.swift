import CRdKafka

/// One partition of one topic.
public struct TopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }

    public static func < (a: TopicPartition, b: TopicPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }
}

/// A partition with an offset: a position, a committed offset or an offset to commit.
///
/// As in Kafka, a committed offset is the offset of the *next* record to read: after
/// processing the record at offset 41, commit 42.
public struct TopicPartitionOffset: Sendable, Hashable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    /// An offset, or one of the `KafkaOffset` logical values.
    public var offset: Int64
    /// A per-partition error in results (for example a failed commit).
    public var error: KafkaError?

    public init(topic: String, partition: Int32, offset: Int64, error: KafkaError? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.error = error
    }

    public init(_ partition: TopicPartition, offset: Int64) {
        self.init(topic: partition.topic, partition: partition.partition, offset: offset)
    }

    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }

    public var description: String { "\(topic)[\(partition)]@\(offset)" }
}

/// librdkafka's logical offsets.
public enum KafkaOffset {
    /// The oldest retained record.
    public static let beginning: Int64 = Int64(RD_KAFKA_OFFSET_BEGINNING)
    /// The next record to be written.
    public static let end: Int64 = Int64(RD_KAFKA_OFFSET_END)
    /// The committed offset (falling back to `auto.offset.reset`).
    public static let stored: Int64 = Int64(RD_KAFKA_OFFSET_STORED)
    /// No offset: not yet known, or nothing committed.
    public static let invalid: Int64 = Int64(RD_KAFKA_OFFSET_INVALID)
}

/// Low and high watermarks of a partition: the first retained offset and the next offset to
/// be written. Lag of a consumer at position `p` is `high - p`.
public struct Watermarks: Sendable, Hashable {
    public var low: Int64
    public var high: Int64

    public init(low: Int64, high: Int64) {
        self.low = low
        self.high = high
    }
}

typealias NativePartitionList = UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

/// Conversions between Swift values and `rd_kafka_topic_partition_list_t`.
enum PartitionList {
    /// A new list holding `items`.
    ///
    /// Ownership: the caller owns the list and must call `rd_kafka_topic_partition_list_destroy`
    /// (the list copies the topic names).
    static func make(_ items: [TopicPartitionOffset]) -> NativePartitionList {
        // Never NULL: librdkafka aborts the process when it cannot allocate.
        let list: NativePartitionList = rd_kafka_topic_partition_list_new(Int32(clamping: items.count))
        for item in items {
            // The returned element belongs to the list; we only set its offset.
            let element = rd_kafka_topic_partition_list_add(list, item.topic, item.partition)
            element?.pointee.offset = item.offset
        }
        return list
    }

    /// A new list of partitions with the `invalid` offset; same ownership as `make(_:)`.
    static func make(_ partitions: [TopicPartition]) -> NativePartitionList {
        make(partitions.map { TopicPartitionOffset($0, offset: KafkaOffset.invalid) })
    }

    /// Copies a list's elements out (the list stays owned by whoever owned it).
    static func read(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [TopicPartitionOffset] {
        let count = Int(list.pointee.cnt)
        guard count > 0, let elements = list.pointee.elems else { return [] }
        return (0..<count).map { index in
            let element = elements[index]
            let topic = element.topic.map { String(cString: $0) } ?? ""
            let error = KafkaError(element.err, context: "\(topic)[\(element.partition)]")
            return TopicPartitionOffset(
                topic: topic, partition: element.partition, offset: element.offset, error: error)
        }
    }

    /// Runs `body` with a temporary list holding `items`, destroying it afterwards.
    static func with<T, E: Error>(
        _ items: [TopicPartitionOffset], _ body: (NativePartitionList) throws(E) -> T
    ) throws(E) -> T {
        let list = make(items)
        // Ownership: this function created the list, so it destroys it.
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return try body(list)
    }
}
