import SluiceSupport

/// Decides which input offsets may be committed: those whose every output (and every output
/// of earlier inputs) the broker acknowledged, and whose state changes are durable.
///
/// Inputs are numbered in processing order (the engine's sequence numbers, made global
/// across engine rebuilds); each output carries the number of the input that caused it.
/// Inputs are grouped into batches (one per poll), the unit of commit.
struct DeliveryTracker {
    /// A failed output to produce again: the record as librdkafka reported it back (with the
    /// partition it was produced to, -1 for the partitioner's choice) and its cause.
    struct Pending {
        var record: Record
        var cause: Int64
    }

    /// What is kept per output in flight: no record (a failed delivery's report carries its
    /// topic, key, value and headers), so that outputs are freed as soon as they are produced
    /// and settling one is a slot reset.
    struct InFlight {
        var cause: Int64
        /// The timestamp produced (librdkafka reports none for failed messages).
        var timestamp: Int64
        /// The partition asked for, or -1 for the partitioner's choice.
        var partition: Int32
    }

    struct Batch {
        /// One past the last input's number.
        var end: Int64
        /// The next offset to read per partition after this batch.
        var offsets: [TopicPartition: Int64]
    }

    /// Outputs produced and not yet acknowledged, by producer message id.
    private(set) var pending = PendingTable<InFlight>()
    /// Ids in produce order; causes never decrease along it.
    private var order = Fifo<(id: UInt64, cause: Int64)>()
    /// Ids produced again after a failed delivery: their causes are older than the rest.
    private var retried: [UInt64: Int64] = [:]
    /// Outputs whose delivery failed, waiting to be produced again.
    private var waiting: [(due: Int64, pending: Pending)] = []
    private var batches = Fifo<Batch>()
    /// Per partition, the next offset to read that is safe to commit.
    private(set) var safe: [TopicPartition: Int64] = [:]

    /// Outputs not yet acknowledged, including those waiting for a retry.
    var pendingCount: Int { pending.count + waiting.count }

    /// Notes an output produced with id `id` to `partition` (-1: the partitioner's choice).
    mutating func produced(id: UInt64, partition: Int32, timestamp: Int64, cause: Int64, retry: Bool = false) {
        pending.insert(InFlight(cause: cause, timestamp: timestamp, partition: partition), for: id)
        if retry { retried[id] = cause } else { order.append((id, cause)) }
    }

    /// Notes an output produced to `record.partition` (-1: the partitioner's choice).
    mutating func produced(id: UInt64, record: borrowing Record, cause: Int64, retry: Bool = false) {
        produced(id: id, partition: record.partition, timestamp: record.timestamp, cause: cause, retry: retry)
    }

    /// Forgets the output a delivery report is about. Returns it only when its delivery
    /// failed (the caller may produce it again): the record is the one the report carries.
    mutating func settle(_ report: DeliveryReport) -> Pending? {
        if !retried.isEmpty { retried[report.id] = nil }
        guard let settled = pending.removeValue(forKey: report.id), !report.isDelivered else { return nil }
        var record = report.undelivered ?? Record(topic: "", value: nil)
        record.partition = settled.partition
        record.timestamp = settled.timestamp
        return Pending(record: record, cause: settled.cause)
    }

    /// Forgets an output once delivered, or once failed. The returned record is a stand-in
    /// (no topic, key or value; the partition and timestamp produced): `settle(_:)` gives the
    /// real one of a failed delivery.
    @discardableResult
    mutating func settle(id: UInt64) -> Pending? {
        if !retried.isEmpty { retried[id] = nil }
        guard let settled = pending.removeValue(forKey: id) else { return nil }
        let record = Record(topic: "", partition: settled.partition, timestamp: settled.timestamp, value: nil)
        return Pending(record: record, cause: settled.cause)
    }

    /// Keeps a failed output to produce again at `due` (monotonic milliseconds).
    mutating func scheduleRetry(_ output: Pending, at due: Int64) {
        waiting.append((due, output))
    }

    /// The outputs whose retry is due, removed from the waiting list (produce them at once).
    mutating func takeDueRetries(now: Int64) -> [Pending] {
        guard !waiting.isEmpty else { return [] }
        let due = waiting.filter { $0.due <= now }.map(\.pending)
        waiting.removeAll { $0.due <= now }
        return due
    }

    /// The smallest cause among unacknowledged outputs; `Int64.max` when none.
    mutating func minPendingCause() -> Int64 {
        while let first = order.first, pending[first.id] == nil { order.removeFirst() }
        var result = order.first?.cause ?? Int64.max
        if !retried.isEmpty, let oldest = retried.values.min() { result = min(result, oldest) }
        for item in waiting { result = min(result, item.pending.cause) }
        return result
    }

    /// Notes a processed batch of inputs ending before input number `end`.
    mutating func processed(end: Int64, offsets: [TopicPartition: Int64]) {
        guard !offsets.isEmpty else { return }
        batches.append(Batch(end: end, offsets: offsets))
    }

    /// Marks batches safe whose outputs are all acknowledged and whose state is durable up to
    /// `stateDurableBefore` (exclusive input number). True when `safe` moved.
    mutating func advance(stateDurableBefore: Int64) -> Bool {
        let limit = min(minPendingCause(), stateDurableBefore)
        var moved = false
        while let batch = batches.first, batch.end <= limit {
            for (partition, offset) in batch.offsets where safe[partition].map({ offset > $0 }) ?? true {
                safe[partition] = offset
                moved = true
            }
            batches.removeFirst()
        }
        return moved
    }

    /// Drops everything about `partitions` (revoked): their offsets are no longer ours to commit.
    mutating func forget(partitions: Set<TopicPartition>) {
        for partition in partitions { safe[partition] = nil }
        var kept = Fifo<Batch>()
        while let batch = batches.first {
            batches.removeFirst()
            let offsets = batch.offsets.filter { !partitions.contains($0.key) }
            if !offsets.isEmpty { kept.append(Batch(end: batch.end, offsets: offsets)) }
        }
        batches = kept
    }
}

/// A first-in first-out queue on an array, amortised O(1).
struct Fifo<Element> {
    private var items: [Element] = []
    private var head = 0

    var first: Element? { head < items.count ? items[head] : nil }
    var isEmpty: Bool { head >= items.count }
    var count: Int { items.count - head }

    mutating func append(_ item: Element) { items.append(item) }

    mutating func removeFirst() {
        guard head < items.count else { return }
        head += 1
        if head >= 1024 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
    }
}
