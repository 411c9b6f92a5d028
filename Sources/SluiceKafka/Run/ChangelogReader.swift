import SluiceSupport

/// Reads chosen partitions from their beginning to their current end, outside any group
/// (assigned partitions, nothing committed): how changelogs are restored.
struct ChangelogReader {
    let consumer: KafkaConsumer

    init(config: KafkaConfig, logHandler: KafkaLogHandler?) throws(KafkaError) {
        consumer = try KafkaConsumer(config: config, logHandler: logHandler)
    }

    /// Every record of `partitions` up to the high watermark each had when asked, from the
    /// beginning or from the offset `from` gives. Blocks up to `timeoutMs`; throws a retriable
    /// `_TIMED_OUT` error when the end was not reached.
    func readToEnd(
        _ partitions: [TopicPartition], from: [TopicPartition: Int64] = [:], timeoutMs: Int64, shouldStop: () -> Bool
    ) throws(KafkaError) -> [Record] {
        defer { try? consumer.close() }
        let deadline = RunClock.monotonicMs() + timeoutMs
        var ends: [TopicPartition: Int64] = [:]
        var starts: [TopicPartitionOffset] = []
        for partition in partitions {
            let remaining = Int32(clamping: max(1000, deadline - RunClock.monotonicMs()))
            let marks = try consumer.queryWatermarks(topic: partition.topic, partition: partition.partition, timeoutMs: remaining)
            let start = max(marks.low, from[partition] ?? marks.low)
            guard marks.high > start else { continue }
            ends[partition] = marks.high
            starts.append(TopicPartitionOffset(partition, offset: start))
        }
        guard !starts.isEmpty else { return [] }
        try consumer.assign(starts)
        var records: [Record] = []
        while !ends.isEmpty {
            if shouldStop() {
                throw KafkaError(code: KafkaError.Code.destroy, message: "changelog restore interrupted by shutdown", isRetriable: false)
            }
            guard RunClock.monotonicMs() < deadline else {
                let left = ends.keys.sorted().map(\.description).joined(separator: ", ")
                throw KafkaError(code: KafkaError.Code.timedOut, message: "changelog restore timed out reading \(left)", isRetriable: true)
            }
            for message in consumer.pollBatch(maxMessages: 10_000, timeoutMs: 100) {
                switch message {
                case .record(let record):
                    let partition = TopicPartition(topic: record.topic, partition: record.partition)
                    guard let end = ends[partition] else { continue }
                    if record.offset < end { records.append(record) }
                    if record.offset + 1 >= end { ends[partition] = nil }
                case .partitionEnd(let position):
                    let partition = position.topicPartition
                    if let end = ends[partition], position.offset >= end { ends[partition] = nil }
                case .error(let error):
                    if error.isFatal { throw error }
                    if error.code == KafkaError.Code.offsetOutOfRange || error.code == KafkaError.Code.unknownTopicOrPartition {
                        throw error
                    }
                }
            }
            // Control records (transaction markers) at the end are never returned: the
            // position moving past them also means the end was reached.
            if !ends.isEmpty, let positions = try? consumer.position(Array(ends.keys)) {
                for position in positions where position.offset >= 0 && position.offset >= (ends[position.topicPartition] ?? Int64.max) {
                    ends[position.topicPartition] = nil
                }
            }
        }
        return records
    }
}
