import SluiceSupport

/// Produced records waiting to be taken. Their keys and values live one after another in a
/// byte arena and the rest in plain entries, so that an output costs no array of its own: no
/// allocation when it is made, no release when it is taken. A drain empties both at once.
/// `drainBorrowed` hands the bytes out in place; `drain` and `takeAll` copy them into records.
final class OutputBuffer {
    /// One output: its bytes are ranges of the arena (a count of -1 is nil).
    private struct Entry {
        var timestamp: Int64
        var cause: Int64
        var keyStart: Int
        var keyCount: Int
        var valueStart: Int
        var valueCount: Int
        var topic: Int32
        var partition: Int32
        /// Index in `headerLists`, or -1 for none.
        var headers: Int32
    }

    // Accessed on every output, never while another access to the same property is under way:
    // the dynamic exclusivity checks are not needed.
    @exclusivity(unchecked) private var entries: UnsafeMutablePointer<Entry>
    @exclusivity(unchecked) private var capacity: Int
    /// Live outputs are `entries[head..<end]`; those before `head` were handed out by a drain.
    @exclusivity(unchecked) private var head = 0
    @exclusivity(unchecked) private var end = 0
    @exclusivity(unchecked) private var bytes: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private(set) var byteCapacity: Int
    /// The arena's size when made, and after a burst has passed (see `reset`).
    private let initialByteCapacity: Int
    @exclusivity(unchecked) private var byteCount = 0
    /// Arenas replaced while a drain had handed out pointers into them, freed when it ends.
    @exclusivity(unchecked) private var retired: [UnsafeMutablePointer<UInt8>] = []
    @exclusivity(unchecked) private var draining = false
    /// Output topics, in order of first use (few: a linear search finds them), and how many
    /// outputs went to each since the buffer was made.
    @exclusivity(unchecked) private(set) var topics: [String] = []
    @exclusivity(unchecked) private(set) var topicCounts: [Int] = []
    /// The header lists of outputs that have headers (most have none).
    @exclusivity(unchecked) private var headerLists: [[Header]] = []

