import ArgumentParser
import Dispatch
import Foundation
import Logging
import SluiceCore
import SluiceKafka
import SluiceSupport
import Synchronization

/// `sluice run`: a pipeline against a Kafka cluster, until stopped.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline against a Kafka cluster.",
        discussion: """
            Consumes the source topics in the pipeline's consumer group, runs the steps and \
            produces to the sinks, at least once: an input offset is committed only after every \
            output derived from it is acknowledged and its state is written to the step's \
            changelog topic. Brokers come from --brokers, else SLUICE_BROKERS, else \
            CONFLUENT_BOOTSTRAP_SERVERS with CONFLUENT_API_KEY/CONFLUENT_API_SECRET (SASL_SSL, \
            PLAIN); a .env file in the working directory is read too (the real environment wins). \
            Stops gracefully on Ctrl-C or SIGTERM (flush, write state, commit, leave the group); \
            exits 0 then, 1 on an error that retrying cannot fix. With --guarantee exactly-once \
            (or the spec's guarantee:), outputs, changelog writes and input offsets commit in one \
            transaction per commit interval. See docs/run.md.
            """)

    @Argument(help: "The pipeline file.")
    var pipeline: String

    @Option(help: "Bootstrap servers, HOST:PORT[,HOST:PORT...].")
    var brokers: String?

    @Option(help: "The consumer group (default: the pipeline's source.group, i.e. its name).")
    var group: String?

    @Option(name: .customShort("X"), help: ArgumentHelp(
        "A librdkafka property, name=value (repeatable), e.g. -X session.timeout.ms=6000.",
        valueName: "name=value"))
    var properties: [String] = []

    @Option(help: "auto: a live status line on a terminal, log lines otherwise; line; log; none.")
    var status: StatusMode = .auto

    @Option(help: "Stop gracefully after this many input records.")
    var maxRecords: Int?

    @Option(help: "Stop gracefully once no input arrived for this long, e.g. 5s.")
    var idleExit: String?

    @Option(help: "How often to commit offsets and write state, e.g. 1s (default: 1s; 100ms exactly once).")
    var commitInterval: String?

    @Option(help: ArgumentHelp(
        "exactly-once or at-least-once; overrides the pipeline's guarantee:.", valueName: "guarantee"))
    var guarantee: String?

    @Option(help: ArgumentHelp(
        "The least important log entries shown.",
        valueName: "level"))
    var logLevel: Logger.Level = .info

    @Flag(help: "Also log librdkafka's debug lines (the same as --log-level debug).")
    var verbose = false

    @Option(help: "Serve Prometheus metrics at http://ADDRESS:PORT/metrics (0: any free port, logged).")
    var metricsPort: Int?

    @Option(help: "The IPv4 address the metrics endpoint listens on.")
    var metricsAddress = "127.0.0.1"

    enum StatusMode: String, ExpressibleByArgument, CaseIterable {
        case auto, line, log, none
    }

    /// Time a graceful stop may take before the process gives up.
    static let stopTimeout: TimeInterval = 10

    func validate() throws {
        if let maxRecords, maxRecords < 1 { throw ValidationError("--max-records must be at least 1") }
        if let idleExit, DurationParser.milliseconds(idleExit) == nil {
            throw ValidationError("--idle-exit: \"\(idleExit)\" is not a duration (e.g. 5s, 500ms, 1m)")
        }
        if let commitInterval {
            guard let interval = DurationParser.milliseconds(commitInterval), interval >= 10 else {
                throw ValidationError("--commit-interval must be a duration of at least 10ms")
            }
        }
        if let metricsPort, !(0...65535).contains(metricsPort) {
            throw ValidationError("--metrics-port must be between 0 and 65535")
        }
        if let guarantee, Guarantee(rawValue: guarantee) == nil {
            throw ValidationError("--guarantee must be exactly-once or at-least-once")
        }
    }

    func run() async throws {
        let (spec, diagnostics) = PipelineLoader.load(file: pipeline)
        for diagnostic in diagnostics { Output.error(DryRunCommand.text(diagnostic, file: pipeline)) }
        guard let spec else { throw ExitCode(diagnostics.contains { $0.code == PipelineLoader.ioErrorCode } ? 2 : 1) }
        let plan: EnginePlan
        do {
            plan = try EnginePlan(spec: spec)
        } catch {
            for diagnostic in error.diagnostics { Output.error(DryRunCommand.text(diagnostic, file: pipeline)) }
            throw ExitCode(1)
        }

        let dotEnv = try? String(contentsOfFile: ".env", encoding: .utf8)
        let (environment, badLines) = RunSettings.environment(process: ProcessInfo.processInfo.environment, dotEnv: dotEnv)
        let settings: RunSettings
        do {
            let overrides = try properties.map { text throws(RunSetupError) in try RunSettings.parseOverride(text) }
            settings = try RunSettings.resolve(
                spec: spec, brokers: brokers, group: group, overrides: overrides, environment: environment)
        } catch {
            Output.error("error: \(error.message)")
            throw ExitCode(1)
        }

        let interactive = isatty(2) != 0
        let mode: StatusMode = status == .auto ? (interactive ? .line : .log) : status
        // Logs are logfmt for collectors, text above the status line on a terminal.
        let console = RunConsole(
            statusLine: mode == .line, statusLogEvery: mode == .log ? 10 : 0, format: interactive ? .text : .logfmt)
        LoggingSystem.bootstrap { _ in ConsoleLogHandler(console: console) }
        var logger = Logger(label: "sluice.run")
        logger.logLevel = verbose ? min(logLevel, .debug) : logLevel
        for line in badLines { console.log(RunLogEntry(level: .warning, message: ".env: line \(line) is not NAME=value; skipped")) }

        let chosen = guarantee.flatMap(Guarantee.init(rawValue:)) ?? spec.guarantee
        var options = RunOptions(
            maxRecords: maxRecords, idleExitMs: idleExit.flatMap(DurationParser.milliseconds),
            commitIntervalMs: commitInterval.flatMap(DurationParser.milliseconds) ?? (chosen == .exactlyOnce ? 100 : 1000))
        options.guarantee = chosen
        var endpoint: MetricsEndpoint?
        if let metricsPort {
            do {
                let started = try await MetricsEndpoint.start(address: metricsAddress, port: UInt16(clamping: metricsPort))
                logger.info("serving metrics", metadata: ["url": "\(started.url)"])
                endpoint = started
            } catch {
                Output.error("error: \(error.message)")
                throw ExitCode(1)
            }
        }
        let showStatus: RunStatusHandler = { console.status($0) }
        let runner = PipelineRunner(
            spec: spec, plan: plan, settings: settings, options: options, logger: logger,
            status: mode == StatusMode.none ? nil : showStatus, metrics: endpoint?.metrics)
        let signals = RunStopSignals(runner: runner, console: console, timeout: Self.stopTimeout)
        signals.install()

        let outcome = await runner.runOnThread()
        await endpoint?.stop()
        console.finish()
        Output.error(outcome.summary.text)
        if case .failed(let message, _) = outcome {
            Output.error("error: \(message)")
            throw ExitCode(1)
        }
    }
}

