import SluiceSupport

/// Replays recorded records through the engine on event time, numbering the produced records
/// as each topic would (partition 0, offsets counting from 0 per topic). Deterministic: the
/// same input gives the same output, byte for byte.
public final class DryRun {
    public let engine: Engine
    private var offsets: [String: Int64] = [:]
    /// Recording lines that could not be read (reported by the caller), for the summary.
    public var skippedLines = 0

    public init(plan: EnginePlan, trace: Bool = false) {
        engine = Engine(plan: plan, options: EngineOptions(clock: .eventTime, trace: trace))
    }

    public var plan: EnginePlan { engine.plan }
    public var stats: EngineStats { engine.stats }

    /// Feeds one recorded record; `output` receives each record it produced, in emission order.
    public func feed(_ record: Record, output: (Record) -> Void) {
        engine.process(record)
        drain(output)
    }

    /// Ends the input: every open window closes (stream time goes to infinity).
    public func finish(output: (Record) -> Void) {
        engine.finish()
        drain(output)
    }

    /// Replays a whole recording: each record fed in order, then the end of input. `output`
    /// receives produced records, `trace` trace lines (with `trace: true`), `badLine` a
    /// diagnostic for each line that is not a record (skipped and counted, never silently).
    public func replay(
        _ recording: RecordingReader, output: (Record) -> Void, trace: (String) -> Void, badLine: (Diagnostic) -> Void
    ) {
        for line in recording {
            switch line {
            case .record(let record, _):
                feed(record, output: output)
            case .invalid(let diagnostic):
                skippedLines += 1
                badLine(diagnostic)
            }
            for text in takeTraceLines() { trace(text) }
        }
        finish(output: output)
        for text in takeTraceLines() { trace(text) }
    }

    /// Trace lines since the last call (with `trace: true`).
    public func takeTraceLines() -> [String] {
        engine.takeTrace().map { $0.text(plan: engine.plan) }
    }

    private func drain(_ output: (Record) -> Void) {
        engine.drainOutputs { produced in
            var record = produced.record
            record.partition = 0
            record.offset = offsets[record.topic, default: 0]
            offsets[record.topic] = record.offset &+ 1
            output(record)
        }
    }

    /// The end-of-run summary, several lines without a final newline.
    public var summary: String {
        let stats = engine.stats
        var lines = ["records in: \(stats.recordsIn)"]
        let out = stats.recordsOut.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        lines.append("records out: \(stats.recordsOut.values.reduce(0, +))\(out.isEmpty ? "" : " (\(out.joined(separator: ", ")))")")
        let windowed = engine.plan.steps.contains { if case .window = $0 { true } else { false } }
        if engine.plan.hasLateRecords {
            lines.append("late: \(stats.lateCount) (\(stats.lateRouted) sent to a late topic, \(stats.lateDropped) dropped)")
        }
        let errors = stats.errors.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }
        let destination = engine.plan.deadLetterTopic.map { "sent to \($0)" } ?? "counted and skipped"
        lines.append("errors: \(stats.errorCount)\(errors.isEmpty ? "" : " (\(errors.joined(separator: ", ")); \(destination))")")
        if stats.filtered > 0 { lines.append("filtered out: \(stats.filtered)") }
        if windowed { lines.append("windows closed: \(stats.windowsClosed)") }
        if skippedLines > 0 { lines.append("unreadable input lines skipped: \(skippedLines)") }
        let group = engine.plan.group.isEmpty ? "sluice" : engine.plan.group
        if let repartition = engine.plan.repartitionDescription(group: group) { lines.append(repartition + ", in memory") }
        return lines.joined(separator: "\n")
    }
}
