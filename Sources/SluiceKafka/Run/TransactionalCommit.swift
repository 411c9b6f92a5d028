import SluiceCore
import SluiceSupport

/// Exactly-once bookkeeping: whether a transaction is open, and rewinding after failures.
struct TransactionState {
    var open = false
    /// Why the open work must be aborted and redone from the last commit (see
    /// TransactionRewind); nil normally.
    var rewindReason: String?
    /// Rewinds since the last successful commit.
    var rewinds = 0
    /// The engine's counters at the last commit: a rewind does not count redone inputs twice.
    var committedStats = EngineStats()
}

extension RunOptions {
    /// True in exactly-once mode.
    public var isExactlyOnce: Bool { guarantee == .exactlyOnce }
}

extension RunSettings {
    /// The transactional id of an exactly-once run: stable per pipeline, group and (with
    /// static membership) instance, so that a restarted instance fences its predecessor.
    /// One producer per process (consumer-group-metadata fencing, as Kafka's EOS v2).
    public func transactionalID(pipeline: String) -> String {
        if let id = properties["transactional.id"], !id.isEmpty { return id }
        if let instance = properties["group.instance.id"], !instance.isEmpty { return "\(group)-\(pipeline)-\(instance)-eos" }
        return "\(group)-\(pipeline)-eos"
    }

    /// The producer configuration of an exactly-once run.
    func transactionalProducerConfig(pipeline: String) -> KafkaConfig {
        var config = producerConfig
        config["transactional.id"] = transactionalID(pipeline: pipeline)
        config["enable.idempotence"] = "true"
        return config
    }

    /// The consumer configuration of an exactly-once run: committed input only, offsets
    /// committed through the producer's transactions.
    var transactionalConsumerConfig: KafkaConfig {
        var config = consumerConfig
        config["isolation.level"] = "read_committed"
        return config
    }
}

extension RunCore {
    /// How long one transactional call may block.
    static let transactionTimeoutMs: Int32 = 30_000

    /// What a run stopped by a newer instance with its transactional id reports.
    static let fencedMessage = "fenced by a newer instance (same transactional id): stopping"

    /// Begins a transaction before the first record of a batch is produced.
    func ensureTransaction() {
        guard options.isExactlyOnce, !transaction.open, failure == nil, !isRewinding else { return }
        do {
            try producer.beginTransaction()
            transaction.open = true
        } catch {
            transactionFailed(error, "begin")
        }
    }

    /// Ends a batch in exactly-once mode: writes state, waits for every output, adds the
    /// input positions to the transaction and commits it. A failure aborts the transaction and
    /// rewinds to the last commit (TransactionRewind); a fenced producer stops the run.
    func commitTransaction(consumer: KafkaConsumer) {
        lastCheckpointMs = RunClock.monotonicMs()
        if isRewinding { return rewind(consumer: consumer) }
        writeState()
        let deadline = RunClock.monotonicMs() + max(options.drainTimeoutMs, 1000)
        serveDeliveries(retrying: false)
        while failure == nil, !isRewinding, tracker.pendingCount > 0, RunClock.monotonicMs() < deadline {
            // flush returns as soon as everything is acknowledged (a poll would wait its timeout).
            try? producer.flush(timeoutMs: Int32(clamping: min(100, max(1, deadline - RunClock.monotonicMs()))))
            serveDeliveries(retrying: false)
        }
        guard failure == nil else { return abortAfterFailure() }
        if !isRewinding && tracker.pendingCount > 0 { requestRewind("outputs not acknowledged within --drain-timeout") }
        if isRewinding { return rewind(consumer: consumer) }
        _ = tracker.advance(stateDurableBefore: stateDurableBefore)
        var offsets: [TopicPartitionOffset] = []
        for (partition, offset) in tracker.safe where assigned.contains(partition) && committed[partition] != offset {
            offsets.append(TopicPartitionOffset(partition, offset: offset))
        }
        guard transaction.open || !offsets.isEmpty else { return }
        ensureTransaction()
        guard failure == nil else { return }
        if isRewinding { return rewind(consumer: consumer) }
        do throws(KafkaError) {
            if !offsets.isEmpty {
                let metadata = try consumer.groupMetadata()
                try producer.sendOffsetsToTransaction(offsets, metadata: metadata, timeoutMs: Self.transactionTimeoutMs)
            }
            if TransactionFaults.nextCommitFails() {
                throw KafkaError(code: KafkaError.Code.timedOut, message: "injected commit failure (test)", isRetriable: false, txnRequiresAbort: true)
            }
            try producer.commitTransaction(timeoutMs: Self.transactionTimeoutMs)
            transaction.open = false
        } catch {
            transactionFailed(error, "commit")
            return rewind(consumer: consumer)
        }
        transaction.rewinds = 0
        transaction.committedStats = stats
        if !offsets.isEmpty {
            log(.debug, "transaction committed", [RunLogField("offsets", offsets.map(\.description).sorted().joined(separator: ","))])
        }
        for item in offsets {
            committed[item.topicPartition] = item.offset
            committedEver[item.topicPartition] = item.offset
        }
    }

    /// After a transactional call failed: a fenced or fatally failed producer stops the run at
    /// once; otherwise the work since the last commit is aborted and redone (a rewind).
    private func transactionFailed(_ error: KafkaError, _ what: String) {
        if error.isFenced {
            transaction.open = false
            return fail(Self.fencedMessage)
        }
        if error.isFatal {
            abortAfterFailure()
            return fail("transaction \(what) failed, transaction aborted: \(error); restart to resume from the last committed transaction")
        }
        requestRewind("transaction \(what) failed: \(error)")
    }

    /// Aborts the open transaction, if any, ignoring errors (the run is stopping; a
    /// restarted instance aborts it anyway when it initializes its transactions).
    func abortAfterFailure() {
        guard transaction.open else { return }
        transaction.open = false
        try? producer.abortTransaction(timeoutMs: Self.transactionTimeoutMs)
    }
}
