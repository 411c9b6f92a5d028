import ArgumentParser
import SluiceCore

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure dry-run engine throughput on generated tutorial records.",
        discussion: """
            Generates N tutorial records in memory and dry-runs them through each pipeline \
            (default: pipelines/seed-processor.yaml and pipelines/category-windows.yaml), output \
            counted and discarded. Prints records/s, the throughput of only parsing the same JSON \
            in the same run, their ratio, and resident bytes per open window. For single-core \
            numbers, run it under `taskset -c 0`. Build with `-c release`.
            """)

    @Option(help: "How many records to generate.")
    var records = 1_000_000

    @Argument(help: "Pipeline files (default: the two tutorial pipelines).")
    var pipelines: [String] = []

    func validate() throws {
        guard records > 0 else { throw ValidationError("--records must be at least 1") }
    }

    func run() throws {
        let files = pipelines.isEmpty ? ["pipelines/seed-processor.yaml", "pipelines/category-windows.yaml"] : pipelines
        let input = Benchmark.tutorialRecords(count: records)
        let baseline = Benchmark.parseBaseline(input)
        print("generated \(records) tutorial records")
        print("baseline (json parse only): \(Self.rate(baseline.recordsPerSecond)) records/s")
        for file in files {
            let (spec, diagnostics) = PipelineLoader.load(file: file)
            guard let spec else {
                for diagnostic in diagnostics { print(diagnostic) }
                throw ExitCode(1)
            }
            let plan: EnginePlan
            do {
                plan = try EnginePlan(spec: spec)
            } catch {
                for diagnostic in error.diagnostics { print(diagnostic) }
                throw ExitCode(1)
            }
            _ = Benchmark.run(plan, records: Array(input.prefix(20_000)))  // warm-up
            let result = Benchmark.run(plan, records: input)
            let ratio = baseline.recordsPerSecond > 0 ? result.recordsPerSecond / baseline.recordsPerSecond : 0
            print("\(spec.name): \(Self.rate(result.recordsPerSecond)) records/s (\(String(format: "%.3f", result.seconds)) s, \(result.outputs) outputs, \(result.outputBytes) bytes), \(String(format: "%.2f", ratio))x baseline")
            if plan.steps.contains(where: { if case .window = $0 { true } else if case .aggregate = $0 { true } else { false } }),
                let memory = Benchmark.bytesPerOpenWindow(plan)
            {
                print("\(spec.name): \(Int(memory.bytes.rounded())) resident bytes per open window and key (\(memory.open) open)")
            }
        }
    }

    static func rate(_ value: Double) -> String {
        value >= 1e6 ? String(format: "%.2f M", value / 1e6) : String(format: "%.0f", value)
    }
}
