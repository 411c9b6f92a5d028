import SluiceSupport

/// Input positions in the changelog's marker records.
///
/// A marker says, per input partition, which offset the state written before it reflects.
/// When the offset commit that should follow a state write never happens (refused during a
/// rebalance, or a crash in between), the next owner restores that state and skips the
/// inputs it already counts instead of counting them twice.
///
/// A marker is produced only once every output and state entry of the inputs it covers is
/// acknowledged (`hold` / `takeReleasableMarkers`), so skipping never loses an output.
extension Changelog {
    /// The marker value for changelog partition `partition`: stream time and the positions of
    /// the input partitions whose state it holds. Nil when there is nothing to say.
    func markerValue(streamTime: Int64?, partition: Int32) -> [UInt8]? {
        let mine = positions.filter { !isAligned || $0.key.partition == partition }
        guard streamTime != nil || !mine.isEmpty else { return nil }
        var object: JSONObject = [:]
        if let streamTime { object["stream_time"] = .int(streamTime) }
        if !mine.isEmpty {
            let items = mine.sorted { $0.key < $1.key }.map { item -> Value in
                .array([.string(item.key.topic), .int(Int64(item.key.partition)), .int(item.value)])
            }
            object["offsets"] = .array(items)
        }
        return JSON.serialize(.object(object))
    }

    /// Notes the next offset to read per input partition after a processed batch.
    func advance(_ offsets: [TopicPartition: Int64]) {
        for (partition, offset) in offsets where positions[partition].map({ offset > $0 }) ?? true {
            positions[partition] = offset
        }
    }

    /// True when restored state already counts this input record (it was read again because
    /// its offset was never committed): skip it.
    @inline(__always)
    func alreadyCounts(_ partition: TopicPartition, offset: Int64) -> Bool {
        guard !countedBefore.isEmpty, let before = countedBefore[partition] else { return false }
        if offset < before { return true }
        countedBefore[partition] = nil
        return false
    }

    /// Forgets the positions of input partitions that leave this instance.
    func forgetPositions(of revoked: Set<TopicPartition>) {
        for partition in revoked {
            positions[partition] = nil
            countedBefore[partition] = nil
        }
    }

    /// Reads the positions in restored markers: restored state counts the input before them.
    func absorbPositions(_ markers: [Int32: [UInt8]]) -> [TopicPartition: Int64] {
        var found: [TopicPartition: Int64] = [:]
        for bytes in markers.values {
            guard case .object(let object)? = try? JSON.parse(bytes), case .array(let items)? = object["offsets"] else { continue }
            for item in items {
                guard case .array(let parts) = item, parts.count == 3, case .string(let topic) = parts[0],
                    case .int(let partition) = parts[1], case .int(let offset) = parts[2],
                    let number = Int32(exactly: partition), offset >= 0
                else { continue }
                let key = TopicPartition(topic: topic, partition: number)
                found[key] = max(found[key] ?? 0, offset)
            }
        }
        for (partition, offset) in found {
            countedBefore[partition] = max(countedBefore[partition] ?? 0, offset)
            positions[partition] = max(positions[partition] ?? 0, offset)
        }
        return found
    }

    // MARK: holding markers back

    /// Keeps `markers` until every output and state entry caused by inputs numbered below
    /// `before` is acknowledged; they replace older held markers of the same partitions.
    func hold(_ markers: [Write], before: Int64, cause: Int64) {
        guard !markers.isEmpty else { return }
        for marker in markers { heldMarkers[marker.partition] = marker }
        heldBefore = max(heldBefore, before)
        heldCause = max(heldCause, cause)
    }

    /// The held markers, once nothing they cover is unacknowledged (`minPendingCause`).
    func takeReleasableMarkers(minPendingCause: Int64) -> (writes: [Write], cause: Int64) {
        guard !heldMarkers.isEmpty, minPendingCause >= heldBefore else { return ([], 0) }
        let writes = heldMarkers.keys.sorted().compactMap { heldMarkers[$0] }
        heldMarkers = [:]
        return (writes, heldCause)
    }

    /// Drops held markers (a state entry they cover failed): the next write sends them again.
    func dropHeldMarkers() {
        for partition in heldMarkers.keys { writtenMarker[partition] = nil }
        heldMarkers = [:]
    }
}
