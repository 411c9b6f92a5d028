import CRdKafka

/// An error reported by librdkafka or by this wrapper, with librdkafka's classification.
///
/// `code` is the raw value of librdkafka's `rd_kafka_resp_err_t` (negative values are local
/// client errors, positive ones come from the broker); `name` is its symbolic name such as
/// `_QUEUE_FULL` or `NOT_LEADER_FOR_PARTITION`.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int32
    public var name: String
    public var message: String
    /// The client instance can no longer be used: destroy it (and, for a fenced transactional
    /// producer, stop: another instance has taken over).
    public var isFatal: Bool
    /// The same operation may succeed if it is tried again.
    public var isRetriable: Bool
    /// The current transaction must be aborted (then a new one may begin).
    public var txnRequiresAbort: Bool
    /// The configuration property the error is about, for configuration errors.
    public var property: String?

    public init(
        code: Int32, name: String? = nil, message: String, isFatal: Bool = false,
        isRetriable: Bool? = nil, txnRequiresAbort: Bool = false, property: String? = nil
    ) {
        self.code = code
        self.name = name ?? KafkaError.name(of: code)
        self.message = message
        self.isFatal = isFatal || code == Code.fatal
        self.isRetriable = isRetriable ?? KafkaError.retriableCodes.contains(code)
        self.txnRequiresAbort = txnRequiresAbort
        self.property = property
    }

    public var description: String { "\(message) [\(name)]" }

    /// The producer lost its transactional id to a newer instance, or its epoch is stale.
    public var isFenced: Bool {
        code == Code.fenced || code == Code.producerFenced || code == Code.invalidProducerEpoch
            || code == Code.fencedInstanceID
    }

    public var isQueueFull: Bool { code == Code.queueFull }
    public var isTimedOut: Bool { code == Code.timedOut || code == Code.messageTimedOut }

    /// librdkafka's symbolic name for an error code.
    public static func name(of code: Int32) -> String {
        String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: code)))
    }

    /// librdkafka's human-readable text for an error code.
    public static func text(of code: Int32) -> String {
        String(cString: rd_kafka_err2str(rd_kafka_resp_err_t(rawValue: code)))
    }

    /// Error codes that are usually transient: the client or caller may try again.
    static let retriableCodes: Set<Int32> = [
        Code.transport, Code.resolve, Code.messageTimedOut, Code.allBrokersDown, Code.timedOut,
        Code.queueFull, Code.timedOutQueue, Code.waitCoordinator,
        Code.unknownTopicOrPartition, Code.leaderNotAvailable, Code.notLeaderForPartition,
        Code.requestTimedOut, Code.networkException, Code.coordinatorLoadInProgress,
        Code.coordinatorNotAvailable, Code.notCoordinator, Code.notEnoughReplicas,
        Code.notEnoughReplicasAfterAppend, Code.kafkaStorageError, Code.rebalanceInProgress,
        Code.concurrentTransactions,
    ]
}

extension KafkaError {
    /// Raw values of the `rd_kafka_resp_err_t` codes this project looks at.
    public enum Code {
        public static let noError = RD_KAFKA_RESP_ERR_NO_ERROR.rawValue
        public static let destroy = RD_KAFKA_RESP_ERR__DESTROY.rawValue
        public static let transport = RD_KAFKA_RESP_ERR__TRANSPORT.rawValue
        public static let resolve = RD_KAFKA_RESP_ERR__RESOLVE.rawValue
        public static let messageTimedOut = RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue
        public static let partitionEOF = RD_KAFKA_RESP_ERR__PARTITION_EOF.rawValue
        public static let unknownPartition = RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION.rawValue
        public static let unknownTopic = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC.rawValue
        public static let allBrokersDown = RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue
        public static let invalidArgument = RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue
        public static let timedOut = RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue
        public static let queueFull = RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue
        public static let waitCoordinator = RD_KAFKA_RESP_ERR__WAIT_COORD.rawValue
        public static let state = RD_KAFKA_RESP_ERR__STATE.rawValue
        public static let noOffset = RD_KAFKA_RESP_ERR__NO_OFFSET.rawValue
        public static let timedOutQueue = RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE.rawValue
        public static let unsupportedFeature = RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE.rawValue
        public static let fatal = RD_KAFKA_RESP_ERR__FATAL.rawValue
        public static let fenced = RD_KAFKA_RESP_ERR__FENCED.rawValue
        public static let assignmentLost = RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST.rawValue
        public static let offsetOutOfRange = RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE.rawValue
        public static let unknownTopicOrPartition = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue
        public static let leaderNotAvailable = RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE.rawValue
        public static let notLeaderForPartition = RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue
        public static let requestTimedOut = RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue
        public static let networkException = RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION.rawValue
        public static let coordinatorLoadInProgress = RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS.rawValue
        public static let coordinatorNotAvailable = RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE.rawValue
        public static let notCoordinator = RD_KAFKA_RESP_ERR_NOT_COORDINATOR.rawValue
        public static let notEnoughReplicas = RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS.rawValue
        public static let notEnoughReplicasAfterAppend = RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND.rawValue
        public static let rebalanceInProgress = RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS.rawValue
        public static let topicAuthorizationFailed = RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED.rawValue
        public static let groupAuthorizationFailed = RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED.rawValue
        public static let topicAlreadyExists = RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS.rawValue
        public static let invalidProducerEpoch = RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH.rawValue
        public static let concurrentTransactions = RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS.rawValue
        public static let kafkaStorageError = RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR.rawValue
        public static let fencedInstanceID = RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID.rawValue
        public static let producerFenced = RD_KAFKA_RESP_ERR_PRODUCER_FENCED.rawValue
    }
}

extension KafkaError {
    /// Converts a plain error code; nil for `RD_KAFKA_RESP_ERR_NO_ERROR`.
    ///
    /// `context` prefixes librdkafka's text (say, "commit offsets"); it is only evaluated on
    /// error, which keeps hot paths free of string building.
    init?(_ err: rd_kafka_resp_err_t, context: @autoclosure () -> String? = nil) {
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        let text = KafkaError.text(of: err.rawValue)
        self.init(code: err.rawValue, message: KafkaError.join(context(), text))
    }

    /// Converts and destroys an `rd_kafka_error_t` (the caller passes ownership); nil for NULL.
    init?(consuming error: OpaquePointer?, context: @autoclosure () -> String? = nil) {
        guard let error else { return nil }
        let context = context()
        // Ownership: librdkafka returned this object to us; we destroy it once read.
        defer { rd_kafka_error_destroy(error) }
        self.init(
            code: rd_kafka_error_code(error).rawValue,
            name: String(cString: rd_kafka_error_name(error)),
            message: KafkaError.join(context, String(cString: rd_kafka_error_string(error))),
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            txnRequiresAbort: rd_kafka_error_txn_requires_abort(error) != 0
        )
    }

    /// Reads the instance's fatal error, if one was raised (`rd_kafka_fatal_error`).
    static func fatalError(of handle: NativeHandle) -> KafkaError? {
        let (code, text) = withErrorBuffer { rd_kafka_fatal_error(handle.pointer, $0, $1) }
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError(code: code.rawValue, message: "fatal error: \(text)", isFatal: true, isRetriable: false)
    }

    /// An error raised by the wrapper itself (bad arguments, missing results).
    static func local(_ code: Int32, _ message: String) -> KafkaError {
        KafkaError(code: code, message: message, isRetriable: false)
    }

    private static func join(_ context: String?, _ text: String) -> String {
        guard let context else { return text }
        return "\(context): \(text)"
    }
}
