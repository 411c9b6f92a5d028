import CRdKafka

/// What the cluster reports about one topic.
public struct TopicMetadata: Sendable, Hashable {
    public var name: String
    /// Partition ids, in the order the broker listed them.
    public var partitions: [Int32]
    /// A topic-level error (such as `UNKNOWN_TOPIC_OR_PART`), if any.
    public var error: KafkaError?
}

/// Metadata and watermark requests shared by producers, consumers and the admin client.
enum ClientQueries {
    /// Asks the partition's leader for its watermarks. Blocks up to `timeoutMs`.
    static func queryWatermarks(_ handle: NativeHandle, topic: String, partition: Int32, timeoutMs: Int32)
        throws(KafkaError) -> Watermarks
    {
        var low: Int64 = 0
        var high: Int64 = 0
        let err = rd_kafka_query_watermark_offsets(handle.pointer, topic, partition, &low, &high, timeoutMs)
        if let error = KafkaError(err, context: "query watermarks of \(topic)[\(partition)]") { throw error }
        return Watermarks(low: low, high: high)
    }

    /// The watermarks last seen in fetch responses. Does not block.
    static func cachedWatermarks(_ handle: NativeHandle, topic: String, partition: Int32) throws(KafkaError)
        -> Watermarks
    {
        var low: Int64 = 0
        var high: Int64 = 0
        let err = rd_kafka_get_watermark_offsets(handle.pointer, topic, partition, &low, &high)
        if let error = KafkaError(err, context: "read watermarks of \(topic)[\(partition)]") { throw error }
        return Watermarks(low: low, high: high)
    }

    /// Every topic in the cluster. Asking for all topics (rather than one) never makes the
    /// broker auto-create a topic. Blocks up to `timeoutMs`.
    static func topics(_ handle: NativeHandle, timeoutMs: Int32) throws(KafkaError) -> [TopicMetadata] {
        try cluster(handle, timeoutMs: timeoutMs).topics
    }

    /// The brokers and topics of the cluster. Blocks up to `timeoutMs`.
    static func cluster(_ handle: NativeHandle, timeoutMs: Int32) throws(KafkaError) -> (
        brokerIDs: [Int32], topics: [TopicMetadata]
    ) {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle.pointer, 1, nil, &metadata, timeoutMs)
        if let error = KafkaError(err, context: "fetch metadata") { throw error }
        guard let metadata else { return ([], []) }
        // Ownership: rd_kafka_metadata hands us the result, destroyed once copied.
        defer { rd_kafka_metadata_destroy(metadata) }
        let brokerCount = Int(metadata.pointee.broker_cnt)
        let brokerIDs: [Int32] =
            if brokerCount > 0, let brokers = metadata.pointee.brokers {
                (0..<brokerCount).map { brokers[$0].id }
            } else {
                []
            }
        let count = Int(metadata.pointee.topic_cnt)
        guard count > 0, let topics = metadata.pointee.topics else { return (brokerIDs, []) }
        let result = (0..<count).map { index in
            let topic = topics[index]
            let name = topic.topic.map { String(cString: $0) } ?? ""
            let partitions: [Int32] =
                if topic.partition_cnt > 0, let list = topic.partitions {
                    (0..<Int(topic.partition_cnt)).map { list[$0].id }
                } else {
                    []
                }
            return TopicMetadata(
                name: name, partitions: partitions, error: KafkaError(topic.err, context: "topic \"\(name)\""))
        }
        return (brokerIDs, result)
    }

    /// The partition count of `topic`; throws when the cluster does not know it.
    static func partitionCount(_ handle: NativeHandle, topic: String, timeoutMs: Int32) throws(KafkaError) -> Int {
        let found = try topics(handle, timeoutMs: timeoutMs).first { $0.name == topic }
        guard let found else {
            throw KafkaError(
                code: KafkaError.Code.unknownTopicOrPartition, message: "topic \"\(topic)\" does not exist",
                isRetriable: false)
        }
        if let error = found.error { throw error }
        return found.partitions.count
    }
}
