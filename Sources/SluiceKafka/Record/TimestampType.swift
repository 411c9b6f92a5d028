import CRdKafka

/// Who set a consumed record's timestamp, as kcat's `tstype` names it.
public enum TimestampType: String, Sendable, Hashable {
    /// The producer (Kafka's CreateTime).
    case create
    /// The broker, when the record was appended (the topic's `message.timestamp.type=LogAppendTime`).
    case logAppend = "logappend"
    /// The record has no timestamp.
    case none

    init(_ type: rd_kafka_timestamp_type_t) {
        switch type {
        case RD_KAFKA_TIMESTAMP_CREATE_TIME: self = .create
        case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME: self = .logAppend
        default: self = .none
        }
    }
}
