import SluiceSupport

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
    /// Indexes into `partitions` by partition number (-1: none) for the partitions of
    /// `tableTopic` numbered below `tableLimit`, so that records cycling over partitions
    /// find theirs without a search; others are searched for.
    private var table: [Int32] = []
    private var tableTopic = ""
    private static let tableLimit: Int32 = 1024

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
            rebuildTable()
        }
    }

    /// Forgets a partition (run: on revocation).
    mutating func revoke(topic: String, partition: Int32) -> Bool {
        guard let i = index(topic, partition) else { return false }
        partitions.remove(at: i)
        lastIndex = 0
        rebuildTable()
        return recompute()
    }

    /// `observe` for the record at `record`, whose topic is compared in place (not copied).
    @inline(__always)
    mutating func observe(_ record: UnsafePointer<Record>, eventTime: Int64, wallTime: Int64) -> Bool {
        let partition = record.pointee.partition
        if !wallClock, partition >= 0, Int(partition) < table.count, record.pointee.topic == tableTopic {
            let i = Int(table[Int(partition)])
            if i >= 0, let max = partitions[i].maxEventTime {
                // Nearly every record: its partition has seen this event time already.
                if max >= eventTime { return false }
                return advance(i, to: eventTime, wallTime: wallTime)
            }
        }
        return observe(topic: record.pointee.topic, partition: partition, eventTime: eventTime, wallTime: wallTime)
    }

    /// Notes a record's event time; true when stream time moved forward.
    mutating func observe(topic: String, partition: Int32, eventTime: Int64, wallTime: Int64) -> Bool {
        let i: Int
        if partition >= 0, Int(partition) < table.count, table[Int(partition)] >= 0, topic == tableTopic {
            i = Int(table[Int(partition)])
        } else if let found = index(topic, partition) {
            i = found
        } else {
            if let onlyTopic, topic != onlyTopic { return false }
            partitions.append(Partition(topic: topic, partition: partition, maxEventTime: nil, lastArrival: wallTime))
            rebuildTable()
            i = partitions.count - 1
        }
        // Arrival times only matter to wall-clock idleness: event-time records mostly change nothing.
        if wallClock { partitions[i].lastArrival = wallTime }
        if let max = partitions[i].maxEventTime, max >= eventTime { return false }
        return advance(i, to: eventTime, wallTime: wallTime)
    }

    /// Partition `i` has seen the later `eventTime`; true when stream time moved forward.
    private mutating func advance(_ i: Int, to eventTime: Int64, wallTime: Int64) -> Bool {
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
        guard wallClock else { return moveTo(eventTimeCandidate()) }
        var candidate: Int64?
        // By index, reading fields in place: copying a partition would copy its topic.
        for i in partitions.indices {
            if isIdle(i, wallTime: wallTime) { continue }
            guard let max = partitions[i].maxEventTime else {
                return false  // an active partition that has not delivered yet holds stream time back
            }
            candidate = candidate.map { Swift.min($0, max) } ?? max
        }
        return moveTo(candidate)
    }

    /// Sets stream time to `candidate` if that is later; true when it did.
    private mutating func moveTo(_ candidate: Int64?) -> Bool {
        guard let candidate else { return false }
        if let current = streamTime, candidate <= current { return false }
        streamTime = candidate
        return true
    }

    /// Event-time mode: the smallest largest event time of the partitions that are not idle
    /// (`isIdle`), nil if none. Read in place: it runs whenever a partition moves forward.
    private func eventTimeCandidate() -> Int64? {
        guard let overallMax else { return nil }
        let timeout = idleTimeoutMs
        return partitions.withUnsafeBufferPointer { all in
            var candidate = Int64.max, found = false
            for i in all.indices {
                guard let max = all[i].maxEventTime, overallMax.minusSaturating(max) <= timeout else { continue }
                candidate = Swift.min(candidate, max)
                found = true
            }
            return found ? candidate : nil
        }
    }

    private func isIdle(_ i: Int, wallTime: Int64?) -> Bool {
        if wallClock {
            guard let wallTime else { return false }
            return wallTime.minusSaturating(partitions[i].lastArrival) > idleTimeoutMs
        }
        guard let max = partitions[i].maxEventTime, let overallMax else { return true }
        return overallMax.minusSaturating(max) > idleTimeoutMs
    }

    /// Makes `table` again for the first partition's topic.
    private mutating func rebuildTable() {
        table.removeAll(keepingCapacity: true)
        guard let first = partitions.first else { return }
        tableTopic = first.topic
        for (index, p) in partitions.enumerated() where p.topic == tableTopic && p.partition >= 0 && p.partition < Self.tableLimit {
            while table.count <= Int(p.partition) { table.append(-1) }
            table[Int(p.partition)] = Int32(index)
        }
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
