import CRdKafka

/// A topic to create, with broker-side configs such as `retention.ms=-1` or
/// `cleanup.policy=compact`.
public struct NewTopic: Sendable, Hashable {
    public var name: String
    public var partitions: Int32
    /// -1 uses the broker's default (needs Kafka 2.4 or later).
    public var replicationFactor: Int32
    public var configs: [String: String]

    public init(name: String, partitions: Int32, replicationFactor: Int32 = -1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// Cluster administration through librdkafka's Admin API (topic creation, metadata).
///
/// Threading: methods may be called from any thread; they block up to their timeout, so
/// call them from a dedicated thread or before starting the pipeline.
public final class KafkaAdmin: Sendable {
    let handle: NativeHandle
    let callbacks: ClientCallbacks

    public init(config: KafkaConfig, logHandler: KafkaLogHandler? = nil) throws(KafkaError) {
        let callbacks = ClientCallbacks(logHandler: logHandler)
        let conf = try config.makeNative()
        callbacks.install(on: conf)
        self.handle = try NativeHandle.create(RD_KAFKA_PRODUCER, conf: conf, config: config)
        self.callbacks = callbacks
    }

    deinit {
        rd_kafka_destroy(handle.pointer)
    }

    /// Creates topics; with `ignoreExisting`, a topic that already exists is not an error.
    /// Blocks up to `timeoutMs`. Throws the first topic's failure.
    ///
    /// librdkafka's mock cluster has no CreateTopics API: the error then says to use
    /// `MockCluster.createTopic`.
    public func createTopics(_ topics: [NewTopic], ignoreExisting: Bool = true, timeoutMs: Int32) throws(KafkaError) {
        guard !topics.isEmpty else { return }
        try requireController(timeoutMs: timeoutMs)
        var natives: [OpaquePointer?] = []
        // Ownership: the NewTopic objects and the options are ours, destroyed on every path.
        defer { natives.withUnsafeMutableBufferPointer { rd_kafka_NewTopic_destroy_array($0.baseAddress, $0.count) } }
        for topic in topics {
            let (native, text) = withErrorBuffer {
                rd_kafka_NewTopic_new(topic.name, topic.partitions, topic.replicationFactor, $0, $1)
            }
            guard let native else {
                throw KafkaError.local(
                    KafkaError.Code.invalidArgument, "cannot create topic \"\(topic.name)\": \(text)")
            }
            natives.append(native)
            for (key, value) in topic.configs.sorted(by: { $0.key < $1.key }) {
                let err = rd_kafka_NewTopic_set_config(native, key, value)
                if let error = KafkaError(err, context: "topic \"\(topic.name)\": config \"\(key)\"") { throw error }
            }
        }
        guard let options = rd_kafka_AdminOptions_new(handle.pointer, RD_KAFKA_ADMIN_OP_CREATETOPICS) else {
            throw KafkaError.local(KafkaError.Code.invalidArgument, "cannot allocate admin options")
        }
        defer { rd_kafka_AdminOptions_destroy(options) }
        let (err, text) = withErrorBuffer { rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, $0, $1) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.local(err.rawValue, "invalid admin timeout: \(text)")
        }
        _ = withErrorBuffer { rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMs, $0, $1) }

        let results = try natives.withUnsafeMutableBufferPointer { (buffer) throws(KafkaError) -> [KafkaError?] in
            try AdminRequest.run(handle, timeoutMs: timeoutMs, what: "create topics") { queue in
                rd_kafka_CreateTopics(handle.pointer, buffer.baseAddress, buffer.count, options, queue)
            } read: { event in
                guard let result = rd_kafka_event_CreateTopics_result(event) else { return [] }
                var count = 0
                guard let list = rd_kafka_CreateTopics_result_topics(result, &count) else { return [] }
                return (0..<count).map { index -> KafkaError? in
                    guard let topic = list[index] else { return nil }
                    let code = rd_kafka_topic_result_error(topic)
                    guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
                    if ignoreExisting && code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS { return nil }
                    let name = String(cString: rd_kafka_topic_result_name(topic))
                    let detail =
                        rd_kafka_topic_result_error_string(topic).map { String(cString: $0) }
                        ?? KafkaError.text(of: code.rawValue)
                    return KafkaError(code: code.rawValue, message: "cannot create topic \"\(name)\": \(detail)")
                }
            }
        }
        if let error = results.lazy.compactMap({ $0 }).first { throw error }
    }

    /// Fails at once when the cluster's controller is not one of its brokers (librdkafka's
    /// mock cluster names broker 0, which does not exist), where CreateTopics would otherwise
    /// wait for it until its timeout.
    private func requireController(timeoutMs: Int32) throws(KafkaError) {
        // A metadata answer also caches the controller id, so the check below does not wait.
        let brokers = try ClientQueries.cluster(handle, timeoutMs: timeoutMs).brokerIDs
        guard !brokers.contains(rd_kafka_controllerid(handle.pointer, 0)) else { return }
        throw KafkaError(
            code: KafkaError.Code.unsupportedFeature,
            message: "cannot create topics: the cluster has no controller, so it cannot serve CreateTopics "
                + "(librdkafka's mock cluster: create topics with MockCluster.createTopic or `sluice broker --topics`)",
            isRetriable: false)
    }

    /// Topic metadata from the cluster. Blocks up to `timeoutMs`.
    public func topicMetadata(timeoutMs: Int32) throws(KafkaError) -> [TopicMetadata] {
        try ClientQueries.topics(handle, timeoutMs: timeoutMs)
    }

    /// The number of partitions of `topic`; throws if it does not exist.
    public func partitionCount(topic: String, timeoutMs: Int32) throws(KafkaError) -> Int {
        try ClientQueries.partitionCount(handle, topic: topic, timeoutMs: timeoutMs)
    }
}

/// Runs one Admin API request and waits for its result event.
enum AdminRequest {
    static func run<T>(
        _ handle: NativeHandle, timeoutMs: Int32, what: String,
        start: (OpaquePointer) -> Void, read: (OpaquePointer) -> T
    ) throws(KafkaError) -> T {
        // Ownership: the result queue and the event are ours, destroyed here.
        guard let queue = rd_kafka_queue_new(handle.pointer) else {
            throw KafkaError.local(KafkaError.Code.invalidArgument, "cannot allocate a result queue")
        }
        defer { rd_kafka_queue_destroy(queue) }
        start(queue)
        // librdkafka enforces the request timeout itself; wait a little longer for its answer.
        let wait = timeoutMs > Int32.max - 5_000 ? Int32.max : timeoutMs + 5_000
        guard let event = rd_kafka_queue_poll(queue, wait) else {
            throw KafkaError(code: KafkaError.Code.timedOut, message: "\(what): no answer within \(timeoutMs) ms")
        }
        defer { rd_kafka_event_destroy(event) }
        let err = rd_kafka_event_error(event)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let text =
                rd_kafka_event_error_string(event).map { String(cString: $0) } ?? KafkaError.text(of: err.rawValue)
            throw KafkaError(code: err.rawValue, message: "\(what): \(text)")
        }
        return read(event)
    }
}
