import ArgumentParser
import Dispatch
import Foundation
import SluiceKafka
import SluiceSupport
import Synchronization

/// `sluice record`: captures topics into a recording that `dry-run` replays.
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record topics into a recording file (JSON Lines of kcat -J envelopes) for dry-run.",
        discussion: """
            Reads every partition of the topics without joining a consumer group (nothing is \
            committed), from the end (only new records) or with --from-beginning from the oldest \
            retained record, and writes one envelope line per record to --out or standard output. \
            Stops after --max records, once every partition reached its end and stayed quiet for \
            --idle-exit, or on ctrl-c / SIGTERM (the file is flushed; exit 0). Progress and a \
            summary go to stderr. Brokers and credentials are found as for `sluice run`: \
            --brokers, -X properties, SLUICE_BROKERS, or CONFLUENT_BOOTSTRAP_SERVERS with \
            CONFLUENT_API_KEY/CONFLUENT_API_SECRET, from the environment or a .env file.
            """)

    @Option(name: .customLong("topic"), help: "A topic to record; repeat for several.")
    var topics: [String] = []

    @Option(help: "Bootstrap servers, host:port[,host:port...] (default: $SLUICE_BROKERS, then $CONFLUENT_BOOTSTRAP_SERVERS).")
    var brokers: String?

    @Flag(help: "Start at the oldest retained record instead of the end.")
    var fromBeginning = false

    @Option(help: "Stop after this many records.")
    var max: Int?

    @Option(help: "Stop once every partition reached its end and nothing arrived for this long (e.g. 2s).")
    var idleExit: String?

    @Option(help: "How long to wait for the cluster to describe the topics at start.")
    var connectTimeout = "10s"

    @Option(name: [.short, .long], help: "Write the recording to this file (default: standard output).")
    var out: String?

    @Option(name: [.customShort("X"), .customLong("property")], help: "A librdkafka property, key=value; repeatable.")
    var properties: [String] = []

    func validate() throws {
        guard !topics.isEmpty else { throw ValidationError("name at least one --topic") }
        if let max, max < 1 { throw ValidationError("--max must be at least 1") }
        if let idleExit, DurationParser.milliseconds(idleExit) == nil {
            throw ValidationError("--idle-exit: \"\(idleExit)\" is not a duration such as 500ms, 2s or 1m")
        }
        guard let timeout = DurationParser.milliseconds(connectTimeout), (1...3_600_000).contains(timeout) else {
            throw ValidationError("--connect-timeout: \"\(connectTimeout)\" is not a duration between 1ms and 1h")
        }
        for property in properties where !property.contains("=") || property.hasPrefix("=") {
            throw ValidationError("-X expects name=value, e.g. -X security.protocol=SASL_SSL")
        }
    }

    func run() async throws {
        let dotEnv = try? String(contentsOfFile: ".env", encoding: .utf8)
        let (environment, _) = RunSettings.environment(process: ProcessInfo.processInfo.environment, dotEnv: dotEnv)
        let settings: RunSettings
        do {
            let overrides = try properties.map { text throws(RunSetupError) in try RunSettings.parseOverride(text) }
            settings = try RunSettings.forRecording(topics: topics, brokers: brokers, overrides: overrides, environment: environment)
        } catch {
            Output.error("error: \(error.message)")
            throw ExitCode(2)
        }
        let config = settings.consumerConfig
        let servers = settings.bootstrapServers
        let options = RecorderOptions(
            topics: topics, fromBeginning: fromBeginning, maxRecords: max,
            idleExitMs: idleExit.flatMap(DurationParser.milliseconds),
            metadataTimeoutMs: Int32(clamping: DurationParser.milliseconds(connectTimeout) ?? 10_000))
        let destination: FileHandle
        do {
            destination = try Self.open(out)
        } catch {
            Output.error("error: cannot write '\(out ?? "-")': \(error.localizedDescription)")
            throw ExitCode(2)
        }

        let outcome: Result<RecordOutcome, KafkaError> = await Self.onThread {
            Result(catching: { () throws(KafkaError) -> RecordOutcome in
                let recorder = try TopicRecorder(config: config, options: options, logHandler: { _ in })
                let stop = StopSignals.trap { recorder.stop() }
                defer { stop.release() }
                return try Self.record(with: recorder, to: destination)
            })
        }
        switch outcome {
        case .success(let result):
            if let failure = result.writeError {
                Output.error("error: cannot write '\(out ?? "-")': \(failure)")
                throw ExitCode(2)
            }
            let stopped = switch result.reason {
            case .maxRecords: "reached --max \(max ?? 0)"
            case .idle: "every partition at its end for \(idleExit ?? "")"
            case .stopped: "interrupted"
            }
            let partitions = result.progress.partitions
            Output.error("""
                sluice record: \(result.progress.recorded) record\(result.progress.recorded == 1 ? "" : "s") \
                from \(topics.joined(separator: ", ")) (\(partitions) partition\(partitions == 1 ? "" : "s")) \
                to \(out ?? "standard output"); stopped: \(stopped)
                """)
        case .failure(let error):
            let reach = error.isRetriable && error.code != KafkaError.Code.unknownTopicOrPartition
            let text = reach ? "cannot reach the brokers at \(servers) (waited \(connectTimeout)): \(error)" : error.description
            Output.error("error: \(settings.redactor.scrub(text))")
            // Leave no empty recording behind.
            if let out, out != "-", (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) == 0 {
                try? FileManager.default.removeItem(atPath: out)
            }
            throw ExitCode(1)
        }
    }

    /// How a recording ended.
    struct RecordOutcome: Sendable {
        var reason: RecorderStopReason
        var progress: RecorderProgress
        var writeError: String?
    }

    /// Runs the recorder, writing envelope lines in chunks and progress to stderr. Blocks.
    static func record(with recorder: TopicRecorder, to destination: FileHandle) throws(KafkaError) -> RecordOutcome {
        var pending: [UInt8] = []
        var writeError: String?
        let progress = ProgressLine(interactive: isatty(2) != 0)
        func flush() {
            guard !pending.isEmpty, writeError == nil else { return }
            do {
                try destination.write(contentsOf: pending)
            } catch {
                writeError = error.localizedDescription
                recorder.stop()
            }
            pending.removeAll(keepingCapacity: true)
        }
        let (reason, final) = try recorder.run(
            recordWithType: { record, broker, type in
                record.writeEnvelope(into: &pending, broker: Int(broker), timestampType: type.rawValue)
                if pending.count >= 1 << 16 { flush() }
            },
            progress: { state in
                flush()
                progress.show(state)
            },
            warning: { progress.warn($0.description) })
        flush()
        progress.clear()
        try? destination.synchronize()
        return RecordOutcome(reason: reason, progress: final, writeError: writeError)
    }

    static func open(_ path: String?) throws -> FileHandle {
        guard let path, path != "-" else { return FileHandle.standardOutput }
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission)
        }
        return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    /// Runs `body` on a new thread (for blocking librdkafka calls) and returns its result.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.stackSize = 4 << 20
            thread.start()
        }
    }
}

