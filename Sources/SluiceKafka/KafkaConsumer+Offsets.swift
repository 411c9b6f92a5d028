import CRdKafka

/// The consumer's group position, opaque, for `KafkaProducer.sendOffsetsToTransaction`.
///
/// Holds librdkafka's serialized form, which is only valid inside this process.
public struct ConsumerGroupMetadata: Sendable, Hashable {
    let bytes: [UInt8]

    public var isEmpty: Bool { bytes.isEmpty }
}

extension KafkaConsumer {
    /// Commits offsets to the group: the given ones (each the offset of the *next* record to
    /// read), or with nil the offsets of the records polled so far. A synchronous commit
    /// blocks until the coordinator answers and throws on any partition's failure; an
    /// asynchronous one returns at once and reports failures through `takeErrors()`.
    public func commit(_ offsets: [TopicPartitionOffset]? = nil, async: Bool = false) throws(KafkaError) {
        let asyncFlag: Int32 = async ? 1 : 0
        guard let offsets else {
            let err = rd_kafka_commit(handle.pointer, nil, asyncFlag)
            // _NO_OFFSET: nothing was consumed since the last commit.
            if err == RD_KAFKA_RESP_ERR__NO_OFFSET { return }
            if let error = KafkaError(err, context: "commit offsets") { throw error }
            return
        }
        guard !offsets.isEmpty else { return }
        let results = try PartitionList.with(offsets) { (list) throws(KafkaError) -> [TopicPartitionOffset] in
            if let error = KafkaError(rd_kafka_commit(handle.pointer, list, asyncFlag), context: "commit offsets") {
                throw error
            }
            return async ? [] : PartitionList.read(list)
        }
        if let error = results.lazy.compactMap(\.error).first { throw error }
    }

    /// Marks offsets as processed without committing them: with `enable.auto.commit=true` and
    /// `enable.auto.offset.store=false`, librdkafka then commits them in the background.
    public func storeOffsets(_ offsets: [TopicPartitionOffset]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let results = try PartitionList.with(offsets) { (list) throws(KafkaError) -> [TopicPartitionOffset] in
            if let error = KafkaError(rd_kafka_offsets_store(handle.pointer, list), context: "store offsets") {
                throw error
            }
            return PartitionList.read(list)
        }
        if let error = results.lazy.compactMap(\.error).first { throw error }
    }

    /// The group's committed offsets for `partitions` (`KafkaOffset.invalid` where nothing
    /// was committed). Blocks up to `timeoutMs`.
    public func committed(_ partitions: [TopicPartition], timeoutMs: Int32) throws(KafkaError) -> [TopicPartitionOffset]
    {
        try PartitionList.with(partitions.map { TopicPartitionOffset($0, offset: KafkaOffset.invalid) }) {
            (list) throws(KafkaError) -> [TopicPartitionOffset] in
            if let error = KafkaError(
                rd_kafka_committed(handle.pointer, list, timeoutMs), context: "fetch committed offsets")
            {
                throw error
            }
            return PartitionList.read(list)
        }
    }

    /// The offsets the consumer will read next in `partitions` (`KafkaOffset.invalid` before
    /// the first record). Does not block.
    public func position(_ partitions: [TopicPartition]) throws(KafkaError) -> [TopicPartitionOffset] {
        try PartitionList.with(partitions.map { TopicPartitionOffset($0, offset: KafkaOffset.invalid) }) {
            (list) throws(KafkaError) -> [TopicPartitionOffset] in
            if let error = KafkaError(rd_kafka_position(handle.pointer, list), context: "read positions") {
                throw error
            }
            return PartitionList.read(list)
        }
    }

    /// The partitions currently assigned to this consumer.
    public func assignment() throws(KafkaError) -> [TopicPartition] {
        var list: NativePartitionList?
        let err = rd_kafka_assignment(handle.pointer, &list)
        // Ownership: rd_kafka_assignment hands us a new list, destroyed here.
        defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
        if let error = KafkaError(err, context: "read assignment") { throw error }
        return list.map { PartitionList.read($0).map(\.topicPartition) } ?? []
    }

