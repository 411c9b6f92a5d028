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
    /// thread-safe and live until `destroyAll`).
    private let handles = Mutex<[String: UInt]>([:])

    /// The handle for `topic`, made on first use; nil when librdkafka refuses the name (the
    /// caller then produces by name, and gets librdkafka's error).
    func handle(for topic: String, client: OpaquePointer) -> OpaquePointer? {
        let bits = handles.withLock { handles -> UInt? in
            if let bits = handles[topic] { return bits }
            guard let made = rd_kafka_topic_new(client, topic, nil) else { return nil }
            let bits = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(made)))
            handles[topic] = bits
            return bits
        }
        return bits.flatMap { OpaquePointer(bitPattern: $0) }
    }

    /// Releases every handle. Later calls to `handle` make new ones.
    func destroyAll() {
        let all = handles.withLock { handles in
            defer { handles = [:] }
            return Array(handles.values)
        }
        for bits in all {
            if let handle = OpaquePointer(bitPattern: bits) { rd_kafka_topic_destroy(handle) }
        }
    }
}
