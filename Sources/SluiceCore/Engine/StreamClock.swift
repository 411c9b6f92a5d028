/// Stream time: the largest event time seen, and with several input partitions the smallest of
/// the partitions' largest event times, so that a partition that is behind holds windows open.
/// A partition idle for longer than the idle timeout does not hold stream time back: in
/// event-time mode it is idle when its largest event time lags the overall largest by more than
/// the timeout; in wall-clock mode when no record arrived on it for that long (see `tick`).
/// Stream time never moves backwards.
struct StreamClock: Sendable {
    struct Partition: Sendable {
        var topic: String
        var partition: Int32
        /// Largest event time seen; nil until the first record.
        var maxEventTime: Int64?
        /// Wall time of the last record (or of the assignment), wall-clock mode only.
        var lastArrival: Int64
    }

    let idleTimeoutMs: Int64
    let wallClock: Bool
    /// With a Kafka repartition topic (run): the only topic whose partitions count (records of
    /// the input topics are re-keyed first and observed when they come back); nil: every topic.
    var onlyTopic: String?
    private(set) var partitions: [Partition] = []
    /// nil until the first event time is seen.
    private(set) var streamTime: Int64?
    private(set) var overallMax: Int64?
    private var lastIndex = 0

    init(idleTimeoutMs: Int64, wallClock: Bool) {
        self.idleTimeoutMs = idleTimeoutMs
        self.wallClock = wallClock
    }

    /// Registers a partition before its first record (run: on assignment), so that it holds
    /// stream time back until it delivers or goes idle.
    mutating func assign(topic: String, partition: Int32, wallTime: Int64) {
        if let onlyTopic, topic != onlyTopic { return }
        if index(topic, partition) == nil {
            partitions.append(Partition(topic: topic, partition: partition, maxEventTime: nil, lastArrival: wallTime))
        }
    }

    /// Forgets a partition (run: on revocation).
    mutating func revoke(topic: String, partition: Int32) -> Bool {
        guard let i = index(topic, partition) else { return false }
        partitions.remove(at: i)
        lastIndex = 0
        return recompute()
    }

    /// Notes a record's event time; true when stream time moved forward.
    mutating func observe(topic: String, partition: Int32, eventTime: Int64, wallTime: Int64) -> Bool {
        let i: Int
        if let found = index(topic, partition) {
            i = found
        } else {
            if let onlyTopic, topic != onlyTopic { return false }
            partitions.append(Partition(topic: topic, partition: partition, maxEventTime: nil, lastArrival: wallTime))
            i = partitions.count - 1
        }
        partitions[i].lastArrival = wallTime
        if let max = partitions[i].maxEventTime, max >= eventTime { return false }
        partitions[i].maxEventTime = eventTime
        if overallMax.map({ eventTime > $0 }) ?? true { overallMax = eventTime }
        return recompute(wallTime: wallClock ? wallTime : nil)
    }

    /// Wall-clock mode: re-evaluates idleness at `wallTime`; true when stream time moved.
    mutating func tick(wallTime: Int64) -> Bool {
        guard wallClock else { return false }
        return recompute(wallTime: wallTime)
    }

    /// End of input: every window closes.
    mutating func finish() {
        streamTime = Int64.max
    }

    /// Restores stream time from a snapshot.
    mutating func restore(streamTime: Int64?) {
        if let streamTime, self.streamTime.map({ streamTime > $0 }) ?? true { self.streamTime = streamTime }
    }

    private mutating func recompute(wallTime: Int64? = nil) -> Bool {
        var candidate: Int64?
        for p in partitions {
            if isIdle(p, wallTime: wallTime) { continue }
            guard let max = p.maxEventTime else {
                return false  // an active partition that has not delivered yet holds stream time back
            }
            candidate = candidate.map { Swift.min($0, max) } ?? max
        }
        guard let candidate else { return false }
        if let current = streamTime, candidate <= current { return false }
        streamTime = candidate
        return true
    }

    private func isIdle(_ p: Partition, wallTime: Int64?) -> Bool {
        if wallClock {
            guard let wallTime else { return false }
            return wallTime.minusSaturating(p.lastArrival) > idleTimeoutMs
        }
        guard let max = p.maxEventTime, let overallMax else { return true }
        return overallMax.minusSaturating(max) > idleTimeoutMs
    }

    private mutating func index(_ topic: String, _ partition: Int32) -> Int? {
        if lastIndex < partitions.count, partitions[lastIndex].partition == partition,
            partitions[lastIndex].topic == topic
        {
            return lastIndex
        }
        guard let i = partitions.firstIndex(where: { $0.partition == partition && $0.topic == topic }) else { return nil }
        lastIndex = i
        return i
    }
}
