import SluiceSupport

extension RunCore {
    /// Produces the changelog's held position markers once every output and state entry of
    /// the inputs they cover is acknowledged (see `Changelog+Positions.swift`).
    func releaseMarkers() {
        guard let changelog, !changelog.heldMarkers.isEmpty, failure == nil else { return }
        let released = changelog.takeReleasableMarkers(minPendingCause: tracker.minPendingCause())
        for write in released.writes {
            let record = Record(topic: write.topic, partition: write.partition, timestamp: 0, key: write.key, value: write.value)
            produce(record, partition: write.partition, cause: released.cause, retry: false)
            if failure != nil { return }
        }
    }

    /// Skips an input record whose effect the restored state already holds; true when skipped.
    @inline(__always)
    func skipCounted(_ partition: TopicPartition, offset: Int64) -> Bool {
        changelog?.alreadyCounts(partition, offset: offset) ?? false
    }
}
