import SluiceCore
import SluiceSupport

/// The changelog topics that make aggregate and window state durable: one compacted topic per
/// stateful step, named `<pipeline>-<step index>-<step type>-changelog`, partitioned like the
/// input. An entry's changelog partition is Kafka's default partition of its state key, so
/// when the state key equals the input record key, changelog partition `p` holds exactly the
/// state of input partition `p` and moves with it when the group rebalances.
///
/// Each checkpoint writes the entries that changed since the last one and a tombstone for
/// each entry that disappeared (a closed window), plus the stream time in a marker record.
final class Changelog {
    struct Topic {
        var step: Int
        var name: String
        var partitions: Int
    }

    /// The key of the marker record holding stream time (never a state entry's key, which is a
    /// five-element array).
    static let streamTimeKey = Array(#"["stream-time"]"#.utf8)

    private(set) var topics: [Topic]
    let inputPartitions: Int
    /// What this instance knows the changelog holds: per step, entry key -> (value, partition).
    private var written: [Int: [[UInt8]: (value: [UInt8], partition: Int32)]] = [:]
    private var writtenStreamTime: [Int32: Int64] = [:]

    init(pipeline: String, plan: EnginePlan, inputPartitions: Int) {
        self.inputPartitions = max(1, inputPartitions)
        topics = plan.steps.enumerated().compactMap { index, step in
            switch step {
            case .aggregate: Topic(step: index, name: Changelog.topicName(pipeline: pipeline, step: index, type: "aggregate"), partitions: max(1, inputPartitions))
            case .window: Topic(step: index, name: Changelog.topicName(pipeline: pipeline, step: index, type: "window"), partitions: max(1, inputPartitions))
            default: nil
            }
        }
    }

    /// `<pipeline>-<step index>-<type>-changelog`, e.g. `category-windows-0-window-changelog`.
    static func topicName(pipeline: String, step: Int, type: String) -> String {
        "\(pipeline)-\(step)-\(type)-changelog"
    }

    var isEmpty: Bool { topics.isEmpty }

    /// The topics to create, compacted and never deleted by age.
    var newTopics: [NewTopic] {
        topics.map {
            NewTopic(name: $0.name, partitions: Int32(clamping: $0.partitions), configs: ["cleanup.policy": "compact", "retention.ms": "-1"])
        }
    }

    /// Records the actual partition counts (a topic may exist already, or be auto-created with
    /// the cluster's default count).
    func setPartitionCounts(_ counts: [String: Int]) {
        for index in topics.indices { topics[index].partitions = max(1, counts[topics[index].name] ?? topics[index].partitions) }
    }

    /// True when every changelog has as many partitions as the input, so that state can move
    /// with input partitions. Otherwise each instance reads every changelog partition, which
    /// is only right when one instance owns every input partition.
    var isAligned: Bool { topics.allSatisfy { $0.partitions == inputPartitions } }

    /// The changelog partitions that go with these input partitions.
    func partitions(for input: Set<Int32>, of topic: Topic) -> [Int32] {
        isAligned ? input.sorted() : (0..<Int32(clamping: topic.partitions)).map { $0 }
    }

    /// The input partition whose state holds `key` (aligned changelogs only).
    func inputPartition(of key: Value) -> Int32 {
        Int32(clamping: Engine.partition(forKey: key, partitions: inputPartitions))
    }

    // MARK: writing

    /// One changelog record to produce.
    struct Write {
        var topic: String
        var partition: Int32
        var key: [UInt8]
        /// nil: a tombstone.
        var value: [UInt8]?
    }

    /// The records that bring the changelog up to `snapshot`, and what they will have written
    /// once delivered (already noted, since undelivered writes stop the runner or are retried).
    /// `owned` input partitions get the stream-time marker.
    func changes(to snapshot: EngineState, owned: Set<Int32>) -> [Write] {
        var writes: [Write] = []
        var byStep: [Int: [StateEntry]] = [:]
        for entry in snapshot.entries { byStep[entry.step, default: []].append(entry) }
        for topic in topics {
            var known = written[topic.step] ?? [:]
            var seen = Set<[UInt8]>()
            for entry in byStep[topic.step] ?? [] {
                let key = entry.changelogKey
                let value = entry.changelogValue
                seen.insert(key)
                if let old = known[key], old.value == value { continue }
                let partition = Int32(clamping: Engine.partition(forKey: entry.key, partitions: topic.partitions))
                known[key] = (value, partition)
                writes.append(Write(topic: topic.name, partition: partition, key: key, value: value))
            }
            for (key, old) in known where !seen.contains(key) {
                known[key] = nil
                writes.append(Write(topic: topic.name, partition: old.partition, key: key, value: nil))
            }
            written[topic.step] = known
        }
        if let streamTime = snapshot.streamTime, let first = topics.first {
            for partition in partitions(for: owned, of: first) where writtenStreamTime[partition] != streamTime {
                writtenStreamTime[partition] = streamTime
                let value = JSON.serialize(.object(["stream_time": .int(streamTime)]))
                writes.append(Write(topic: first.name, partition: partition, key: Changelog.streamTimeKey, value: value))
            }
        }
        return writes
    }

    /// Forgets a changelog record whose delivery failed, so that the next `changes` writes the
    /// entry's current value (or marker) again. False when `record` is not a changelog record.
    func invalidate(_ record: Record) -> Bool {
        guard let topic = topics.first(where: { $0.name == record.topic }), let key = record.key else { return false }
        if key == Changelog.streamTimeKey {
            writtenStreamTime[record.partition] = nil
        } else {
            // An impossible value: the entry is written again if present, deleted if gone.
            written[topic.step, default: [:]][key] = ([], record.partition)
        }
        return true
    }

    /// Forgets what was written for input partitions no longer owned (aligned changelogs):
    /// their state leaves this instance.
    func forget(inputPartitions revoked: Set<Int32>) {
        guard isAligned else { return }
        for step in written.keys {
            written[step] = written[step]?.filter { !revoked.contains($0.value.partition) }
        }
        for partition in revoked { writtenStreamTime[partition] = nil }
    }

    // MARK: restoring

    /// What a restore found.
    struct Restored {
        var state: EngineState
        var records: Int
        /// Records that are not changelog entries of this pipeline.
        var unreadable: Int
    }

    /// Reads the changelog partitions that go with `input` partitions to their end and
    /// returns the state they hold. Blocks up to `timeoutMs`; `shouldStop` aborts early.
    func restore(
        input: Set<Int32>, config: KafkaConfig, logHandler: KafkaLogHandler?, timeoutMs: Int64,
        shouldStop: () -> Bool
    ) throws(KafkaError) -> Restored {
        var wanted: [TopicPartition] = []
        for topic in topics {
            for partition in partitions(for: input, of: topic) { wanted.append(TopicPartition(topic: topic.name, partition: partition)) }
        }
        let reader = try ChangelogReader(config: config, logHandler: logHandler)
        let records = try reader.readToEnd(wanted, timeoutMs: timeoutMs, shouldStop: shouldStop)
        return absorb(records)
    }

    /// Builds state from changelog records (last value per key wins; a tombstone deletes).
    func absorb(_ records: [Record]) -> Restored {
        let stepOf = Dictionary(topics.map { ($0.name, $0.step) }, uniquingKeysWith: { a, _ in a })
        var latest: [Int: [[UInt8]: (value: [UInt8]?, partition: Int32)]] = [:]
        var streamTimes: [Int32: Int64] = [:]
        var unreadable = 0
        for record in records {
            guard let step = stepOf[record.topic], let key = record.key else {
                unreadable += 1
                continue
            }
            if key == Changelog.streamTimeKey {
                if let bytes = record.value, case .object(let object)? = try? JSON.parse(bytes), case .int(let time)? = object["stream_time"] {
                    streamTimes[record.partition] = time
                }
                continue
            }
            latest[step, default: [:]][key] = (record.value, record.partition)
        }
        var entries: [StateEntry] = []
        for (step, items) in latest {
            var known = written[step] ?? [:]
            for (key, item) in items {
                guard let value = item.value else {
                    known[key] = nil
                    continue
                }
                guard let entry = StateEntry(changelogKey: key, changelogValue: value), entry.step == step else {
                    unreadable += 1
                    continue
                }
                known[key] = (value, item.partition)
                entries.append(entry)
            }
            written[step] = known
        }
        for (partition, time) in streamTimes { writtenStreamTime[partition] = time }
        return Restored(
            state: EngineState(streamTime: streamTimes.values.min(), entries: entries), records: records.count,
            unreadable: unreadable)
    }
}
