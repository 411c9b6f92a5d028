/// Remembers whether the last input partition seen in a poll batch may be processed, since a
/// batch holds long runs of records from one partition: saves two set lookups (each hashing
/// the topic name) per record. Valid within one `RunCore.step` only (assignments change
/// between polls, never during one).
struct PartitionCheck {
    private var last: TopicPartition?
    private var readable = false

    /// Whether `partition` is assigned and its state restored (else its records are skipped).
    mutating func isReadable(_ partition: TopicPartition, in core: RunCore) -> Bool {
        if let last, last.partition == partition.partition, last.topic == partition.topic { return readable }
        readable = core.assigned.contains(partition) && !core.unrestored.contains(partition)
        last = partition
        return readable
    }
}
