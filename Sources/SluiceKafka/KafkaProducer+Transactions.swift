import CRdKafka

/// Transactions (needs `transactional.id` in the producer's configuration).
///
/// Each method blocks up to its timeout. On failure, look at the error: `isRetriable` means
/// call the same method again; `txnRequiresAbort` means `abortTransaction`, then rewind the
/// inputs to their committed offsets and begin again; `isFatal` (including `isFenced`, when a
/// newer instance took over the transactional id) means stop and destroy this producer.
extension KafkaProducer {
    /// Registers the transactional id with the coordinator, fencing older instances and
    /// finishing their open transaction. Call once, before the first transaction.
    public func initTransactions(timeoutMs: Int32) throws(KafkaError) {
        try check(rd_kafka_init_transactions(handle.pointer, timeoutMs), "init transactions")
    }

    /// Starts a transaction: messages produced until commit or abort belong to it. Does not
    /// contact the broker.
    public func beginTransaction() throws(KafkaError) {
        try check(rd_kafka_begin_transaction(handle.pointer), "begin transaction")
    }

    /// Adds the consumer's offsets (each the next offset to read) to the current transaction,
    /// so that they are committed with its output or not at all.
    public func sendOffsetsToTransaction(
        _ offsets: [TopicPartitionOffset], metadata: ConsumerGroupMetadata, timeoutMs: Int32
    ) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        var group: OpaquePointer?
        let readError = metadata.bytes.withUnsafeBytes {
            rd_kafka_consumer_group_metadata_read(&group, $0.baseAddress, $0.count)
        }
        try check(readError, "read group metadata")
        guard let group else {
            throw KafkaError.local(KafkaError.Code.invalidArgument, "invalid consumer group metadata")
        }
        // Ownership: group metadata read above is ours; rd_kafka_send_offsets_to_transaction
        // only borrows it and the offsets list.
        defer { rd_kafka_consumer_group_metadata_destroy(group) }
        let error = PartitionList.with(offsets) {
            rd_kafka_send_offsets_to_transaction(handle.pointer, $0, group, timeoutMs)
        }
        try check(error, "send offsets to transaction")
    }

    /// Flushes the transaction's messages and commits it. Blocks up to `timeoutMs`.
    public func commitTransaction(timeoutMs: Int32) throws(KafkaError) {
        try check(rd_kafka_commit_transaction(handle.pointer, timeoutMs), "commit transaction")
    }

    /// Aborts the transaction: its queued messages are purged (reported as failed) and
    /// read_committed consumers never see the rest. Blocks up to `timeoutMs`.
    public func abortTransaction(timeoutMs: Int32) throws(KafkaError) {
        try check(rd_kafka_abort_transaction(handle.pointer, timeoutMs), "abort transaction")
    }

    /// Throws the error librdkafka returned (taking ownership of it), if any.
    private func check(_ error: OpaquePointer?, _ what: String) throws(KafkaError) {
        if let failure = KafkaError(consuming: error, context: what) { throw failure }
    }
}

extension KafkaProducer {
    /// The low and high watermarks of a partition. Blocks up to `timeoutMs`.
    public func queryWatermarks(topic: String, partition: Int32, timeoutMs: Int32) throws(KafkaError) -> Watermarks {
        try ClientQueries.queryWatermarks(handle, topic: topic, partition: partition, timeoutMs: timeoutMs)
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