/// SIGINT and SIGTERM: the first asks the runner to stop gracefully and starts a watchdog;
/// a second one, or the watchdog, exits at once with status 1.
final class RunStopSignals: Sendable {
    private let runner: PipelineRunner
    private let console: RunConsole
    private let timeout: TimeInterval
    private let sources = Mutex<[any DispatchSourceSignal]>([])

    init(runner: PipelineRunner, console: RunConsole, timeout: TimeInterval) {
        self.runner = runner
        self.console = console
        self.timeout = timeout
    }

    func install() {
        sources.withLock { sources in
            for number in [SIGINT, SIGTERM] {
                // Ignore the default action (terminate) so that the source sees the signal.
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { self.received(number) }
                source.resume()
                sources.append(source)
            }
        }
    }

    private func received(_ number: Int32) {
        let name = number == SIGINT ? "SIGINT" : "SIGTERM"
        if runner.isStopRequested {
            console.finish()
            Output.error("sluice run: \(name) again: exiting without waiting for the graceful stop")
            exit(1)
        }
        console.log(RunLogEntry(level: .info, message: "stopping", fields: [RunLogField("signal", name)]))
        runner.requestStop(reason: "received \(name)")
        let seconds = Int(timeout)
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            self.console.finish()
            Output.error("sluice run: did not stop within \(seconds)s; exiting (uncommitted input will be processed again)")
            exit(1)
        }
    }
}
