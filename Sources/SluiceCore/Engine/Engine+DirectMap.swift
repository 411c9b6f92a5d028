#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SluiceExpr
import SluiceSupport

extension Engine {
    /// Processes a source record of a fused-map plan (`DirectMapRunner`); false, having changed
    /// nothing, when the record needs the general path (`process` then handles it as before).
    func processDirectMap(_ input: UnsafePointer<Record>, _ runner: DirectMapRunner, wallTime: Int64) -> Bool {
        guard runner.enabled else { return false }
        let taken = takeDirectMap(input, runner, wallTime: wallTime)
        runner.count(hit: taken)
        return taken
    }

    @inline(__always)
    private func takeDirectMap(_ input: UnsafePointer<Record>, _ runner: DirectMapRunner, wallTime: Int64) -> Bool {
        guard let original = input.pointee.value else { return false }
        var scannedTime: Int64?
        let decoded = original.withUnsafeBufferPointer { text -> Bool in
            // Spliced outputs need canonical bytes: `-0` (written `0`) is the one non-canonical
            // form `decodeDirect` accepts.
            runner.decoder._withUnsafeGuaranteedRef { $0.decodeDirect(text, eventTime: &scannedTime) } == true
                && !Self.hasNegativeZero(text)
        }
        guard decoded else { return false }
        let timestamp = input.pointee.timestamp
        let eventTime: Int64
        if runner.timeFromRecord {
            eventTime = timestamp
        } else if let scannedTime {
            eventTime = scannedTime
        } else {
            return false
        }
        guard
            runner.evaluate(
                now: options.clock == .wallClock ? wallTime : timestamp, timestamp: timestamp,
                partition: input.pointee.partition, offset: input.pointee.offset)
        else { return false }
        // From here on the record is this path's: as `process` and `run` would do it.
        if clock.observe(topic: input.pointee.topic, partition: input.pointee.partition, eventTime: eventTime, wallTime: wallTime) {
            streamTimeAdvanced()
        }
        produceDirect(input, original, runner, timestamp: timestamp)
        runner.aggregate?._withUnsafeGuaranteedRef { aggregateDirect(input, $0, runner, eventTime: eventTime, wallTime: wallTime) }
        return true
    }

    /// The outputs of the fused `to` steps (or the sinks): the input bytes with the set fields
    /// spliced in, one array shared by outputs carrying the same fields.
    @inline(__always)
    private func produceDirect(_ input: UnsafePointer<Record>, _ original: [UInt8], _ runner: DirectMapRunner, timestamp: Int64) {
        var bytes = original
        var sets = 0
        for index in runner.outputs.indices {
            let keySlot = runner.outputs[index].keySlot
            if runner.outputs[index].sets != sets {
                sets = runner.outputs[index].sets
                bytes = original.withUnsafeBufferPointer { runner.fields.splice($0, values: runner.results, count: sets) }
            }
            let key = keySlot < 0 ? input.pointee.key : runner.decoder._withUnsafeGuaranteedRef { $0.slot(keySlot) }.flatMap(KeyCoding.bytes)
            countOutput(runner.outputs[index].topic, cache: &runner.outputs[index].counter)
            appendOutput(runner.outputs[index].topic, key: key, headers: input.pointee.headers, value: bytes, timestamp: timestamp)
        }
    }

    /// Appends an output built from its parts, initialized in place (`OutputBuffer.append`).
    @inline(never)
    func appendOutput(_ topic: String, key: [UInt8]?, headers: [Header], value: [UInt8], timestamp: Int64) {
        outputs.append(topic: topic, partition: -1, key: key, headers: headers, value: value, timestamp: timestamp, cause: currentCause)
    }

    /// Counts an output to `topic`, whose index in `outputTopics` is kept in `cache`.
    @inline(__always)
    private func countOutput(_ topic: String, cache: inout Int) {
        if cache < 0 {
            if let found = outputTopics.firstIndex(of: topic) {
                cache = found
            } else {
                outputTopics.append(topic)
                outputCounts.append(0)
                cache = outputTopics.count - 1
            }
        }
        outputCounts[cache] += 1
    }

    /// The aggregate step after the fused ones, as `aggregate` does it: a known key with integer
    /// arguments folded in place, anything else through `run` from that step.
    @inline(__always)
    private func aggregateDirect(
        _ input: UnsafePointer<Record>, _ runtime: AggregateRuntime, _ runner: DirectMapRunner, eventTime: Int64, wallTime: Int64
    ) {
        let decoder = runner.decoder.takeUnretainedValue()
        if let key = decoder.slot(runner.keySlot), let row = runtime.keys.find(key),
            decoder.withIntegers(at: runner.argumentSlots, { runtime.table.foldIntegers(row: row, $0) }) == true
        {
            runtime.counts[row] &+= 1
            guard runtime.counts[row] % runtime.plan.every == 0 else { return }
            if runner.straightResults {
                let known = runner.key(row: row, key: key, layout: runtime.jsonLayout)
                if let value = runtime.jsonLayout.write(open: known.open, row: row, of: runtime.table) {
                    return emitToSinks(value, keyBytes: known.bytes, timestamp: input.pointee.timestamp)
                }
            }
            let working = directWorking(input, eventTime: eventTime, wallTime: wallTime)
            return aggregated(runtime.table.state(row: row), key: key, runtime, working, step: runner.aggregateStep)
        }
        // A new key, other arguments, an error: the general path from the aggregate step, which
        // reads only source fields (direct inputs), as the slots hold them.
        var working = directWorking(input, eventTime: eventTime, wallTime: wallTime)
        run(&working, from: runner.aggregateStep)
    }

    /// The record as `processDirect` hands it to `run`: no partial object, the decoded fields
    /// in the slots.
    private func directWorking(_ input: UnsafePointer<Record>, eventTime: Int64, wallTime: Int64) -> Working {
        let key = input.pointee.key, timestamp = input.pointee.timestamp
        return Working(
            context: EvaluationContext(
                value: .null, key: needsKeyText ? KeyCoding.value(key) : .null, timestamp: timestamp,
                now: options.clock == .wallClock ? wallTime : timestamp, topic: input.pointee.topic,
                partition: input.pointee.partition, offset: input.pointee.offset, headers: input.pointee.headers),
            keyBytes: key, eventTime: eventTime, derived: false, originalFields: -2, canonical: false, decoded: true)
    }

    /// Whether `text` holds `-0` followed by `,` or `}`: an integer minus zero, or (rarely) such
    /// text inside a string, which only costs the general path.
    @inline(__always)
    static func hasNegativeZero(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = text.baseAddress else { return false }
        let end = text.count
        var i = 0
        // Most records have no '-' at all: `memchr` tells at a few bytes per instruction.
        while i < end, let found = memchr(p + i, Int32(UInt8(ascii: "-")), end - i) {
            let j = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - p
            if j + 2 < end, p[j + 1] == UInt8(ascii: "0"), p[j + 2] == UInt8(ascii: ",") || p[j + 2] == UInt8(ascii: "}") {
                return true
            }
            i = j + 1
        }
        return false
    }
}
