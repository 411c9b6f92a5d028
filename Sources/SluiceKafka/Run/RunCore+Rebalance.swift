import SluiceCore
import SluiceSupport

extension RunCore {
    /// Handles a rebalance, inside the consumer's poll or close, before any record of a newly
    /// assigned partition is processed.
    func rebalance(_ event: RebalanceEvent, consumer: KafkaConsumer) {
        switch event {
        case .assigned(let partitions):
            assign(partitions, consumer: consumer)
        case .revoked(let partitions, let lost):
            revoke(partitions, lost: lost, consumer: consumer)
        case .failed(let error):
            log.kafkaError(error, "rebalance")
        }
    }

    private func assign(_ partitions: [TopicPartition], consumer: KafkaConsumer) {
        let leftOver = uncommittedAtRevocation
        uncommittedAtRevocation = [:]
        guard !partitions.isEmpty else { return }
        commitLeftOver(leftOver, partitions: partitions, consumer: consumer)
        // Where reading starts, for the lag until the first record of each partition arrives.
        for item in (try? consumer.committed(partitions, timeoutMs: 5000)) ?? [] where item.offset >= 0 {
            startOffsets[item.topicPartition] = item.offset
        }
        assigned.formUnion(partitions)
        everAssigned = true
        lastActivityMs = RunClock.monotonicMs()
        log(.info, "partitions assigned", [
            RunLogField("partitions", partitions.sorted().map(\.description).joined(separator: ",")),
            RunLogField("assigned", assigned.count),
        ])
        engine.assign(partitions: partitions.map { ($0.topic, $0.partition) }, wallTime: RunClock.wallMs())
        guard failure == nil, let changelog else { return }
        if !restore(changelog, input: Set(partitions.map(\.partition))) { unrestored.formUnion(partitions) }
        readTables(partitions)
        lastActivityMs = RunClock.monotonicMs()
    }

    /// Reads the changelog partitions of newly assigned input partitions into the engine,
    /// retrying transient failures with backoff; processing waits until it is done. False
    /// when it did not finish.
    private func restore(_ changelog: Changelog, input: Set<Int32>) -> Bool {
        var backoff = Backoff(initialMs: 250, maximumMs: 10_000)
        let started = RunClock.monotonicMs()
        while failure == nil {
            do {
                let restored = try changelog.restore(
                    input: input, config: settings.restoreConfig, logHandler: log.librdkafka,
                    timeoutMs: options.restoreTimeoutMs, shouldStop: { stop.isRequested })
                let counts = engine.restore(restored.state)
                var fields = [
                    RunLogField("entries", counts.restored), RunLogField("records_read", restored.records),
                    RunLogField("ms", RunClock.monotonicMs() - started),
                ]
                if let time = restored.state.streamTime { fields.append(RunLogField("stream_time", time)) }
                if !restored.positions.isEmpty {
                    let resume = restored.positions.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value)" }
                    fields.append(RunLogField("counted_before", resume.joined(separator: ",")))
                }
                if restored.unreadable + counts.ignored > 0 {
                    fields.append(RunLogField("ignored", restored.unreadable + counts.ignored))
                }
                log(.info, "state restored", fields)
                return true
            } catch {
                // Stopping: nothing of these partitions will be processed or committed.
                if stop.isRequested { return false }
                guard error.isRetriable || error.isTimedOut, !error.isFatal else {
                    fail("cannot restore state from the changelog: \(error)")
                    return false
                }
                log.kafkaError(error, "changelog restore")
                RunClock.sleep(ms: backoff.next()) { stop.isRequested }
            }
        }
        return false
    }

    /// Commits the offsets a revocation could not commit (a broker may refuse commits once the
    /// rebalance has begun, as librdkafka's mock cluster does) for partitions that came straight
    /// back: nobody else can have processed them in between. Never moves an offset backwards.
    private func commitLeftOver(_ leftOver: [TopicPartition: Int64], partitions: [TopicPartition], consumer: KafkaConsumer) {
        let back = partitions.filter { leftOver[$0] != nil }
        guard !back.isEmpty else { return }
        do {
            let current = try consumer.committed(back, timeoutMs: 5000)
            let offsets = current.compactMap { item -> TopicPartitionOffset? in
                guard let offset = leftOver[item.topicPartition], offset > item.offset else { return nil }
                return TopicPartitionOffset(item.topicPartition, offset: offset)
            }
            guard !offsets.isEmpty else { return }
            try consumer.commit(offsets)
            log(.info, "committed offsets left over from the last rebalance", [
                RunLogField("offsets", offsets.map(\.description).sorted().joined(separator: ",")),
            ])
        } catch {
            log.kafkaError(error, "commit left over from the last rebalance")
        }
    }

    private func revoke(_ partitions: [TopicPartition], lost: Bool, consumer: KafkaConsumer) {
        let revoked = Set(partitions).intersection(assigned)
        guard !revoked.isEmpty else { return }
        if lost {
            log(.warning, "partitions lost: their uncommitted work will be redone by their new owner", [
                RunLogField("partitions", revoked.sorted().map(\.description).joined(separator: ",")),
            ])
        } else if failure == nil {
            let left = drain(consumer: consumer, deadlineMs: RunClock.monotonicMs() + options.drainTimeoutMs, only: revoked)
            if left > 0 { log(.warning, "outputs not acknowledged before revocation: their inputs stay uncommitted", [RunLogField("outputs", left)]) }
            for partition in revoked {
                if let safe = tracker.safe[partition], committed[partition] != safe { uncommittedAtRevocation[partition] = safe }
            }
        }
        assigned.subtract(revoked)
        unrestored.subtract(revoked)
        for partition in revoked { startOffsets[partition] = nil }
        tracker.forget(partitions: revoked)
        changelog?.forgetPositions(of: revoked)
        for partition in revoked { committed[partition] = nil }
        log(.info, "partitions revoked", [
            RunLogField("partitions", revoked.sorted().map(\.description).joined(separator: ",")),
            RunLogField("assigned", assigned.count),
        ])
        dropState(of: revoked)
    }

    /// Replaces the engine by one holding only the state that stays with this instance.
    /// Without a changelog (stateless pipelines) only stream-time bookkeeping changes.
    private func dropState(of revoked: Set<TopicPartition>) {
        let owned = Set(assigned.map(\.partition))
        let gone = Set(revoked.map(\.partition)).subtracting(owned)
        guard let changelog, !gone.isEmpty else {
            engine.revoke(partitions: revoked.map { ($0.topic, $0.partition) })
            produceOutputs()
            return
        }
        let keep: (Value) -> Bool
        if changelog.isAligned {
            keep = { !gone.contains(changelog.inputPartition(of: $0)) }
        } else {
            // Unaligned changelogs are read whole on every assignment: keep state while any
            // partition remains, so that a single instance never loses any.
            keep = { _ in !owned.isEmpty }
        }
        let state = engine.snapshot(include: keep)
        retiredStats = retiredStats.adding(engine.stats)
        sequenceBase = nextSequence
        engine = Engine(plan: plan, options: engineOptions)
        engine.restore(state)
        engine.assign(partitions: assigned.map { ($0.topic, $0.partition) }, wallTime: RunClock.wallMs())
        changelog.forget(inputPartitions: gone)
        lastStateMark = (nextSequence, engine.stats.windowsClosed)
    }
}
