import ArgumentParser
import SluiceCore

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure dry-run engine throughput on generated tutorial records.",
        discussion: """
            Generates N tutorial records in memory and dry-runs them through each pipeline \
            (default: pipelines/seed-processor.yaml and pipelines/category-windows.yaml), output \
            counted and discarded. Prints records/s, the throughput of only parsing the same JSON \
            in the same run, their ratio, resident bytes per open window and key (measured first), and resident memory. For single-core \
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
        let plans = try files.map(Self.plan)
        // Memory first, while the heap is fresh (freed memory would hide growth).
        var keepAlive: [Engine] = []
        for (name, plan) in plans where plan.steps.contains(where: Self.isStateful) {
            if let memory = Benchmark.bytesPerOpenWindow(plan, keepAlive: &keepAlive) {
                print("\(name): \(Int(memory.bytes.rounded())) resident bytes per open window and key (\(memory.open) open)")
            }
        }
        keepAlive.removeAll()

        let input = Benchmark.tutorialRecords(count: records)
        let baseline = Benchmark.parseBaseline(input)
        print("generated \(records) tutorial records")
        print("baseline (json parse only): \(Self.rate(baseline.recordsPerSecond)) records/s")
        for (name, plan) in plans {
            _ = Benchmark.run(plan, records: Array(input.prefix(20_000)))  // warm-up
            let result = Benchmark.run(plan, records: input)
            let ratio = baseline.recordsPerSecond > 0 ? result.recordsPerSecond / baseline.recordsPerSecond : 0
            print("\(name): \(Self.rate(result.recordsPerSecond)) records/s (\(String(format: "%.3f", result.seconds)) s, \(result.outputs) outputs, \(result.outputBytes) bytes), \(String(format: "%.2f", ratio))x baseline")
        }
        if let resident = Benchmark.residentBytes() {
            print("resident memory at the end: \(resident / 1_048_576) MiB (the generated input included)")
        }
    }

    static func plan(_ file: String) throws -> (String, EnginePlan) {
        let (spec, diagnostics) = PipelineLoader.load(file: file)
        guard let spec else {
            for diagnostic in diagnostics { print(diagnostic) }
            throw ExitCode(1)
        }
        do {
            return (spec.name, try EnginePlan(spec: spec))
        } catch {
            for diagnostic in error.diagnostics { print(diagnostic) }
            throw ExitCode(1)
        }
    }

    static func isStateful(_ step: StepPlan) -> Bool {
        switch step {
        case .aggregate, .window: true
        default: false
        }
    }

    static func rate(_ value: Double) -> String {
        value >= 1e6 ? String(format: "%.2f M", value / 1e6) : String(format: "%.0f", value)
    }
}
