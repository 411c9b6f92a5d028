import SluiceCore
import SluiceSupport

extension RunCore {
    /// Reads the newly assigned partitions of `lookup` table topics to their current end into
    /// the engine, before any record of the assignment is processed, so that the first stream
    /// records are not joined against an empty table. A partition whose rows the restored
    /// state already holds is read from where that state ends, not from its beginning, so a
    /// restart or rebalance reads only what is new: the committed offset (offsets are
    /// committed only once the state covering them is in the changelog, or in the same
    /// transaction), or a changelog marker's later position. The group consumer delivers these records again later: harmless, as the
    /// table is versioned by event time and an update replaces the version with its time.
    func readTables(_ partitions: [TopicPartition]) {
        let tables = Set(plan.tableTopics)
        let wanted = partitions.filter { tables.contains($0.topic) && !unrestored.contains($0) }
        guard !wanted.isEmpty, failure == nil else { return }
        let started = RunClock.monotonicMs()
        var backoff = Backoff(initialMs: 250, maximumMs: 10_000)
        while failure == nil, !stop.isRequested {
            do {
                let reader = try ChangelogReader(config: settings.restoreConfig, logHandler: log.librdkafka)
                let restored = wanted.reduce(into: [TopicPartition: Int64]()) { from, partition in
                    let covered = max(startOffsets[partition] ?? -1, changelog?.countedBefore[partition] ?? -1)
                    if covered >= 0 { from[partition] = covered }
                }
                let records = try reader.readToEnd(
                    wanted, from: restored, timeoutMs: options.restoreTimeoutMs, shouldStop: { stop.isRequested })
                let before = engine.inputCount
                engine.process(records, wallTime: RunClock.wallMs())
                // Not inputs of the run: their error records come again with the group's copies.
                _ = engine.takeOutputs()
                sequenceBase &-= engine.inputCount &- before
                log(.info, "table read", [
                    RunLogField("partitions", wanted.sorted().map { p in restored[p].map { "\(p)@\($0)" } ?? "\(p)" }.joined(separator: ",")),
                    RunLogField("records_read", records.count), RunLogField("ms", RunClock.monotonicMs() - started),
                ])
                return
            } catch {
                if stop.isRequested { break }
                guard error.isRetriable || error.isTimedOut, !error.isFatal else {
                    return fail("cannot read the table topic: \(error)")
                }
                log.kafkaError(error, "table read")
                RunClock.sleep(ms: backoff.next()) { stop.isRequested }
            }
        }
        unrestored.formUnion(wanted)
    }
}
