/// Turns counters into the periodic `RunStatus` (rates over the last interval, lag).
struct StatusMeter {
    let startMs: Int64
    private var lastMs: Int64
    private var lastIn = 0
    private var lastOut = 0

    init(startMs: Int64) {
        self.startMs = startMs
        lastMs = startMs
    }

    func isDue(now: Int64, intervalMs: Int64) -> Bool { now - lastMs >= intervalMs }

    mutating func status(
        now: Int64, recordsIn: Int, recordsOut: Int, lag: Int64?, assigned: Int, openState: Int, errorRecords: Int,
        kafkaErrors: Int, pending: Int
    ) -> RunStatus {
        let seconds = Double(max(1, now - lastMs)) / 1000
        defer {
            lastMs = now
            lastIn = recordsIn
            lastOut = recordsOut
        }
        return RunStatus(
            uptimeMs: now - startMs, recordsIn: recordsIn, recordsOut: recordsOut,
            recordsInPerSecond: Double(recordsIn - lastIn) / seconds, recordsOutPerSecond: Double(recordsOut - lastOut) / seconds,
            lag: lag, assignedPartitions: assigned, openState: openState, errorRecords: errorRecords, kafkaErrors: kafkaErrors,
            pendingOutputs: pending)
    }
}

extension RunCore {
    /// The status now, with lag from the consumer's positions and the watermarks of its last
    /// fetches (no request is sent).
    func currentStatus(consumer: KafkaConsumer) -> RunStatus {
        let lags = partitionLags(consumer: consumer)
        let lag = lags.isEmpty ? nil : lags.values.reduce(0, +)
        let stats = self.stats
        return status.status(
            now: RunClock.monotonicMs(), recordsIn: stats.recordsIn, recordsOut: stats.recordsOut.values.reduce(0, +),
            lag: lag, assigned: assigned.count, openState: engine.openStateCount, errorRecords: stats.errorCount,
            kafkaErrors: log.kafkaErrors, pending: tracker.pendingCount)
    }

    /// Lag per assigned partition whose watermarks are known from the last fetches.
    func partitionLags(consumer: KafkaConsumer) -> [TopicPartition: Int64] {
        var lags: [TopicPartition: Int64] = [:]
        guard !assigned.isEmpty, let positions = try? consumer.position(Array(assigned)) else { return lags }
        for position in positions {
            guard let marks = try? consumer.cachedWatermarks(topic: position.topic, partition: position.partition),
                marks.high >= 0
            else { continue }
            // Before the first fetch the position is unknown: count from the committed offset.
            let from = position.offset >= 0 ? position.offset : (startOffsets[position.topicPartition] ?? marks.low)
            lags[position.topicPartition] = max(0, marks.high - from)
        }
        return lags
    }
}
