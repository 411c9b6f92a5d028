import CRdKafka
import SluiceSupport
import Synchronization

/// The outcome of one produced message, identified by the id `produce` returned.
///
/// Four numbers (and, for a failed delivery, the message), so that gathering a million of
/// them stays cheap; `error` is built on demand.
public struct DeliveryReport: Sendable, Hashable {
    public var id: UInt64
    public var partition: Int32
    /// The offset the broker assigned, or `KafkaOffset.invalid` when unknown or failed.
    public var offset: Int64
    /// The `rd_kafka_resp_err_t` raw value: 0 when delivered.
    public var errorCode: Int32
    private var failed: UndeliveredMessage?

    public init(id: UInt64, partition: Int32, offset: Int64, errorCode: Int32 = 0, undelivered: Record? = nil) {
        self.id = id
        self.partition = partition
        self.offset = offset
        self.errorCode = errorCode
        self.failed = undelivered.map(UndeliveredMessage.init)
    }

    /// A failed message as it was produced (topic, key, value and headers; librdkafka reports
    /// no timestamp for failed messages: -1), so that it can be produced again without the
    /// caller keeping every message until it is acknowledged; nil when delivered.
    public var undelivered: Record? { failed?.record }

    public static func == (a: DeliveryReport, b: DeliveryReport) -> Bool {
        a.id == b.id && a.partition == b.partition && a.offset == b.offset && a.errorCode == b.errorCode
            && a.undelivered == b.undelivered
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(errorCode)
    }

    public var isDelivered: Bool { errorCode == KafkaError.Code.noError }

    /// Why the message was not delivered (after librdkafka's own retries); nil when delivered.
    public var error: KafkaError? {
        guard !isDelivered else { return nil }
        return KafkaError(code: errorCode, message: "delivery failed: \(KafkaError.text(of: errorCode))")
    }

    /// Reads a delivery report message (owned by librdkafka, which frees it afterwards): a
    /// failed message's topic, key, value and headers are copied.
    init(_ message: UnsafePointer<rd_kafka_message_t>) {
        let fields = message.pointee
        self.init(
            id: UInt64(UInt(bitPattern: fields._private)), partition: fields.partition, offset: fields.offset,
            errorCode: fields.err.rawValue)
        if fields.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let topic = fields.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
            failed = UndeliveredMessage(BorrowedRecord(message, topic: topic).copy())
        }
    }
}

/// The message of a failed delivery report, boxed so that reports of delivered messages stay
/// small.
private final class UndeliveredMessage: Sendable {
    let record: Record

    init(_ record: Record) {
        self.record = record
    }
}

/// A librdkafka producer (`rd_kafka_t` of type producer).
///
/// Usage: `produce` many messages (it never blocks; each call returns a message id), call
/// `poll(timeoutMs:)` every so often to serve delivery reports, and take them with
/// `takeDeliveryReports()`; `flush` before letting go of the producer, or outstanding messages
/// are discarded.
///
/// Threading: every method may be called from any thread. `poll`, `flush` and the transaction
/// methods block up to their timeout: call them from a dedicated `Thread`, not from Swift's
/// cooperative pool. Delivery reports and errors are gathered during `poll`/`flush` on the
/// calling thread.
public final class KafkaProducer: Sendable {
    let handle: NativeHandle
    let callbacks: ClientCallbacks
    private let nextID = Atomic<UInt64>(1)
    private let topics = TopicHandles()

