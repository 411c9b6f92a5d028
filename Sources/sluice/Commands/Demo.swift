import ArgumentParser
import Foundation
import SluiceCore
import SluiceKafka
import SluiceSupport
import Synchronization

/// `sluice demo`: the tutorial end to end on an embedded cluster, printed live.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the tutorial pipelines on an embedded Kafka cluster and watch their output live.",
        discussion: """
            Starts librdkafka's mock cluster in this process, produces tutorial records \
            ({id, timestamp, value, category}, a few malformed and a few late) to input-topic, \
            runs pipelines/seed-processor.yaml and pipelines/category-windows.yaml with the same \
            runner as `sluice run`, and prints every record arriving on output-topic, \
            aggregated-topic, late-topic and dead-letter-topic, with a status line. At start it \
            produces --history of past event time at once so that the first 60 s windows close \
            within seconds. Stops on ctrl-c or after --duration. The pipelines are read from \
            --pipelines (default: ./pipelines, else the built-in copies).
            """)

    @Option(help: "Stop after this long (e.g. 20s); default: run until ctrl-c.")
    var duration: String?

    @Option(help: "Live records produced per second.")
    var rate: Double = 5

    @Option(help: "Past event time produced at start, one record per second of it (0 for none).")
    var history = "2m"

    @Option(help: "The directory holding seed-processor.yaml and category-windows.yaml (default: ./pipelines, else the built-in copies).")
    var pipelines: String?

    @Flag(help: "Do not color the output.")
    var noColor = false

    func validate() throws {
        if let duration, DurationParser.milliseconds(duration) == nil {
            throw ValidationError("--duration: \"\(duration)\" is not a duration such as 20s or 5m")
        }
        guard DurationParser.milliseconds(history) != nil else {
            throw ValidationError("--history: \"\(history)\" is not a duration such as 2m or 0")
        }
        guard rate > 0, rate <= 10_000 else { throw ValidationError("--rate must be above 0 and at most 10000") }
    }

    func run() async throws {
        let (files, builtIn) = try locatePipelines()
        // The built-in copies were written for this run only.
        defer { if let builtIn { try? FileManager.default.removeItem(at: builtIn) } }
        var loaded: [DemoPipelineFile] = []
        for file in files {
            switch DemoPipelineFile.load(file) {
            case .success(let pipeline): loaded.append(pipeline)
            case .failure(let error):
                for diagnostic in error.diagnostics { Output.error(DryRunCommand.text(diagnostic, file: error.file)) }
                throw ExitCode(1)
            }
        }
        var options = DemoOptions(ratePerSecond: rate, historyMs: DurationParser.milliseconds(history) ?? 0)
        options.sinkTopics = Self.sinkTopics(of: loaded)
        let session = try DemoSession(
            options: options, extraTopics: DemoSession.changelogTopics(for: loaded, inputPartitions: options.inputPartitions))
        let runners = try loaded.map { try session.runner(for: $0) }
        let screen = DemoScreen(color: !noColor && isatty(1) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil,
                                interactive: isatty(2) != 0)
        Output.error("""
            sluice demo: embedded kafka at \(session.bootstrapServers); producing tutorial records to \
            \(options.inputTopic) (\(options.inputPartitions) partitions) at \(Self.number(rate))/s\
            \(options.historyMs > 0 ? " after \(history) of history" : ""); running \
            \(loaded.map(\.spec.name).joined(separator: " and ")); \
            \(duration.map { "stopping after \($0)" } ?? "stop with ctrl-c")
            """)
        try session.start(pipelines: runners)

        let stop = Atomic<Bool>(false)
        let signals = StopSignals.trap { stop.store(true, ordering: .releasing) }
        defer { signals.release() }
        let deadline = duration.flatMap(DurationParser.milliseconds).map { ContinuousClock.now + .milliseconds($0) }
        while !stop.load(ordering: .acquiring), deadline.map({ ContinuousClock.now < $0 }) ?? true {
            screen.show(session.takeEvents(), status: session.status())
            try? await Task.sleep(for: .milliseconds(100))
        }
        screen.clearStatus()
        Output.error("sluice demo: stopping (finishing in-flight records, committing, leaving the groups)")
        let clean = await RecordCommand.onThread { session.stop() }
        screen.show(session.takeEvents(), status: nil)
        let status = session.status()
        Output.error(screen.summary(status, dropped: session.droppedEvents))
        if !clean { Output.error("warning: some demo threads did not stop in time") }
        if status.pipelines.values.contains(where: { $0.state == "failed" }) { throw ExitCode(1) }
    }

    /// The two pipeline files: from --pipelines, else ./pipelines, else the built-in copies
    /// written to a temporary directory (returned too, for removal).
    func locatePipelines() throws -> (files: [String], temporary: URL?) {
        let names = TutorialPipelines.pipelines.map { ($0.path as NSString).lastPathComponent }
        let directory = pipelines ?? "pipelines"
        let paths = names.map { (directory as NSString).appendingPathComponent($0) }
        let missing = paths.filter { !FileManager.default.fileExists(atPath: $0) }
        if missing.isEmpty { return (paths, nil) }
        if pipelines != nil {
            Output.error("error: \(missing.joined(separator: ", ")) not found (--pipelines must name a directory holding \(names.joined(separator: " and ")))")
            throw ExitCode(2)
        }
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-demo-\(getpid())")
        do {
            for file in TutorialPipelines.pipelines + TutorialPipelines.support {
                let url = temporary.appendingPathComponent(file.path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try file.text.write(to: url, atomically: true, encoding: .utf8)
            }
        } catch {
            Output.error("error: \(missing.joined(separator: ", ")) not found, and the built-in copies cannot be written to \(temporary.path): \(error.localizedDescription)")
            throw ExitCode(2)
        }
        Output.error("sluice demo: \(missing.joined(separator: ", ")) not found here: using the built-in tutorial pipelines")
        return (TutorialPipelines.pipelines.map { temporary.appendingPathComponent($0.path).path }, temporary)
    }

    /// Every topic the pipelines write to, output-topic first and the dead-letter topic last.
    static func sinkTopics(of pipelines: [DemoPipelineFile]) -> [String] {
        var topics: [String] = []
        func add(_ topic: String?) {
            if let topic, !topics.contains(topic) { topics.append(topic) }
        }
        for pipeline in pipelines {
            for step in pipeline.plan.steps {
                switch step {
                case .to(let to): add(to.topic)
                case .window(let window): add(window.lateTopic)
                case .join(let join): add(join.lateTopic)
                default: break
                }
            }
            for sink in pipeline.plan.sinks { add(sink.topic) }
        }
        for pipeline in pipelines { add(pipeline.plan.deadLetterTopic) }
        return topics
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// Draws the demo: one compact line per sink record on stdout, and a status line on stderr
/// (redrawn in place on a terminal, every few seconds otherwise). Used from one task only.
final class DemoScreen {
    private let color: Bool
    private let interactive: Bool
    private var statusShown = false
    private var lastStatus = ""
    private var lastStatusLine = ContinuousClock.now
    /// The terminal's width, so that the status line never wraps (which would break `\r`).
    private let width: Int = {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 else { return 120 }
        return Int(size.ws_col)
    }()

    init(color: Bool, interactive: Bool) {
        self.color = color
        self.interactive = interactive
    }

    func show(_ events: [DemoEvent], status: DemoStatus?) {
        if !events.isEmpty {
            clearStatus()
            var text = ""
            for event in events { text += line(for: event) + "\n" }
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        guard let status else { return }
        if interactive {
            var line = statusLine(status)
            if line.count >= width { line = String(line.prefix(width - 2)) + "…" }
            guard !statusShown || line != lastStatus else { return }
            lastStatus = line
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            statusShown = true
        } else if ContinuousClock.now - lastStatusLine >= .seconds(5) {
            lastStatusLine = ContinuousClock.now
            Output.error(statusLine(status))
        }
    }

    func clearStatus() {
        guard statusShown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        statusShown = false
    }

    /// `output-topic       A   {"id":1,...}`, the topic colored by kind.
    func line(for event: DemoEvent) -> String {
        switch event {
        case .record(let record):
            let topic = record.topic.padding(toLength: max(18, record.topic.count + 1), withPad: " ", startingAt: 0)
            let key = record.key.map { String(decoding: $0, as: UTF8.self) } ?? "-"
            var value = record.value.map { String(decoding: $0, as: UTF8.self) } ?? "null"
            if value.count > 200 { value = String(value.prefix(199)) + "…" }
            var text = paint(topic, colorCode(for: record.topic)) + key.padding(toLength: max(4, key.count + 1), withPad: " ", startingAt: 0) + value
            if let reason = record.headers.first(where: { $0.name == Engine.DeadLetterHeader.message })?.value {
                text += paint("  (\(String(decoding: reason, as: UTF8.self)))", "2")
            }
            return text
        case .note(let text):
            return paint("note: \(text)", "33")
        case .failure(let pipeline, let message):
            return paint("error: \(pipeline) stopped: \(message)", "31;1")
        }
    }

    func statusLine(_ status: DemoStatus) -> String {
        let seconds = status.elapsedMs / 1000
        let kinds = status.producedByKind
        let received = status.received.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        let pipelines = status.pipelines.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.state) (in \($0.value.recordsIn))" }
        return [
            "\(seconds)s", "produced \(status.produced) (\(kinds[.malformed] ?? 0) malformed, \(kinds[.late] ?? 0) late)",
            "received \(received.isEmpty ? "nothing yet" : received.joined(separator: ", "))", pipelines.joined(separator: ", "),
        ].joined(separator: " | ")
    }

    func summary(_ status: DemoStatus, dropped: Int) -> String {
        let kinds = status.producedByKind
        let received = status.received.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        let pipelines = status.pipelines.sorted { $0.key < $1.key }.map {
            "\($0.key) \($0.value.state) (in \($0.value.recordsIn), out \($0.value.recordsOut))"
        }
        var lines = [
            "produced: \(status.produced) records to input-topic (\(kinds[.malformed] ?? 0) malformed, \(kinds[.late] ?? 0) late)",
            "received: \(received.isEmpty ? "nothing" : received.joined(separator: ", "))",
            "pipelines: \(pipelines.joined(separator: ", "))",
        ]
        if dropped > 0 { lines.append("not shown: \(dropped) records (the screen fell behind)") }
        return lines.joined(separator: "\n")
    }

    private func colorCode(for topic: String) -> String {
        if topic.contains("dead") { return "31" }
        if topic.contains("late") { return "33" }
        if topic.contains("aggregat") { return "36" }
        return "32"
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
