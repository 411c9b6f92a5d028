import CRdKafka
import Synchronization

/// A producer's librdkafka topic handles, by topic name, made on first use.
///
/// Producing with a handle (`RD_KAFKA_VTYPE_RKT`) instead of a name skips librdkafka's
/// lookup of the topic under its client-wide write lock, once per message.
///
/// Ownership: each handle holds one reference that `destroyAll` releases; the producer calls
/// it before `rd_kafka_destroy`, as librdkafka requires.
final class TopicHandles: Sendable {
    /// Handles as bit patterns (pointers are not Sendable; librdkafka's handles are
    /// thread-safe and live until `destroyAll`), by topic name.
    private let handles = Mutex(Table())

    /// A producer usually writes to a few topics whose names share storage with the pipeline's
    /// (so that comparing them is a pointer comparison): the first few are scanned rather than
    /// hashed; any more go to a dictionary.
    private struct Table {
        var first: [(topic: String, bits: UInt)] = []
        var more: [String: UInt] = [:]

        static let scanned = 8

        func find(_ topic: String) -> UInt? {
            for entry in first where entry.topic == topic { return entry.bits }
            return more.isEmpty ? nil : more[topic]
        }

        mutating func add(_ topic: String, _ bits: UInt) {
            if first.count < Table.scanned { first.append((topic, bits)) } else { more[topic] = bits }
        }
    }

    /// The handle for `topic`, made on first use; nil when librdkafka refuses the name (the
    /// caller then produces by name, and gets librdkafka's error).
    func handle(for topic: String, client: OpaquePointer) -> OpaquePointer? {
        let bits = handles.withLock { handles -> UInt? in
            if let bits = handles.find(topic) { return bits }
            guard let made = rd_kafka_topic_new(client, topic, nil) else { return nil }
            let bits = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(made)))
            handles.add(topic, bits)
            return bits
        }
        return bits.flatMap { OpaquePointer(bitPattern: $0) }
    }

    /// Releases every handle. Later calls to `handle` make new ones.
    func destroyAll() {
        let all = handles.withLock { handles in
            defer { handles = Table() }
            return handles.first.map(\.bits) + Array(handles.more.values)
        }
        for bits in all {
            if let handle = OpaquePointer(bitPattern: bits) { rd_kafka_topic_destroy(handle) }
        }
    }
}
