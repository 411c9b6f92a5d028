import SluiceCore
import SluiceSupport

/// Whether the run's producer has a transaction open (exactly-once mode only).
struct TransactionState {
    var open = false
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
        guard options.isExactlyOnce, !transaction.open, failure == nil else { return }
        do {
            try producer.beginTransaction()
            transaction.open = true
        } catch {
            transactionFailed(error, "begin")
        }
    }

    /// Ends a batch in exactly-once mode: writes state, waits for every output, adds the
    /// input positions to the transaction and commits it. Any failure aborts the transaction
    /// and stops the run (a restart resumes from the last committed transaction).
    func commitTransaction(consumer: KafkaConsumer) {
        lastCheckpointMs = RunClock.monotonicMs()
        writeState()
        let deadline = RunClock.monotonicMs() + max(options.drainTimeoutMs, 1000)
        serveDeliveries(retrying: false)
        while failure == nil, tracker.pendingCount > 0, RunClock.monotonicMs() < deadline {
            producer.poll(timeoutMs: 20)
            serveDeliveries(retrying: false)
        }
        guard failure == nil else { return abortAfterFailure() }
        guard tracker.pendingCount == 0 else {
            abortAfterFailure()
            return fail("outputs not acknowledged within --drain-timeout: transaction aborted; the uncommitted input will be processed again")
        }
        _ = tracker.advance(stateDurableBefore: stateDurableBefore)
        var offsets: [TopicPartitionOffset] = []
        for (partition, offset) in tracker.safe where assigned.contains(partition) && committed[partition] != offset {
            offsets.append(TopicPartitionOffset(partition, offset: offset))
        }
        guard transaction.open || !offsets.isEmpty else { return }
        ensureTransaction()
        guard failure == nil else { return }
        do {
            if !offsets.isEmpty {
                let metadata = try consumer.groupMetadata()
                try producer.sendOffsetsToTransaction(offsets, metadata: metadata, timeoutMs: Self.transactionTimeoutMs)
            }
            try producer.commitTransaction(timeoutMs: Self.transactionTimeoutMs)
            transaction.open = false
        } catch {
            return transactionFailed(error, "commit")
        }
        if !offsets.isEmpty {
            log(.debug, "transaction committed", [RunLogField("offsets", offsets.map(\.description).sorted().joined(separator: ","))])
        }
        for item in offsets {
            committed[item.topicPartition] = item.offset
            committedEver[item.topicPartition] = item.offset
        }
    }

    /// Stops the run after a transactional call failed: a fenced producer stops at once;
    /// otherwise the open transaction is aborted first.
    private func transactionFailed(_ error: KafkaError, _ what: String) {
        if error.isFenced {
            transaction.open = false
            return fail(Self.fencedMessage)
        }
        abortAfterFailure()
        fail("transaction \(what) failed, transaction aborted: \(error); restart to resume from the last committed transaction")
    }

    /// Aborts the open transaction, if any, ignoring errors (the run is stopping; a
    /// restarted instance aborts it anyway when it initializes its transactions).
    func abortAfterFailure() {
        guard transaction.open else { return }
        transaction.open = false
        try? producer.abortTransaction(timeoutMs: Self.transactionTimeoutMs)
    }
}