    /// Moves the read position of assigned partitions (for example back to the committed
    /// offsets after an aborted transaction). Blocks up to `timeoutMs`; 0 does not wait.
    public func seek(_ offsets: [TopicPartitionOffset], timeoutMs: Int32) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let results = try PartitionList.with(offsets) { (list) throws(KafkaError) -> [TopicPartitionOffset] in
            if let error = KafkaError(
                consuming: rd_kafka_seek_partitions(handle.pointer, list, timeoutMs), context: "seek")
            {
                throw error
            }
            return PartitionList.read(list)
        }
        if let error = results.lazy.compactMap(\.error).first { throw error }
    }

    /// Stops fetching from these partitions (they stay assigned), for back-pressure.
    public func pause(_ partitions: [TopicPartition]) throws(KafkaError) {
        try changeFetching(partitions, pause: true)
    }

    /// Fetches again from paused partitions.
    public func resume(_ partitions: [TopicPartition]) throws(KafkaError) {
        try changeFetching(partitions, pause: false)
    }

    private func changeFetching(_ partitions: [TopicPartition], pause: Bool) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        let items = partitions.map { TopicPartitionOffset($0, offset: KafkaOffset.invalid) }
        let results = try PartitionList.with(items) { (list) throws(KafkaError) -> [TopicPartitionOffset] in
            let err =
                pause
                ? rd_kafka_pause_partitions(handle.pointer, list) : rd_kafka_resume_partitions(handle.pointer, list)
            if let error = KafkaError(err, context: pause ? "pause" : "resume") { throw error }
            return PartitionList.read(list)
        }
        if let error = results.lazy.compactMap(\.error).first { throw error }
    }

    /// The consumer's group metadata (group, generation, member), for transactions.
    public func groupMetadata() throws(KafkaError) -> ConsumerGroupMetadata {
        // Ownership: rd_kafka_consumer_group_metadata returns an object we destroy here.
        guard let metadata = rd_kafka_consumer_group_metadata(handle.pointer) else {
            throw KafkaError.local(KafkaError.Code.state, "the consumer has no group metadata (is group.id set?)")
        }
        defer { rd_kafka_consumer_group_metadata_destroy(metadata) }
        var buffer: UnsafeMutableRawPointer?
        var size = 0
        if let error = KafkaError(
            consuming: rd_kafka_consumer_group_metadata_write(metadata, &buffer, &size), context: "read group metadata")
        {
            throw error
        }
        // Ownership: the serialized buffer is ours, freed with rd_kafka_mem_free.
        defer { rd_kafka_mem_free(nil, buffer) }
        return ConsumerGroupMetadata(bytes: copyBytes(buffer, count: size) ?? [])
    }

    /// The low and high watermarks of a partition, asked of its leader. Blocks up to
    /// `timeoutMs`.
    public func queryWatermarks(topic: String, partition: Int32, timeoutMs: Int32) throws(KafkaError) -> Watermarks {
        try ClientQueries.queryWatermarks(handle, topic: topic, partition: partition, timeoutMs: timeoutMs)
    }

    /// The watermarks last seen in fetch responses (no request; needs consumption to have
    /// started on the partition). Does not block.
    public func cachedWatermarks(topic: String, partition: Int32) throws(KafkaError) -> Watermarks {
        try ClientQueries.cachedWatermarks(handle, topic: topic, partition: partition)
    }

    /// Topic metadata from the cluster. Blocks up to `timeoutMs`.
    public func topicMetadata(timeoutMs: Int32) throws(KafkaError) -> [TopicMetadata] {
        try ClientQueries.topics(handle, timeoutMs: timeoutMs)
    }

    /// The number of partitions of `topic`; throws if it does not exist. Blocks up to
    /// `timeoutMs`.
    public func partitionCount(topic: String, timeoutMs: Int32) throws(KafkaError) -> Int {
        try ClientQueries.partitionCount(handle, topic: topic, timeoutMs: timeoutMs)
    }
}
