import CRdKafka

/// A pointer to a librdkafka object that may be used from any thread.
///
/// `@unchecked Sendable` is justified: librdkafka documents its client handles (`rd_kafka_t`),
/// topic handles (`rd_kafka_topic_t`) and the mock cluster (`rd_kafka_mock_cluster_t`, whose
/// calls post operations to the cluster's own thread) as thread-safe. This is the only unchecked
/// conformance in the module; everything else is checked by the compiler. The wrapper does not
/// own the object: the class holding it destroys it exactly once, in its `deinit`.
struct NativeHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// Fills a C error buffer by calling `body`, then turns it into a Swift string.
func withErrorBuffer<T>(_ body: (UnsafeMutablePointer<CChar>, Int) -> T) -> (T, String) {
    let size = 512
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
    defer { buffer.deallocate() }
    buffer.initialize(repeating: 0, count: size)
    let result = body(buffer, size)
    return (result, String(cString: buffer))
}

/// Copies `count` bytes at `pointer` into an array, or nil when there is no buffer.
func copyBytes(_ pointer: UnsafeRawPointer?, count: Int) -> [UInt8]? {
    guard let pointer else { return nil }
    return Array(UnsafeRawBufferPointer(start: pointer, count: count))
}
