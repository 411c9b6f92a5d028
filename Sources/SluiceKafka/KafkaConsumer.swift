import CRdKafka
import SluiceSupport
import Synchronization

/// A librdkafka high-level consumer (`rd_kafka_t` of type consumer).
///
/// Join a group with `subscribe` (needs `group.id`), or read chosen partitions with `assign`.
/// Then `poll`/`pollBatch` in a loop with a short timeout, commit what was processed, and
/// `close` to leave the group.
///
/// Threading: methods may be called from any thread, but one thread should own the poll
/// loop. `poll`, `pollBatch`, `close`, `committed`, `commit` (synchronous), `seek` and the
/// metadata and watermark queries block up to their timeout: run them on a dedicated
/// `Thread`, not on Swift's cooperative pool. The rebalance handler and error collection run
/// inside `poll`/`pollBatch`/`close`, on the polling thread.
public final class KafkaConsumer: Sendable {
    let handle: NativeHandle
    let callbacks: ClientCallbacks
    private let closed = Atomic<Bool>(false)

    /// Creates the consumer. `group.id` is required, even to read assigned partitions
    /// (librdkafka 2.0 cannot poll without one; nothing is committed unless asked). Set
    /// `session.timeout.ms` (6000 on the mock cluster) to keep rebalances quick.
    public init(config: KafkaConfig, logHandler: KafkaLogHandler? = nil) throws(KafkaError) {
        guard let group = config["group.id"], !group.isEmpty else {
            throw KafkaError(
                code: KafkaError.Code.invalidArgument,
                message: "a consumer needs configuration property \"group.id\"", isRetriable: false,
                property: "group.id")
        }
        let callbacks = ClientCallbacks(logHandler: logHandler)
        let conf = try config.makeNative()
        callbacks.install(on: conf)
        rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
        rd_kafka_conf_set_offset_commit_cb(conf, offsetCommitCallback)
        let handle = try NativeHandle.create(RD_KAFKA_CONSUMER, conf: conf, config: config)
        // Serve the main queue (errors, commit results) from the consumer queue, so that one
        // poll loop handles everything.
        if let error = KafkaError(
            rd_kafka_poll_set_consumer(handle.pointer), context: "route events to the consumer queue")
        {
            rd_kafka_destroy(handle.pointer)
            throw error
        }
        self.handle = handle
        self.callbacks = callbacks
        callbacks.rebalance.withLock { $0.consumer = self }
    }

    deinit {
        // rd_kafka_destroy would close the consumer too; closing first keeps the order clear.
        // The rebalance handler is not called from here (its weak consumer reference is nil).
        if !closed.load(ordering: .acquiring) { _ = rd_kafka_consumer_close(handle.pointer) }
        rd_kafka_destroy(handle.pointer)
    }

    /// Joins the group and subscribes to `topics` (names, or regexes starting with `^`).
    /// Partitions arrive through `onRebalance` during later polls.
    public func subscribe(topics: [String], onRebalance: RebalanceHandler? = nil) throws(KafkaError) {
        callbacks.rebalance.withLock { $0.handler = onRebalance }
        let items = topics.map {
            TopicPartitionOffset(topic: $0, partition: RD_KAFKA_PARTITION_UA, offset: KafkaOffset.invalid)
        }
        let err = PartitionList.with(items) { rd_kafka_subscribe(handle.pointer, $0) }
        if let error = KafkaError(err, context: "subscribe to \(topics.joined(separator: ", "))") { throw error }
    }

    /// Leaves the subscription (the group's partitions are revoked during a later poll).
    public func unsubscribe() throws(KafkaError) {
        if let error = KafkaError(rd_kafka_unsubscribe(handle.pointer), context: "unsubscribe") { throw error }
    }

    /// Reads exactly these partitions from these offsets, without group management
    /// (`KafkaOffset.beginning`, `.end` or `.stored` work as offsets).
    public func assign(_ partitions: [TopicPartitionOffset]) throws(KafkaError) {
        let err = PartitionList.with(partitions) { rd_kafka_assign(handle.pointer, $0) }
        if let error = KafkaError(err, context: "assign partitions") { throw error }
    }

    /// Stops reading every assigned partition.
    public func unassign() throws(KafkaError) {
        if let error = KafkaError(rd_kafka_assign(handle.pointer, nil), context: "unassign partitions") { throw error }
    }

    /// Waits up to `timeoutMs` for one message, serving rebalances and errors meanwhile.
    /// Blocks. Nil when nothing arrived in time.
    public func poll(timeoutMs: Int32) -> KafkaMessage? {
        // Ownership: a returned message is ours; it is copied out, then destroyed.
        guard let message = rd_kafka_consumer_poll(handle.pointer, timeoutMs) else { return nil }
        defer { rd_kafka_message_destroy(message) }
        return KafkaMessage(message, handle: handle)
    }

    /// Waits up to `timeoutMs` for a first message, then takes up to `maxMessages` in all of
    /// those already fetched (without waiting further). Blocks. Empty when nothing arrived.
    public func pollBatch(maxMessages: Int, timeoutMs: Int32) -> [KafkaMessage] {
        var messages: [KafkaMessage] = []
        messages.reserveCapacity(min(maxMessages, 1024))
        var topics = TopicNames()
        withPolledMessages(maxMessages: maxMessages, timeoutMs: timeoutMs) { message in
            messages.append(KafkaMessage(message, handle: handle, topics: &topics))
        }
        return messages
    }

    /// Revokes the assignment (calling the rebalance handler), commits if auto-commit is on,
    /// and leaves the group. Blocks until done. Later calls do nothing.
    public func close() throws(KafkaError) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if let error = KafkaError(rd_kafka_consumer_close(handle.pointer), context: "close consumer") { throw error }
    }

    /// Errors librdkafka reported (broker connections, failed async commits, rebalance
    /// failures, fatal errors), oldest first, since the last call.
    public func takeErrors() -> [KafkaError] { callbacks.takeErrors() }

    /// The fatal error raised on this consumer, if any (then it must be recreated).
    public var fatalError: KafkaError? { KafkaError.fatalError(of: handle) }

    /// The consumer's client name, such as `rdkafka#consumer-1`.
    public var name: String { String(cString: rd_kafka_name(handle.pointer)) }

    /// The member id the group coordinator gave this consumer, or nil before joining.
    public var memberID: String? {
        // Ownership: rd_kafka_memberid returns a string we free with rd_kafka_mem_free.
        guard let id = rd_kafka_memberid(handle.pointer) else { return nil }
        defer { rd_kafka_mem_free(nil, id) }
        let text = String(cString: id)
        return text.isEmpty ? nil : text
    }
}
