/// The next offset to read per input partition after a poll batch, gathered without a
/// dictionary update per record: a batch holds long runs of records from one partition, so
/// only the end of each run is stored.
struct OffsetRuns {
    private var last: TopicPartition?
    private var lastOffset: Int64 = 0
    private var ended: [TopicPartition: Int64] = [:]

    /// Notes that `offset` is the next one to read in `partition` (the latest note wins).
    mutating func note(_ partition: TopicPartition, next offset: Int64) {
        if let last, last.partition == partition.partition, last.topic == partition.topic {
            lastOffset = offset
            return
        }
        if let last { ended[last] = lastOffset }
        last = partition
        lastOffset = offset
    }

    /// Every partition noted, with its latest offset.
    var all: [TopicPartition: Int64] {
        var result = ended
        if let last { result[last] = lastOffset }
        return result
    }
}
