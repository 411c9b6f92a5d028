import SluiceCore
import SluiceSupport
import Synchronization

/// Exactly once: recovering in process from a failed transaction. The open transaction is
/// aborted, the consumer goes back to the committed input offsets and the engine's state is
/// read again from the committed changelog, so the work since the last commit is redone as if
/// it never happened. A fenced or fatally failed producer still stops the run.
extension RunCore {
    /// Rewinds attempted in a row (without a commit in between) before the run gives up.
    static let maxRewinds = 5

    /// Asks for the open work to be aborted and redone from the last commit; done at the next
    /// step or commit, never in the middle of producing.
    func requestRewind(_ reason: String) {
        guard options.isExactlyOnce, failure == nil, transaction.rewindReason == nil else { return }
        transaction.rewindReason = reason
    }

    var isRewinding: Bool { transaction.rewindReason != nil }

    /// Aborts the open transaction and resets consumer positions, state and bookkeeping to the
    /// last commit. Stops the run when the producer is fenced or fatally failed, or after
    /// `maxRewinds` attempts in a row.
    func rewind(consumer: KafkaConsumer) {
        guard let reason = transaction.rewindReason, failure == nil else { return }
        transaction.rewindReason = nil
        transaction.rewinds += 1
        if let error = abortForRewind() {
            return fail(error)
        }
        // Whatever was in flight belongs to the aborted transaction.
        tracker = DeliveryTracker()
        producer.poll(timeoutMs: 0)
        producer.takeDeliveryReports(into: &reports)
        reports.removeAll(keepingCapacity: true)
        guard transaction.rewinds <= Self.maxRewinds else {
            return fail("transaction failed \(Self.maxRewinds) times in a row, last: \(reason); stopping (a restart resumes from the last committed transaction)")
        }
        log(.warning, "transaction aborted, rewinding to the last commit", [
            RunLogField("reason", reason), RunLogField("attempt", transaction.rewinds),
        ])
        // A stopping run commits nothing more: the next run resumes from the last commit.
        if stop.isRequested { return }
        var backoff = Backoff(initialMs: 100, maximumMs: 5000)
        var wait: Int64 = 0
        for _ in 0..<transaction.rewinds { wait = backoff.next() }
        RunClock.sleep(ms: wait) { stop.isRequested }
        if stop.isRequested { return }
        guard seekToCommitted(consumer: consumer), restoreCommittedState() else {
            // Not back at the last commit yet: nothing may be processed until it is.
            if failure == nil { transaction.rewindReason = reason }
            return
        }
        lastCheckpointMs = RunClock.monotonicMs()
    }

    /// Aborts the open transaction; the failure message when the run must stop instead.
    private func abortForRewind() -> String? {
        guard transaction.open else { return nil }
        var attempts = 0
        while true {
            do {
                try producer.abortTransaction(timeoutMs: Self.transactionTimeoutMs)
                transaction.open = false
                return nil
            } catch {
                attempts += 1
                if error.isFenced { return Self.fencedMessage }
                if error.isFatal || !error.isRetriable || attempts >= 3 {
                    transaction.open = false
                    return "cannot abort the failed transaction: \(error); restart to resume from the last committed transaction"
                }
            }
        }
    }

    /// Moves every assigned partition back to its last committed offset (the start position
    /// when none was committed). False when the positions could not be set.
    private func seekToCommitted(consumer: KafkaConsumer) -> Bool {
        guard !assigned.isEmpty else { return true }
        var offsets: [TopicPartitionOffset] = []
        var unknown: [TopicPartition] = []
        for partition in assigned.sorted() {
            if let offset = committed[partition] {
                offsets.append(TopicPartitionOffset(partition, offset: offset))
            } else {
                unknown.append(partition)
            }
        }
        do {
            if !unknown.isEmpty {
                let start = Self.logicalStart(settings.consumerConfig["auto.offset.reset"])
                for item in try consumer.committed(unknown, timeoutMs: 5000) {
                    offsets.append(TopicPartitionOffset(item.topicPartition, offset: item.offset >= 0 ? item.offset : start))
                }
            }
            try consumer.seek(offsets, timeoutMs: 5000)
            log(.info, "input rewound to the last commit", [
                RunLogField("offsets", offsets.map(\.description).sorted().joined(separator: ",")),
            ])
            return true
        } catch {
            if error.isFatal { fail("kafka consumer failed while rewinding: \(error)") } else { log.kafkaError(error, "rewind") }
            return false
        }
    }

    /// librdkafka's logical offset for `auto.offset.reset`: beginning (-2) or end (-1).
    static func logicalStart(_ reset: String?) -> Int64 {
        switch reset ?? "latest" {
        case "earliest", "smallest", "beginning": -2
        default: -1
        }
    }

    /// Replaces the engine by one holding the committed state of the assigned partitions,
    /// read again from the changelog. False when the changelog could not be read.
    private func restoreCommittedState() -> Bool {
        var state: EngineState?
        if let changelog {
            changelog.forgetEverything()
            do {
                let restored = try changelog.restore(
                    input: Set(assigned.map(\.partition)), config: settings.restoreConfig, logHandler: log.librdkafka,
                    timeoutMs: options.restoreTimeoutMs, shouldStop: { stop.isRequested })
                state = restored.state
                log(.info, "state restored after rewind", [RunLogField("records_read", restored.records)])
            } catch {
                if !stop.isRequested { log.kafkaError(error, "changelog restore after rewind") }
                return false
            }
        }
        retiredStats = transaction.committedStats
        // --max-records counts the committed inputs, not those about to be redone.
        recordsSeen = transaction.committedStats.recordsIn
        sequenceBase = nextSequence
        engine = Engine(plan: plan, options: engineOptions)
        if let state { engine.restore(state) }
        engine.assign(partitions: assigned.map { ($0.topic, $0.partition) }, wallTime: RunClock.wallMs())
        stateDurableBefore = changelog == nil ? Int64.max : nextSequence
        lastStateMark = (nextSequence, engine.stats.windowsClosed)
        return true
    }
}

/// A test hook: makes chosen transaction commits of this process fail with an abortable
/// error, so that tests can watch a rewind against a real broker. Counts commits across runs
/// in the process; never set outside tests.
enum TransactionFaults {
    private static let plan = Mutex<(commits: Int, failing: Set<Int>)>((0, []))

    /// Fails the commits numbered `commits` (1 is the next one) from now on.
    static func failCommits(_ commits: Set<Int>) {
        plan.withLock { $0 = (0, commits) }
    }

    /// Counts a commit; true when it is to fail.
    static func nextCommitFails() -> Bool {
        plan.withLock { state in
            guard !state.failing.isEmpty else { return false }
            state.commits += 1
            return state.failing.remove(state.commits) != nil
        }
    }
}
