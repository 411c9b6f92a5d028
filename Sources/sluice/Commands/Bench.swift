import ArgumentParser
import Foundation
import SluiceCore

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure dry-run engine throughput on generated tutorial records.",
        discussion: """
            Generates N tutorial records (a chunk at a time, so any N fits in memory) and \
            dry-runs them through each pipeline (default: pipelines/seed-processor.yaml and \
            pipelines/category-windows.yaml), output counted and discarded; only engine time \
            counts. Prints records/s, the throughput of only parsing the same JSON in the same \
            run, their ratio, the bytes of state per open window and key (counted from the \
            engine's structures, and as resident memory growth; measured first), and the peak \
            resident memory after every million records, which stays flat when state does not \
            grow. For single-core numbers, run it under `taskset -c 0`. Build with `-c release`.
            """)

    @Option(help: "How many records to generate.")
    var records = 1_000_000

    @Option(help: "A pipeline to run, by name (pipelines/NAME.yaml) or path; repeatable.")
    var pipeline: [String] = []

    @Option(help: "Keys opened in one window to measure the state per window and key (0: skip).")
    var memoryKeys = 200_000

    @Option(help: "Rows of the table in the stream-table join case (0: skip it).")
    var joinRows = 1_000_000

    @Argument(help: "Pipeline files (default: the two tutorial pipelines).")
    var pipelines: [String] = []

    func validate() throws {
        guard records > 0 else { throw ValidationError("--records must be at least 1") }
        guard memoryKeys >= 0 else { throw ValidationError("--memory-keys must not be negative") }
    }

    func run() throws {
        var files = pipelines + pipeline.map(Self.resolve)
        if files.isEmpty { files = ["pipelines/seed-processor.yaml", "pipelines/category-windows.yaml"] }
        let plans = try files.map(Self.plan)
        // Memory first, while the heap is fresh (freed memory would hide growth).
        var keepAlive: [Engine] = []
        for (name, plan) in plans where memoryKeys > 0 && plan.steps.contains(where: Self.isStateful) {
            if let memory = Benchmark.stateMemory(plan, windows: memoryKeys, keepAlive: &keepAlive) {
                print("\(name): \(Int(memory.structuralBytes.rounded())) bytes of state per open window and key "
                    + "(counted), \(Int(memory.residentBytes.rounded())) resident (\(memory.open) open)")
            }
        }
        keepAlive.removeAll()

        // The baseline's rate does not depend on how many records there are: two million at most.
        let baseline = Benchmark.parseBaseline(generating: min(records, 2_000_000))
        print("generated \(records) tutorial records (engine time only)")
        print("baseline (json parse only): \(Self.rate(baseline.recordsPerSecond)) records/s")
        for (name, plan) in plans {
            _ = Benchmark.run(plan, generating: 20_000)  // warm-up
            let canTrackPeak = Benchmark.resetPeakResident()
            var peaks: [(records: Int, bytes: Int)] = []
            let result = Benchmark.run(plan, generating: records) { processed in
                if let peak = canTrackPeak ? Benchmark.peakResidentBytes() : Benchmark.residentBytes() {
                    peaks.append((processed, peak))
                }
            }
            let ratio = baseline.recordsPerSecond > 0 ? result.recordsPerSecond / baseline.recordsPerSecond : 0
            print("\(name): \(Self.rate(result.recordsPerSecond)) records/s (\(String(format: "%.3f", result.seconds)) s, \(result.outputs) outputs, \(result.outputBytes) bytes), \(String(format: "%.2f", ratio))x baseline")
            if !peaks.isEmpty {
                let label = canTrackPeak ? "peak resident" : "resident"
                let points = peaks.map { "\(Self.count($0.records)) \($0.bytes / 1_048_576)" }.joined(separator: ", ")
                print("  \(label) MiB after records: \(points)")
            }
        }
        if joinRows > 0 { BenchJoin.report(rows: joinRows, records: records, baseline: baseline) }
    }

    /// `NAME` as pipelines/NAME.yaml unless it is a file already.
    static func resolve(_ name: String) -> String {
        if FileManager.default.fileExists(atPath: name) { return name }
        return "pipelines/\(name).yaml"
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

    static func count(_ records: Int) -> String {
        records % 1_000_000 == 0 ? "\(records / 1_000_000)M" : "\(records)"
    }
}