    init(capacity: Int = 64, byteCapacity: Int = 16_384) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
        initialByteCapacity = byteCapacity
        entries = .allocate(capacity: capacity)
        bytes = .allocate(capacity: byteCapacity)
    }

    deinit {
        entries.deallocate()
        bytes.deallocate()
        for block in retired { block.deallocate() }
    }

    var count: Int { end - head }

    // MARK: appending

    /// The index of `topic` among `topics`, added when new.
    @inline(__always)
    func topicIndex(_ topic: String) -> Int32 {
        for index in topics.indices where topics[index] == topic { return Int32(truncatingIfNeeded: index) }
        topics.append(topic)
        topicCounts.append(0)
        return Int32(truncatingIfNeeded: topics.count - 1)
    }

    /// Room for `count` bytes at the end of the arena, valid until the next append: write
    /// there, then `commit` what was written.
    @inline(__always)
    func reserve(_ count: Int) -> UnsafeMutablePointer<UInt8> {
        if byteCapacity - byteCount < count { growBytes(count) }
        return bytes + byteCount
    }

    /// Keeps the first `count` bytes written at `reserve`; returns where they start.
    @inline(__always)
    func commit(_ count: Int) -> Int {
        let start = byteCount
        byteCount += count
        return start
    }

    /// Copies `source` into the arena: its start and count (-1 for nil).
    @inline(__always)
    func copy(_ source: UnsafeBufferPointer<UInt8>?) -> (start: Int, count: Int) {
        guard let source else { return (0, -1) }
        let target = reserve(source.count)
        if let base = source.baseAddress { target.initialize(from: base, count: source.count) }
        return (commit(source.count), source.count)
    }

    @inline(__always)
    func copy(_ source: [UInt8]?) -> (start: Int, count: Int) {
        guard let source else { return (0, -1) }
        return source.withUnsafeBufferPointer { copy($0) }
    }

    /// Appends an output whose key and value are already in the arena (`copy`, `commit`), to
    /// topic `topicIndex` gave.
    @inline(__always)
    func append(
        topic: Int32, partition: Int32, key: (start: Int, count: Int), value: (start: Int, count: Int), headers: [Header],
        timestamp: Int64, cause: Int64
    ) {
        if end == capacity { grow() }
        topicCounts[Int(topic)] &+= 1
        var headerIndex: Int32 = -1
        if !headers.isEmpty {
            headerIndex = Int32(truncatingIfNeeded: headerLists.count)
            headerLists.append(headers)
        }
        (entries + end).initialize(to: Entry(
            timestamp: timestamp, cause: cause, keyStart: key.start, keyCount: key.count, valueStart: value.start,
            valueCount: value.count, topic: topic, partition: partition, headers: headerIndex))
        end += 1
    }

    /// Appends an output built from its parts (the bytes are copied).
    func append(
        topic: String, partition: Int32, key: [UInt8]?, headers: [Header], value: [UInt8]?, timestamp: Int64, cause: Int64
    ) {
        let keyRange = copy(key)
        let valueRange = copy(value)
        append(
            topic: topicIndex(topic), partition: partition, key: keyRange, value: valueRange, headers: headers,
            timestamp: timestamp, cause: cause)
    }

    func append(_ output: EngineOutput) {
        append(
            topic: output.record.topic, partition: output.record.partition, key: output.record.key,
            headers: output.record.headers, value: output.record.value, timestamp: output.record.timestamp,
            cause: output.cause)
    }

    private func grow() {
        let live = end - head
        let newCapacity = max(64, live * 2)
        let newEntries = UnsafeMutablePointer<Entry>.allocate(capacity: newCapacity)
        newEntries.moveInitialize(from: entries + head, count: live)
        entries.deallocate()
        entries = newEntries
        capacity = newCapacity
        head = 0
        end = live
    }

    /// A larger arena with the bytes so far; during a drain the old one stays readable, since
    /// the output being handed out may point into it.
    @inline(never)
    private func growBytes(_ needed: Int) {
        let newCapacity = max(byteCapacity * 2, byteCount + needed)
        let newBytes = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBytes.initialize(from: bytes, count: byteCount)
        if draining { retired.append(bytes) } else { bytes.deallocate() }
        bytes = newBytes
        byteCapacity = newCapacity
    }

    // MARK: draining

    /// Hands every output to `body` in order, its bytes in place (valid only during the call);
    /// outputs `body` causes (by feeding the engine) are handed over too.
    func drainBorrowed(_ body: (BorrowedOutput) -> Void) {
        let nested = draining
        draining = true
        while head < end {
            let entry = entries[head]
            head += 1
            body(BorrowedOutput(
                topic: topics[Int(entry.topic)], partition: entry.partition, timestamp: entry.timestamp,
                key: buffer(entry.keyStart, entry.keyCount), value: buffer(entry.valueStart, entry.valueCount),
                headers: entry.headers < 0 ? [] : headerLists[Int(entry.headers)], cause: entry.cause))
        }
        draining = nested
        if !nested { reset() }
    }

    /// Hands every output to `body` in order, as records of their own.
    func drain(_ body: (EngineOutput) -> Void) {
        drainBorrowed { body($0.output) }
    }

    /// Every output, in order, as records of their own.
    func takeAll() -> [EngineOutput] {
        var taken: [EngineOutput] = []
        taken.reserveCapacity(count)
        drainBorrowed { taken.append($0.output) }
        return taken
    }

    @inline(__always)
    private func buffer(_ start: Int, _ count: Int) -> UnsafeBufferPointer<UInt8>? {
        count < 0 ? nil : UnsafeBufferPointer(start: bytes + start, count: count)
    }

    /// Empties the buffer once everything was handed out; an arena grown far beyond what one
    /// drain needed (after a burst) goes back to its initial size.
    private func reset() {
        if byteCapacity > 1 << 22, byteCount < byteCapacity / 8 {
            bytes.deallocate()
            byteCapacity = initialByteCapacity
            bytes = .allocate(capacity: byteCapacity)
        }
        head = 0
        end = 0
        byteCount = 0
        if !headerLists.isEmpty { headerLists.removeAll(keepingCapacity: true) }
        for block in retired { block.deallocate() }
        retired.removeAll()
    }
}

/// An output as `Engine.drainBorrowedOutputs` hands it out: its key and value point into the
/// engine's buffer and are valid only during the call (`output` makes a copy that lasts).
public struct BorrowedOutput {
    public let topic: String
    /// -1 (the sink's partitioner chooses), or the explicit partition of a repartition record.
    public let partition: Int32
    public let timestamp: Int64
    public let key: UnsafeBufferPointer<UInt8>?
    /// nil for a tombstone.
    public let value: UnsafeBufferPointer<UInt8>?
    public let headers: [Header]
    /// As `EngineOutput.cause`.
    public let cause: Int64

    /// The output as a record of its own.
    public var output: EngineOutput {
        EngineOutput(
            record: Record(
                topic: topic, partition: partition, offset: -1, timestamp: timestamp, key: key.map { Array($0) },
                headers: headers, value: value.map { Array($0) }),
            cause: cause)
    }
}
