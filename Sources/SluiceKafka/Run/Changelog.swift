import SluiceCore
import SluiceSupport

/// The changelog topics that make aggregate and window state durable: one compacted topic per
/// stateful step, named `<pipeline>-<step index>-<step type>-changelog`, partitioned like the
/// input. An entry's changelog partition is Kafka's default partition of its state key, so
/// when the state key equals the input record key, changelog partition `p` holds exactly the
/// state of input partition `p` and moves with it when the group rebalances.
///
/// Each checkpoint writes the entries that changed since the last one and a tombstone for
/// each entry that disappeared (a closed window), plus a marker record per input partition
/// holding stream time and the next input offset the state reflects (see
/// `Changelog+Positions.swift`): a restore resumes after it even when the offset commit that
/// should have followed never happened.
final class Changelog {
    struct Topic {
        var step: Int
        var name: String
        var partitions: Int
    }

    /// The key of the marker record holding stream time and input positions (never a state
    /// entry's key, which is a five-element array).
    static let streamTimeKey = Array(#"["stream-time"]"#.utf8)

    private(set) var topics: [Topic]
    let inputPartitions: Int
    /// What this instance knows the changelog holds: per step, entry key -> (value, partition).
    private var written: [Int: [[UInt8]: (value: [UInt8], partition: Int32)]] = [:]
    /// The marker value last written per changelog partition.
    var writtenMarker: [Int32: [UInt8]] = [:]
    /// Per owned input partition, the next offset to read after the inputs the state reflects.
    var positions: [TopicPartition: Int64] = [:]
    /// Per input partition, the offset below which restored state already counts the input:
    /// such records are skipped when read again.
    var countedBefore: [TopicPartition: Int64] = [:]
    /// Markers produced later, once what they cover is acknowledged (see `hold`).
    var heldMarkers: [Int32: Write] = [:]
    var heldBefore: Int64 = 0
    var heldCause: Int64 = 0

    /// Topics are named after the consumer group (by default the pipeline's name), as Kafka
    /// Streams names them after its application id: another group running the same pipeline
    /// starts from its own empty state, not from this group's.
    init(group: String, plan: EnginePlan, inputPartitions: Int) {
        self.inputPartitions = max(1, inputPartitions)
        topics = plan.steps.enumerated().compactMap { index, step in
            switch step {
            case .aggregate: Topic(step: index, name: Changelog.topicName(group: group, step: index, type: "aggregate"), partitions: max(1, inputPartitions))
            case .window: Topic(step: index, name: Changelog.topicName(group: group, step: index, type: "window"), partitions: max(1, inputPartitions))
            case .join(let join): Topic(step: index, name: Changelog.topicName(group: group, step: index, type: join.mode == .lookup ? "lookup" : "join"), partitions: max(1, inputPartitions))
            default: nil
            }
        }
    }

    /// `<group>-<step index>-<type>-changelog`, e.g. `category-windows-0-window-changelog`.
    static func topicName(group: String, step: Int, type: String) -> String {
        "\(group)-\(step)-\(type)-changelog"
    }

    var isEmpty: Bool { topics.isEmpty }

    /// The size of the state as written to the changelogs (keys and values), for metrics.
    var stateBytes: Int {
        written.values.reduce(0) { total, entries in
            entries.reduce(total) { $0 + $1.key.count + $1.value.value.count }
        }
    }

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
        if let first = topics.first {
            for partition in partitions(for: owned, of: first) {
                guard let value = markerValue(streamTime: snapshot.streamTime, partition: partition),
                    writtenMarker[partition] != value
                else { continue }
                writtenMarker[partition] = value
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
            writtenMarker[record.partition] = nil
        } else {
            // An impossible value: the entry is written again if present, deleted if gone.
            written[topic.step, default: [:]][key] = ([], record.partition)
            // Held markers cover this entry's change: they wait for its next write.
            dropHeldMarkers()
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
        for partition in revoked {
            writtenMarker[partition] = nil
            heldMarkers[partition] = nil
        }
    }

    /// Forgets everything this instance believes the changelog holds (an aborted transaction
    /// took its writes back): a restore that follows learns it again.
    func forgetEverything() {
        written = [:]
        writtenMarker = [:]
        heldMarkers = [:]
        positions = [:]
        countedBefore = [:]
    }

    // MARK: restoring

    /// What a restore found.
    struct Restored {
        var state: EngineState
        var records: Int
        /// Records that are not changelog entries of this pipeline.
        var unreadable: Int
        /// Input positions the restored state reflects, from the markers.
        var positions: [TopicPartition: Int64] = [:]
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
        var markers: [Int32: [UInt8]] = [:]
        var unreadable = 0
        for record in records {
            guard let step = stepOf[record.topic], let key = record.key else {
                unreadable += 1
                continue
            }
            if key == Changelog.streamTimeKey {
                if let bytes = record.value {
                    markers[record.partition] = bytes
                    if case .object(let object)? = try? JSON.parse(bytes), case .int(let time)? = object["stream_time"] {
                        streamTimes[record.partition] = time
                    } else {
                        streamTimes[record.partition] = nil
                    }
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
        for (partition, bytes) in markers { writtenMarker[partition] = bytes }
        let resumed = absorbPositions(markers)
        return Restored(
            state: EngineState(streamTime: streamTimes.values.min(), entries: entries), records: records.count,
            unreadable: unreadable, positions: resumed)
    }
}
