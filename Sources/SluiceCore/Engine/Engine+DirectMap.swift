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
        // Its buffer is used only within `withUnsafeBufferPointer`, as Swift requires (which
        // costs a retain of the array, not a copy).
        let taken = original.withUnsafeBufferPointer { text in takeDirectMap(input, text, runner, wallTime: wallTime) }
        // The general path decodes the record again: no string may stay pending for it.
        if !taken { runner.dropPendingStrings() }
        return taken
    }

    @inline(__always)
    private func takeDirectMap(
        _ input: UnsafePointer<Record>, _ text: UnsafeBufferPointer<UInt8>, _ runner: DirectMapRunner, wallTime: Int64
    ) -> Bool {
        var scannedTime: Int64?
        // Spliced outputs need canonical bytes. Strings are left pending until something reads
        // them (`DirectMapRunner.decodePendingStrings`).
        guard runner.decodeCanonical(text, eventTime: &scannedTime),
            let p = text.baseAddress
        else { return false }
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
        if clock.observe(input, eventTime: eventTime, wallTime: wallTime) {
            streamTimeAdvanced()
        }
        if runner.outputKeysFromFields { runner.decodePendingStrings(p) }
        produceDirect(input, text, runner, timestamp: timestamp)
        runner.aggregate?._withUnsafeGuaranteedRef {
            aggregateDirect(input, p, count: text.count, $0, runner, eventTime: eventTime, wallTime: wallTime)
        }
        return true
    }

    /// The outputs of the fused `to` steps (or the sinks): the input bytes with the set fields
    /// spliced in, written once into the output buffer for outputs carrying the same fields.
    @inline(__always)
    private func produceDirect(
        _ input: UnsafePointer<Record>, _ object: UnsafeBufferPointer<UInt8>, _ runner: DirectMapRunner, timestamp: Int64
    ) {
        var value = (start: 0, count: -1)
        var sets = -1
        var recordKey: (start: Int, count: Int)?
        for index in runner.outputs.indices {
            if runner.outputs[index].sets != sets {
                sets = runner.outputs[index].sets
                let target = outputs.reserve(runner.fields.capacity(objectCount: object.count, count: sets))
                let written = runner.fields.splice(object, values: runner.results, count: sets, into: target)
                value = (outputs.commit(written), written)
            }
            let keySlot = runner.outputs[index].keySlot
            let key: (start: Int, count: Int)
            if keySlot < 0 {
                key = recordKey ?? copyKey(input)
                recordKey = key
            } else {
                key = outputs.copy(runner.decoder._withUnsafeGuaranteedRef { $0.slot(keySlot) }.flatMap(KeyCoding.bytes))
            }
            if runner.outputs[index].bufferTopic < 0 {
                runner.outputs[index].bufferTopic = outputs.topicIndex(runner.outputs[index].topic)
            }
            // Headers are checked in place: records without any need not copy theirs (a retain).
            outputs.append(
                topic: runner.outputs[index].bufferTopic, partition: -1, key: key, value: value,
                headers: input.pointee.headers.isEmpty ? [] : input.pointee.headers, timestamp: timestamp, cause: currentCause)
        }
    }

    /// Copies the record's key into the output buffer, read in place: room is reserved first,
    /// so that no call runs while it is read and its array need not be copied (a retain).
    @inline(__always)
    private func copyKey(_ input: UnsafePointer<Record>) -> (start: Int, count: Int) {
        guard let count = input.pointee.key?.count else { return (0, -1) }
        let target = outputs.reserve(count)
        input.pointee.key?.withUnsafeBufferPointer {
            if let base = $0.baseAddress { target.initialize(from: base, count: Swift.min(count, $0.count)) }
        }
        return (outputs.commit(count), count)
    }

    /// The aggregate step after the fused ones, as `aggregate` does it: a known key with integer
    /// arguments folded in place, anything else through `run` from that step. The record was
    /// decoded from `text` (`count` bytes), maybe with strings pending.
    @inline(__always)
    private func aggregateDirect(
        _ input: UnsafePointer<Record>, _ text: UnsafePointer<UInt8>, count: Int, _ runtime: AggregateRuntime,
        _ runner: DirectMapRunner, eventTime: Int64, wallTime: Int64
    ) {
        let row = runner.aggregateRow(text, count: count, keys: runtime.keys)
        if row >= 0, runner.foldArguments(into: runtime.table, row: row) {
            runtime.counts[row] &+= 1
            guard runtime.counts[row] % runtime.plan.every == 0 else { return }
            if runner.straightResults, let known = runner.key(row: row, layout: runtime.jsonLayout, text: text) {
                if let value = runtime.jsonLayout.write(open: known.open, row: row, of: runtime.table, into: outputs) {
                    return emitToSinks(value, keyBytes: known.bytes, timestamp: input.pointee.timestamp)
                }
            }
            // Present: the row was found by it.
            guard let key = runner.recordKey(text) else { return }
            let working = directWorking(input, eventTime: eventTime, wallTime: wallTime)
            return aggregated(runtime.table.state(row: row), key: key, runtime, working, step: runner.aggregateStep)
        }
        // A new key, other arguments, an error: the general path from the aggregate step, which
        // reads only source fields (direct inputs), as the slots hold them (all decoded).
        runner.decodePendingStrings(text)
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
