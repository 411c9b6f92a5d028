import SluiceExpr
import SluiceSupport

extension Engine {
    /// A record of one side (0: the stream, 1: the other source) at a stream-stream join:
    /// late, or joined with the other side's buffered records and buffered itself.
    func streamJoin(_ runtime: JoinRuntime, _ working: Working, side: Int, key: Value, step: Int) {
        guard let store = runtime.store else { return }
        let plan = runtime.plan
        let streamTime = clock.streamTime ?? Int64.min
        if working.eventTime.plusSaturating(runtime.withinMs).plusSaturating(runtime.graceMs) < streamTime {
            return joinLate(working, runtime: runtime, step: step, streamTime: streamTime)
        }
        let value = working.context.value, time = working.eventTime, timestamp = working.context.timestamp
        guard key != .null else {
            // A null key matches nothing.
            if side == 0 ? plan.type != .inner : plan.type == .outer {
                emitJoined(runtime, left: side == 0 ? value : nil, right: side == 0 ? nil : value, key: key,
                           timestamp: timestamp, eventTime: time, step: step)
            }
            return
        }
        let keyText = JoinKey.text(key)
        if plan.selfJoin {
            let sequence = store.add(side: 0, keyText: keyText, key: key, time: time, timestamp: timestamp, value: value, matched: true)
            let others = store.match(side: 0, keyText: keyText, time: time, within: runtime.withinMs)
            for other in others {
                emitJoined(runtime, left: value, right: other.value, key: key, timestamp: max(timestamp, other.timestamp),
                           eventTime: max(time, other.time), step: step)
            }
            for other in others where other.sequence != sequence {
                emitJoined(runtime, left: other.value, right: value, key: key, timestamp: max(timestamp, other.timestamp),
                           eventTime: max(time, other.time), step: step)
            }
            return
        }
        let matches = store.match(side: 1 - side, keyText: keyText, time: time, within: runtime.withinMs)
        store.add(side: side, keyText: keyText, key: key, time: time, timestamp: timestamp, value: value, matched: !matches.isEmpty)
        for other in matches {
            emitJoined(
                runtime, left: side == 0 ? value : other.value, right: side == 0 ? other.value : value, key: key,
                timestamp: max(timestamp, other.timestamp), eventTime: max(time, other.time), step: step)
        }
    }

    /// Sends one join result down the pipeline: `{<stream>: left, <as>: right, matched}`, keyed
    /// by the join key; a missing side is null.
    private func emitJoined(
        _ runtime: JoinRuntime, left: Value?, right: Value?, key: Value, timestamp: Int64, eventTime: Int64, step: Int
    ) {
        let matched = left == nil ? "right" : right == nil ? "left" : "both"
        var object = JSONObject()
        object.fields.reserveCapacity(3)
        object.fields.append((runtime.plan.streamName, left ?? .null))
        object.fields.append((runtime.plan.alias, right ?? .null))
        object.fields.append(("matched", .string(matched)))
        var result = derived(value: .object(object), key: key, timestamp: timestamp, eventTime: eventTime)
        run(&result, from: step + 1)
    }

    /// Drops buffered records no record can match any more; left and outer joins emit the
    /// unmatched ones. Called whenever stream time moves (and with Int64.max at the end).
    func expireJoins(streamTime: Int64) {
        for (step, runtime) in runtimes.enumerated() {
            guard case .join(let join) = runtime, let store = join.store, store.count > 0 else { continue }
            for (side, entry) in store.expire(streamTime: streamTime) where !entry.matched {
                guard side == 0 ? join.plan.type != .inner : join.plan.type == .outer else { continue }
                emitJoined(
                    join, left: side == 0 ? entry.value : nil, right: side == 0 ? nil : entry.value, key: entry.key,
                    timestamp: entry.timestamp, eventTime: entry.time, step: step)
            }
        }
    }

    /// A late join record: sent unchanged to `late_topic`, or dropped and counted.
    private func joinLate(_ working: Working, runtime: JoinRuntime, step: Int, streamTime: Int64) {
        routeLate(working, to: runtime.plan.lateTopic, step: step, streamTime: streamTime)
    }
}
