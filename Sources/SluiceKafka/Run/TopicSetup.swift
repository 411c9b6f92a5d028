import CRdKafka

/// Topic checks the runner needs before it starts: partition counts of source topics, and
/// changelog topics created on demand.
enum TopicSetup {
    /// Creates each missing topic: with CreateTopics where the cluster supports it, else by
    /// asking the producer for the topic's metadata, which makes a cluster with automatic
    /// topic creation (librdkafka's mock cluster) create it with its default partition count.
    /// Returns the partition count of every topic, created or found.
    static func ensure(
        _ topics: [NewTopic], admin: KafkaAdmin, producer: KafkaProducer, timeoutMs: Int32, purpose: String = "changelog",
        log: (RunLogEntry) -> Void
    ) throws(KafkaError) -> [String: Int] {
        var counts: [String: Int] = [:]
        let existing = try admin.topicMetadata(timeoutMs: timeoutMs)
        for topic in topics {
            if let found = existing.first(where: { $0.name == topic.name && $0.error == nil && !$0.partitions.isEmpty }) {
                counts[topic.name] = found.partitions.count
            }
        }
        let missing = topics.filter { counts[$0.name] == nil }
        guard !missing.isEmpty else { return counts }
        do {
            try admin.createTopics(missing, timeoutMs: timeoutMs)
            for topic in missing {
                log(RunLogEntry(level: .info, message: "created \(purpose) topic", fields: [
                    RunLogField("topic", topic.name), RunLogField("partitions", topic.partitions),
                ]))
            }
        } catch where error.code == KafkaError.Code.unsupportedFeature {
            for topic in missing {
                try requestAutoCreate(topic.name, producer: producer, timeoutMs: timeoutMs)
                log(RunLogEntry(level: .warning, message: "the cluster has no CreateTopics API: \(purpose) topic auto-created", fields: [
                    RunLogField("topic", topic.name),
                ]))
            }
        }
        // Creation is asynchronous on real clusters: wait until metadata lists every topic.
        var delay: UInt32 = 50_000
        var waited: Int64 = 0
        while true {
            let listed = try admin.topicMetadata(timeoutMs: timeoutMs)
            for topic in missing {
                if let found = listed.first(where: { $0.name == topic.name && $0.error == nil && !$0.partitions.isEmpty }) {
                    counts[topic.name] = found.partitions.count
                }
            }
            if missing.allSatisfy({ counts[$0.name] != nil }) { return counts }
            guard waited < Int64(timeoutMs) * 1000 else {
                let names = missing.filter { counts[$0.name] == nil }.map(\.name).joined(separator: ", ")
                throw KafkaError(
                    code: KafkaError.Code.unknownTopicOrPartition,
                    message: "\(purpose) topic(s) \(names) did not appear after creation", isRetriable: true)
            }
            RunClock.sleep(ms: Int64(delay / 1000))
            waited += Int64(delay)
            delay = min(delay * 2, 1_000_000)
        }
    }

    /// Sends a metadata request naming `topic`, which a cluster with automatic topic creation
    /// answers by creating it. Blocks up to `timeoutMs`.
    static func requestAutoCreate(_ topic: String, producer: KafkaProducer, timeoutMs: Int32) throws(KafkaError) {
        // Ownership: the topic handle is ours and destroyed here; the metadata result too.
        guard let handle = rd_kafka_topic_new(producer.handle.pointer, topic, nil) else {
            throw KafkaError.local(KafkaError.Code.invalidArgument, "cannot create a handle for topic \"\(topic)\"")
        }
        defer { rd_kafka_topic_destroy(handle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(producer.handle.pointer, 0, handle, &metadata, timeoutMs)
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        if let error = KafkaError(err, context: "request metadata for topic \"\(topic)\"") { throw error }
    }
}
