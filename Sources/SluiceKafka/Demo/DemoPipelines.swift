import SluiceCore
import SluiceSupport

/// A pipeline file loaded for the demo: its spec and compiled plan.
public struct DemoPipelineFile: Sendable {
    public var file: String
    public var spec: PipelineSpec
    public var plan: EnginePlan

    public init(file: String, spec: PipelineSpec, plan: EnginePlan) {
        self.file = file
        self.spec = spec
        self.plan = plan
    }

    /// Loads and compiles a pipeline file; the diagnostics when it is not valid.
    public static func load(_ file: String) -> Result<DemoPipelineFile, DemoSetupError> {
        let (spec, diagnostics) = PipelineLoader.load(file: file)
        guard let spec else { return .failure(DemoSetupError(file: file, diagnostics: diagnostics)) }
        do {
            return .success(DemoPipelineFile(file: file, spec: spec, plan: try EnginePlan(spec: spec)))
        } catch {
            return .failure(DemoSetupError(file: file, diagnostics: error.diagnostics))
        }
    }
}

/// Why a demo pipeline cannot run.
public struct DemoSetupError: Error, Sendable {
    public var file: String
    public var diagnostics: [Diagnostic]
}

extension DemoSession {
    /// The changelog topics the pipelines' stateful steps use, with the input's partition
    /// count, to be created with the cluster (so that state is partitioned like its input).
    public static func changelogTopics(for pipelines: [DemoPipelineFile], inputPartitions: Int32) -> [(String, Int32)] {
        pipelines.flatMap { pipeline in
            Changelog(group: pipeline.spec.source.group, plan: pipeline.plan, inputPartitions: Int(inputPartitions)).newTopics
                .map { ($0.name, $0.partitions) }
        }
    }

    /// A `PipelineRunner` for `pipeline` on this session's cluster, with settings that keep
    /// group joins quick; its warnings and errors become notes and its status feeds the
    /// status line.
    public func runner(for pipeline: DemoPipelineFile, options: RunOptions = RunOptions(commitIntervalMs: 500, statusIntervalMs: 500))
        throws(RunSetupError) -> DemoPipeline
    {
        let settings = try RunSettings.resolve(
            spec: pipeline.spec, brokers: bootstrapServers,
            overrides: [("session.timeout.ms", "6000"), ("heartbeat.interval.ms", "500"), ("fetch.wait.max.ms", "50"), ("linger.ms", "5")],
            environment: [:])
        let name = pipeline.spec.name
        let runner = PipelineRunner(
            spec: pipeline.spec, plan: pipeline.plan, settings: settings, options: options,
            log: { [weak self] entry in
                guard entry.level >= .warning else { return }
                self?.note("\(name): \(entry.level.rawValue): \(entry.text)")
            },
            status: { [weak self] status in
                self?.update(pipeline: name, recordsIn: status.recordsIn, recordsOut: status.recordsOut)
            })
        return DemoPipeline(
            name: name,
            run: {
                if case .failed(let message, _) = runner.run() { throw DemoPipelineFailure(message: message) }
            },
            stop: { runner.requestStop(reason: "demo ending") })
    }
}

/// A pipeline of the demo stopped with an error.
public struct DemoPipelineFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
