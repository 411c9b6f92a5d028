import CRdKafka

/// librdkafka's in-process mock Kafka cluster, listening on 127.0.0.1 (random ports).
///
/// Speaks the Kafka protocol on real sockets, so any client (this process, kcat, another
/// `sluice`) can use `bootstrapServers`. No admin API (create topics with `createTopic`), no
/// exactly-once semantics, about 5 MiB kept per partition. The cluster stops when this object
/// is released.
public final class MockCluster: Sendable {
    /// The producer instance the cluster is attached to (librdkafka requires one).
    private let client: NativeHandle
    private let cluster: NativeHandle
    private let callbacks: ClientCallbacks
    /// Comma-separated `host:port` list of the brokers.
    public let bootstrapServers: String
    public let brokerCount: Int

    /// Starts a cluster of `brokers` brokers with ids 1...brokers. librdkafka's logs about the
    /// cluster go to `logHandler`, or nowhere.
    public init(brokers: Int = 1, logHandler: KafkaLogHandler? = nil) throws(KafkaError) {
        guard (1...32).contains(brokers) else {
            throw KafkaError.local(
                KafkaError.Code.invalidArgument, "broker count must be between 1 and 32, not \(brokers)")
        }
        let config: KafkaConfig = ["client.id": "sluice-mock-cluster"]
        let callbacks = ClientCallbacks(logHandler: logHandler)
        let conf = try config.makeNative()
        callbacks.install(on: conf, dropLogs: true)
        let client = try NativeHandle.create(RD_KAFKA_PRODUCER, conf: conf, config: config)
        // Ownership: we own the cluster and destroy it before its client, in deinit.
        guard let cluster = rd_kafka_mock_cluster_new(client.pointer, Int32(brokers)) else {
            rd_kafka_destroy(client.pointer)
            throw KafkaError.local(KafkaError.Code.invalidArgument, "cannot start the mock kafka cluster")
        }
        self.client = client
        self.cluster = NativeHandle(pointer: cluster)
        self.callbacks = callbacks
        self.brokerCount = brokers
        // The string belongs to the cluster: copy it.
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster.pointer)
        rd_kafka_destroy(client.pointer)
    }

    /// Creates a topic (the mock cluster has no CreateTopics API).
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws(KafkaError) {
        guard partitions > 0, replicationFactor > 0, Int(replicationFactor) <= brokerCount else {
            throw KafkaError.local(
                KafkaError.Code.invalidArgument,
                "cannot create topic \"\(name)\": need at least 1 partition and a replication factor between 1 and \(brokerCount)"
            )
        }
        try check(
            rd_kafka_mock_topic_create(cluster.pointer, name, partitions, replicationFactor), "create topic \"\(name)\""
        )
    }

    /// Disconnects a broker (or every broker for id -1) and refuses new connections.
    public func setBrokerDown(_ id: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_down(cluster.pointer, id), "set broker \(id) down")
    }

    /// Lets a broker (or every broker for id -1) accept connections again.
    public func setBrokerUp(_ id: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_up(cluster.pointer, id), "set broker \(id) up")
    }

    /// Delays every response of a broker (or of every broker for id -1) by `milliseconds`.
    public func setRoundTripTime(broker id: Int32, milliseconds: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_rtt(cluster.pointer, id, milliseconds), "set broker \(id) rtt")
    }

    /// Makes the next `errors.count` requests of protocol API `apiKey` (see `KafkaAPIKey`) fail
    /// with these error codes, in order. `KafkaError.Code.transport` disconnects the client.
    public func pushRequestErrors(apiKey: Int16, errors: [Int32]) {
        let codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        codes.withUnsafeBufferPointer {
            rd_kafka_mock_push_request_errors_array(cluster.pointer, apiKey, $0.count, $0.baseAddress)
        }
    }

    /// Forgets errors pushed for `apiKey` and not yet returned.
    public func clearRequestErrors(apiKey: Int16) {
        rd_kafka_mock_clear_request_errors(cluster.pointer, apiKey)
    }

    private func check(_ err: rd_kafka_resp_err_t, _ what: String) throws(KafkaError) {
        if let error = KafkaError(err, context: "mock cluster: cannot \(what)") { throw error }
    }
}

/// Kafka protocol request types, for `MockCluster.pushRequestErrors`.
public enum KafkaAPIKey {
    public static let produce: Int16 = 0
    public static let fetch: Int16 = 1
    public static let listOffsets: Int16 = 2
    public static let metadata: Int16 = 3
    public static let offsetCommit: Int16 = 8
    public static let offsetFetch: Int16 = 9
    public static let findCoordinator: Int16 = 10
    public static let joinGroup: Int16 = 11
    public static let heartbeat: Int16 = 12
    public static let leaveGroup: Int16 = 13
    public static let syncGroup: Int16 = 14
    public static let initProducerID: Int16 = 22
    public static let addPartitionsToTxn: Int16 = 24
    public static let addOffsetsToTxn: Int16 = 25
    public static let endTxn: Int16 = 26
    public static let txnOffsetCommit: Int16 = 28
}
