import CRdKafka

/// A change of the partitions assigned to a consumer in a group.
public enum RebalanceEvent: Sendable, Hashable {
    /// These partitions were just added to the assignment (already applied: `seek`,
    /// `position` and `pause` work on them). Restore their state here.
    case assigned([TopicPartition])
    /// These partitions are about to be taken away (not yet applied): flush output and commit
    /// their offsets here. When `lost` is true another member may already own them, so
    /// commits will fail: drop uncommitted work instead.
    case revoked([TopicPartition], lost: Bool)
    /// The rebalance failed; the assignment was cleared.
    case failed(KafkaError)
}

/// Called on the thread that polls the consumer, inside `poll`/`pollBatch`/`close`.
/// It may call the consumer's methods (commit, seek, pause...).
public typealias RebalanceHandler = @Sendable (KafkaConsumer, RebalanceEvent) -> Void

/// What the rebalance callback needs, kept in `ClientCallbacks`.
struct RebalanceState: Sendable {
    var handler: RebalanceHandler?
    /// Weak: the consumer owns the callbacks object, not the other way round. Nil while the
    /// consumer is being destroyed, so the handler is then not called.
    weak var consumer: KafkaConsumer?
}

/// librdkafka's rebalance callback: applies the change (incrementally for the cooperative
/// protocol, wholesale for eager) and tells the Swift handler.
///
/// `partitions` belongs to librdkafka and is freed when this returns.
let rebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, NativePartitionList?, UnsafeMutableRawPointer?
    ) -> Void = { handle, err, partitions, opaque in
        guard let handle, let callbacks = ClientCallbacks.from(opaque) else { return }
        let changed = partitions.map { PartitionList.read($0).map(\.topicPartition) } ?? []
        let (handler, consumer) = callbacks.rebalance.withLock { ($0.handler, $0.consumer) }
        let cooperative = rd_kafka_rebalance_protocol(handle).map { String(cString: $0) } == "COOPERATIVE"
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            let failure =
                cooperative
                ? KafkaError(consuming: rd_kafka_incremental_assign(handle, partitions), context: "assign partitions")
                : KafkaError(rd_kafka_assign(handle, partitions), context: "assign partitions")
            if let failure { callbacks.record(failure) }
            if let handler, let consumer { handler(consumer, .assigned(changed)) }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(handle) != 0
            if let handler, let consumer { handler(consumer, .revoked(changed, lost: lost)) }
            let failure =
                cooperative
                ? KafkaError(consuming: rd_kafka_incremental_unassign(handle, partitions), context: "revoke partitions")
                : KafkaError(rd_kafka_assign(handle, nil), context: "revoke partitions")
            if let failure { callbacks.record(failure) }
        default:
            // librdkafka asks the application to clear its assignment to resynchronise.
            if let failure = KafkaError(rd_kafka_assign(handle, nil), context: "clear assignment") {
                callbacks.record(failure)
            }
            let failure =
                KafkaError(err, context: "rebalance failed") ?? KafkaError.local(err.rawValue, "rebalance failed")
            callbacks.record(failure)
            if let handler, let consumer { handler(consumer, .failed(failure)) }
        }
    }

/// librdkafka's offset commit callback: records failed commits as errors.
let offsetCommitCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, NativePartitionList?, UnsafeMutableRawPointer?
    ) -> Void = { _, err, offsets, opaque in
        guard let callbacks = ClientCallbacks.from(opaque) else { return }
        // _NO_OFFSET means there was nothing to commit: not an error.
        if err != RD_KAFKA_RESP_ERR_NO_ERROR, err != RD_KAFKA_RESP_ERR__NO_OFFSET,
            let failure = KafkaError(err, context: "offset commit failed")
        {
            callbacks.record(failure)
            return
        }
        for item in offsets.map({ PartitionList.read($0) }) ?? [] {
            if let error = item.error { callbacks.record(error) }
        }
    }
