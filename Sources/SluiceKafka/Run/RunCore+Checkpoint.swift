import SluiceCore
import SluiceSupport

extension RunCore {
    /// Writes changed state to the changelog, then commits every input offset whose outputs
    /// and state are acknowledged.
    func checkpoint(consumer: KafkaConsumer, sync: Bool, only partitions: Set<TopicPartition>? = nil) {
        if options.isExactlyOnce { return timingCommit { commitTransaction(consumer: consumer) } }
        lastCheckpointMs = RunClock.monotonicMs()
        writeState()
        serveDeliveries()
        guard failure == nil else { return }
        let moved = tracker.advance(stateDurableBefore: stateDurableBefore)
        // Now and then every offset again: librdkafka may retry a failed asynchronous commit
        // after a newer one succeeded, leaving an older offset with the broker.
        if lastCheckpointMs - lastFullCommitMs >= RunCore.fullCommitIntervalMs {
            lastFullCommitMs = lastCheckpointMs
            recommitAll = true
        }
        if moved || recommitAll || sync { timingCommit { commit(consumer: consumer, sync: sync, only: partitions) } }
    }

    /// How often every offset is committed again, changed or not.
    static let fullCommitIntervalMs: Int64 = 5000

    /// Produces the state entries that changed since the last write (and tombstones for those
    /// gone). They may hold the effect of any input since the last write, so they count as
    /// outputs of the first of those: no such input is committed before they are acknowledged.
    func writeState() {
        guard let changelog else { return }
        let mark = (nextSequence, engine.stats.windowsClosed)
        guard mark != lastStateMark else {
            stateDurableBefore = nextSequence
            releaseMarkers()
            return
        }
        let owned = Set(assigned.map(\.partition))
        var writes = changelog.changes(to: engine.snapshot(), owned: owned)
        checkStatePlacement(writes, owned: owned)
        let cause = stateDurableBefore
        // Position markers wait for what they cover (exactly once: the transaction does).
        let markers = writes.filter { $0.key == Changelog.streamTimeKey }
        writes.removeAll { $0.key == Changelog.streamTimeKey }
        changelog.hold(markers, before: options.isExactlyOnce ? 0 : nextSequence, cause: max(cause, nextSequence &- 1))
        for write in writes {
            let record = Record(topic: write.topic, partition: write.partition, timestamp: 0, key: write.key, value: write.value)
            produce(record, partition: write.partition, cause: cause, retry: false)
            if failure != nil { return }
        }
        lastStateMark = mark
        stateDurableBefore = nextSequence
        releaseMarkers()
    }

    /// Commits the safe offsets that changed (all of them after a failed commit).
    func commit(consumer: KafkaConsumer, sync: Bool, only partitions: Set<TopicPartition>? = nil) {
        // Exactly once: offsets are committed only inside transactions.
        guard !options.isExactlyOnce else { return }
        // A synchronous commit (stop, revocation) sends every offset again: an earlier
        // asynchronous one may have been lost to a retried older request overtaking it.
        let all = recommitAll || sync
        var offsets: [TopicPartitionOffset] = []
        for (partition, offset) in tracker.safe where assigned.contains(partition) && (partitions?.contains(partition) ?? true) {
            if all || committed[partition] != offset { offsets.append(TopicPartitionOffset(partition, offset: offset)) }
        }
        recommitAll = false
        guard !offsets.isEmpty else { return }
        do {
            try consumer.commit(offsets, async: !sync)
            log(.debug, sync ? "committed" : "commit sent", [RunLogField("offsets", offsets.map(\.description).sorted().joined(separator: ","))])
            for item in offsets {
                committed[item.topicPartition] = item.offset
                committedEver[item.topicPartition] = item.offset
            }
        } catch {
            recommitAll = true
            if error.isFatal { return fail("kafka consumer failed while committing: \(error)") }
            log.kafkaError(error, "commit")
        }
    }

    /// Waits until every output is acknowledged (or `deadlineMs` passes), writing state
    /// first, then commits synchronously: what a graceful stop and a revocation do.
    /// Returns the number of outputs still unacknowledged.
    /// `retries` more attempts are made at a failed commit (a graceful stop; a revocation
    /// cannot wait, since a broker may refuse commits until the member rejoins).
    @discardableResult
    func drain(consumer: KafkaConsumer, deadlineMs: Int64, only partitions: Set<TopicPartition>? = nil, retries: Int = 0) -> Int {
        writeState()
        while failure == nil, tracker.pendingCount > 0, RunClock.monotonicMs() < deadlineMs {
            producer.poll(timeoutMs: 50)
            serveDeliveries()
        }
        checkpoint(consumer: consumer, sync: true, only: partitions)
        var backoff = Backoff(initialMs: 100, maximumMs: 1000)
        for _ in 0..<retries where failure == nil && recommitAll && RunClock.monotonicMs() < deadlineMs {
            RunClock.sleep(ms: backoff.next())
            commit(consumer: consumer, sync: true, only: partitions)
        }
        return tracker.pendingCount
    }
}