    /// Creates the producer. Nothing is sent until the first `produce`.
    public init(config: KafkaConfig, logHandler: KafkaLogHandler? = nil) throws(KafkaError) {
        let callbacks = ClientCallbacks(logHandler: logHandler)
        let conf = try config.makeNative()
        callbacks.install(on: conf)
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
            // The message belongs to librdkafka and is freed when this callback returns.
            guard let message, let opaque else { return }
            let report = DeliveryReport(message)
            // Called once per message: the callbacks object (alive as long as the client, see
            // ClientCallbacks) is used without a retain and release.
            Unmanaged<ClientCallbacks>.fromOpaque(opaque)._withUnsafeGuaranteedRef { callbacks in
                callbacks.deliveries.withLock { $0.append(report) }
            }
        }
        self.handle = try NativeHandle.create(RD_KAFKA_PRODUCER, conf: conf, config: config)
        self.callbacks = callbacks
    }

    deinit {
        // Messages not yet delivered are discarded: callers flush first. The callbacks object
        // is released only after this returns, so no callback can reach a freed object.
        topics.destroyAll()
        rd_kafka_destroy(handle.pointer)
    }

    /// Queues one message and returns its id (the `DeliveryReport.id` it will be reported
    /// with). Does not block.
    ///
    /// - Parameters:
    ///   - partition: nil lets the partitioner choose from the key.
    ///   - value: nil produces a tombstone; an empty array produces an empty value.
    ///   - timestamp: milliseconds since the epoch; nil (or 0) lets librdkafka use the current
    ///     time.
    /// - Throws: `KafkaError` with `isQueueFull` when `queue.buffering.max.messages` is
    ///   reached (poll, then try again), or an unknown topic/partition, or a fatal error.
    @discardableResult
    public func produce(
        topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8]?,
        headers: [Header] = [], timestamp: Int64? = nil
    ) throws(KafkaError) -> UInt64 {
        try withBytes(key) { (keyBytes) throws(KafkaError) in
            try withBytes(value) { (valueBytes) throws(KafkaError) in
                try produceBorrowed(topic: topic, partition: partition, key: keyBytes, value: valueBytes, headers: headers, timestamp: timestamp)
            }
        }
    }

    /// `produce(topic:partition:key:value:headers:timestamp:)` with the key and value as
    /// bytes the caller owns (librdkafka copies them before this returns).
    @discardableResult
    public func produceBorrowed(
        topic: String, partition: Int32? = nil, key: UnsafeBufferPointer<UInt8>?, value: UnsafeBufferPointer<UInt8>?,
        headers: [Header] = [], timestamp: Int64? = nil
    ) throws(KafkaError) -> UInt64 {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let topicHandle = topics.handle(for: topic, client: handle.pointer)
        let error = topic.withCString { topicName in
            withNonNull(key) { keyBytes in
                withNonNull(value) { valueBytes in
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 8) { vus in
                        var count = 0
                        func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                            var vu = rd_kafka_vu_t()
                            vu.vtype = type
                            fill(&vu)
                            vus[count] = vu
                            count += 1
                        }
                        if let topicHandle {
                            add(RD_KAFKA_VTYPE_RKT) { $0.u.rkt = topicHandle }
                        } else {
                            add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topicName }
                        }
                        if let partition { add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition } }
                        // F_COPY: librdkafka copies the value, so Swift may free it on return.
                        add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                        add(RD_KAFKA_VTYPE_KEY) {
                            $0.u.mem.ptr = keyBytes.map { UnsafeMutableRawPointer(mutating: $0.baseAddress) } ?? nil
                            $0.u.mem.size = keyBytes?.count ?? 0
                        }
                        add(RD_KAFKA_VTYPE_VALUE) {
                            $0.u.mem.ptr = valueBytes.map { UnsafeMutableRawPointer(mutating: $0.baseAddress) } ?? nil
                            $0.u.mem.size = valueBytes?.count ?? 0
                        }
                        if let timestamp { add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = timestamp } }
                        add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(id)) }
                        let nativeHeaders = headers.isEmpty ? nil : makeNativeHeaders(headers)
                        if let nativeHeaders { add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = nativeHeaders } }
                        let error = rd_kafka_produceva(handle.pointer, vus.baseAddress, count)
                        // Ownership: on success librdkafka owns the headers; on failure we do.
                        if error != nil, let nativeHeaders { rd_kafka_headers_destroy(nativeHeaders) }
                        return error
                    }
                }
            }
        }
        if let failure = KafkaError(consuming: error, context: "cannot produce to topic \"\(topic)\"") {
            throw failure
        }
        return id
    }

    /// Queues a record's key, value, headers and timestamp to its topic (and to its partition
    /// when `keepPartition` is true).
    @discardableResult
    public func produce(_ record: Record, keepPartition: Bool = false) throws(KafkaError) -> UInt64 {
        try produce(
            topic: record.topic, partition: keepPartition ? record.partition : nil, key: record.key,
            value: record.value, headers: record.headers, timestamp: record.timestamp)
    }

    /// Serves queued callbacks (delivery reports, errors), waiting up to `timeoutMs` for the
    /// first one. Blocks. Returns the number of events served.
    @discardableResult
    public func poll(timeoutMs: Int32 = 0) -> Int {
        Int(rd_kafka_poll(handle.pointer, timeoutMs))
    }

    /// Takes the delivery reports gathered so far, in the order librdkafka reported them.
    public func takeDeliveryReports() -> [DeliveryReport] {
        var reports: [DeliveryReport] = []
        takeDeliveryReports(into: &reports)
        return reports
    }

    /// Replaces the contents of `reports` with the delivery reports gathered so far. The two
    /// arrays' storage is swapped, so a loop that reuses one array allocates nothing.
    public func takeDeliveryReports(into reports: inout [DeliveryReport]) {
        reports.removeAll(keepingCapacity: true)
        callbacks.deliveries.withLock { swap(&$0, &reports) }
    }

    /// Waits until every queued message is delivered or failed, serving delivery reports.
    /// Blocks up to `timeoutMs`; throws a `_TIMED_OUT` error if messages remain.
    public func flush(timeoutMs: Int32) throws(KafkaError) {
        let err = rd_kafka_flush(handle.pointer, timeoutMs)
        if let error = KafkaError(err, context: "flush: \(outstandingCount) message(s) still outstanding") {
            throw error
        }
    }

    /// Messages queued or in flight, plus delivery reports not yet served by `poll`.
    public var outstandingCount: Int { Int(rd_kafka_outq_len(handle.pointer)) }

    /// Errors librdkafka reported (all brokers down, authentication failures, fatal errors),
    /// oldest first, since the last call. Most are transient: librdkafka keeps retrying.
    public func takeErrors() -> [KafkaError] { callbacks.takeErrors() }

    /// The fatal error raised on this producer, if any (then it must be recreated).
    public var fatalError: KafkaError? { KafkaError.fatalError(of: handle) }

    /// The producer's client name, such as `rdkafka#producer-1`.
    public var name: String { String(cString: rd_kafka_name(handle.pointer)) }
}

