import SluiceSupport

/// Produced records waiting to be taken, in a buffer the engine owns: appending moves an output
/// in and draining moves it out, so that no output is copied, and none is destroyed through the
/// runtime's generic (per-element, value-witness) path as `Array.removeAll` would.
final class OutputBuffer {
    // Accessed on every output, never while another access to the same property is under way:
    // the dynamic exclusivity checks are not needed.
    @exclusivity(unchecked) private var storage: UnsafeMutablePointer<EngineOutput>
    @exclusivity(unchecked) private var capacity: Int
    /// Live outputs are `storage[head..<end]`; those before `head` were moved out by a drain.
    @exclusivity(unchecked) private var head = 0
    @exclusivity(unchecked) private var end = 0

    init(capacity: Int = 64) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit {
        (storage + head).deinitialize(count: end - head)
        storage.deallocate()
    }

    var count: Int { end - head }

    func append(_ output: consuming EngineOutput) {
        if end == capacity { grow() }
        (storage + end).initialize(to: output)
        end += 1
    }

    /// Appends an output built from its parts, its fields initialized in place in the buffer:
    /// an `EngineOutput` made first and then appended is copied on its way in (a retain and a
    /// release of each of its references, and the bytes moved twice).
    func append(
        topic: String, partition: Int32, key: consuming [UInt8]?, headers: [Header], value: consuming [UInt8]?,
        timestamp: Int64, cause: Int64
    ) {
        if end == capacity { grow() }
        let output = storage + end
        guard let causeField = output.pointer(to: \.cause), let record = output.pointer(to: \.record),
            let topicField = record.pointer(to: \.topic), let partitionField = record.pointer(to: \.partition),
            let offsetField = record.pointer(to: \.offset), let timestampField = record.pointer(to: \.timestamp),
            let keyField = record.pointer(to: \.key), let headersField = record.pointer(to: \.headers),
            let valueField = record.pointer(to: \.value)
        else {
            output.initialize(to: EngineOutput(
                record: Record(topic: topic, partition: partition, offset: -1, timestamp: timestamp, key: key, headers: headers, value: value),
                cause: cause))
            end += 1
            return
        }
        causeField.initialize(to: cause)
        topicField.initialize(to: topic)
        partitionField.initialize(to: partition)
        offsetField.initialize(to: -1)
        timestampField.initialize(to: timestamp)
        keyField.initialize(to: key)
        headersField.initialize(to: headers)
        valueField.initialize(to: value)
        end += 1
    }

    private func grow() {
        let live = end - head
        let newCapacity = max(64, live * 2)
        let newStorage = UnsafeMutablePointer<EngineOutput>.allocate(capacity: newCapacity)
        newStorage.moveInitialize(from: storage + head, count: live)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
        head = 0
        end = live
    }

    /// Hands every output to `body` in order, moving each out; outputs `body` causes (by feeding
    /// the engine) are handed over too.
    func drain(_ body: (EngineOutput) -> Void) {
        while head < end {
            let output = (storage + head).move()
            head += 1
            body(output)
        }
        head = 0
        end = 0
    }

    /// Every output, in order, moved into an array.
    func takeAll() -> [EngineOutput] {
        let live = end - head
        let taken = [EngineOutput](unsafeUninitializedCapacity: live) { buffer, initialized in
            if let base = buffer.baseAddress { base.moveInitialize(from: storage + head, count: live) }
            initialized = live
        }
        head = 0
        end = 0
        return taken
    }
}