/// Progress of a long recording on stderr: one rewritten line on a terminal, otherwise a line
/// every few seconds. Used from the recording thread only.
final class ProgressLine {
    private let interactive: Bool
    private let started = ContinuousClock.now
    private var lastLine = ContinuousClock.now
    private var shown = false

    init(interactive: Bool) {
        self.interactive = interactive
    }

    func show(_ state: RecorderProgress) {
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        // Short recordings print only the summary.
        guard seconds >= 2 else { return }
        let rate = seconds > 0 ? Int(Double(state.recorded) / seconds) : 0
        let text = "recorded \(state.recorded) (\(rate)/s), \(state.partitionsAtEnd)/\(state.partitions) partitions at their end"
        if interactive {
            Output.error("\r\u{1B}[K" + text, newline: false)
            shown = true
        } else if ContinuousClock.now - lastLine >= .seconds(5) {
            lastLine = ContinuousClock.now
            Output.error("sluice record: " + text)
        }
    }

    func warn(_ text: String) {
        clear()
        Output.error("warning: \(text)")
    }

    func clear() {
        guard shown else { return }
        Output.error("\r\u{1B}[K", newline: false)
        shown = false
    }
}

/// Calls a closure on the first SIGINT or SIGTERM; a second one exits at once (status 130),
/// for when a graceful stop takes too long. Active until released.
final class StopSignals: Sendable {
    private let sources = Mutex<[any DispatchSourceSignal]>([])
    private let received = Atomic<Int>(0)

    static func trap(_ action: @escaping @Sendable () -> Void) -> StopSignals {
        let trap = StopSignals()
        trap.sources.withLock { sources in
            sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
                // Ignore the default action (terminate) so that the source sees the signal.
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { trap.fire(action) }
                source.resume()
                return source
            }
        }
        return trap
    }

    private func fire(_ action: @Sendable () -> Void) {
        if received.wrappingAdd(1, ordering: .relaxed).oldValue == 0 {
            action()
        } else {
            Output.error("\nsluice: interrupted again: exiting without waiting")
            exit(130)
        }
    }

    func release() {
        sources.withLock { sources in
            sources.forEach { $0.cancel() }
            sources = []
        }
    }
}
