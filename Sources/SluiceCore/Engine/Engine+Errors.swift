import SluiceSupport

extension Engine {
    /// Header names on dead-letter records.
    public enum DeadLetterHeader {
        public static let message = "sluice.error.message"
        public static let location = "sluice.error.location"
        public static let sourceTopic = "sluice.source.topic"
        public static let sourcePartition = "sluice.source.partition"
        public static let sourceOffset = "sluice.source.offset"
    }

    /// Turns the record into an error record: counted by kind, and sent to the dead-letter topic
    /// when there is one, as the original input (key, value, headers unchanged) plus headers
    /// saying what failed, where, and which record it was. A result record (aggregate or
    /// window, no single original) goes there as it stands.
    func fail(_ kind: ErrorKind, _ message: String, at location: SourceLocation, _ working: Working?) {
        counts.errors[kind, default: 0] += 1
        if options.trace {
            let by = current.map(Self.coordinates) ?? RecordCoordinates(topic: "", partition: -1, offset: -1)
            traceEvents.append(.error(record: by, kind: kind, message: message, location: location))
        }
        guard let topic = plan.deadLetterTopic else { return }
        var record: Record
        if let working, working.derived || current == nil {
            record = Record(
                topic: topic, partition: -1, offset: -1, timestamp: working.context.timestamp,
                key: working.keyBytes, value: encode(working.context.value))
        } else if let current {
            record = current
            record.topic = topic
            record.partition = -1
            record.offset = -1
        } else {
            return
        }
        record.headers.append(Header(DeadLetterHeader.message, message))
        record.headers.append(Header(DeadLetterHeader.location, location.description))
        if let current {
            record.headers.append(Header(DeadLetterHeader.sourceTopic, current.topic))
            record.headers.append(Header(DeadLetterHeader.sourcePartition, String(current.partition)))
            record.headers.append(Header(DeadLetterHeader.sourceOffset, String(current.offset)))
        }
        emit(record)
    }
}