/// Calls `body` with a buffer for `bytes`, nil for nil; an empty array gets a non-nil pointer
/// so that librdkafka sends an empty value rather than null.
private func withBytes<T>(
    _ bytes: [UInt8]?, _ body: (UnsafeBufferPointer<UInt8>?) throws(KafkaError) -> T
) throws(KafkaError) -> T {
    guard let bytes else { return try body(nil) }
    return try bytes.withUnsafeBufferPointer { (buffer) throws(KafkaError) in try body(buffer) }
}

/// `bytes` with a non-null address even when empty: librdkafka reads a null pointer as a null
/// key or value, and an empty array may have none.
private func withNonNull<T>(_ bytes: UnsafeBufferPointer<UInt8>?, _ body: (UnsafeRawBufferPointer?) -> T) -> T {
    guard let bytes else { return body(nil) }
    if bytes.baseAddress == nil {
        var zero: UInt8 = 0
        return withUnsafeBytes(of: &zero) { body(UnsafeRawBufferPointer(rebasing: $0[0..<0])) }
    }
    return body(UnsafeRawBufferPointer(bytes))
}

/// A new `rd_kafka_headers_t` holding copies of `headers`.
///
/// Ownership: the caller owns the list (passing it to a successful produce hands it over);
/// otherwise destroy it with `rd_kafka_headers_destroy`.
private func makeNativeHeaders(_ headers: [Header]) -> OpaquePointer? {
    guard let list = rd_kafka_headers_new(headers.count) else { return nil }
    for header in headers {
        // rd_kafka_header_add copies the name and value; a nil value is a null header.
        let add = { (bytes: UnsafeRawBufferPointer?) in
            _ = rd_kafka_header_add(list, header.name, -1, bytes?.baseAddress, bytes?.count ?? 0)
        }
        guard let value = header.value else {
            add(nil)
            continue
        }
        value.withUnsafeBufferPointer { withNonNull($0, add) }
    }
    return list
}
