import Foundation
import SluiceCore

/// The stream-table join case of `sluice bench`.
enum BenchJoin {
    static func report(rows: Int, records: Int, baseline: Benchmark.Run) {
        guard let join = Benchmark.lookupJoin(rows: rows, records: records) else {
            print("lookup join: the benchmark pipeline did not load")
            return
        }
        let base = baseline.recordsPerSecond
        func ratio(_ run: Benchmark.Run) -> String { String(format: "%.2fx baseline", base > 0 ? run.recordsPerSecond / base : 0) }
        print("lookup join, \(Bench.count(rows))-row table: \(Bench.rate(join.stream.recordsPerSecond)) records/s "
            + "(\(String(format: "%.3f", join.stream.seconds)) s, \(join.stream.outputs) outputs), \(ratio(join.stream))")
        print("  table fill: \(Bench.rate(join.fill.recordsPerSecond)) rows/s (\(ratio(join.fill))); "
            + "\(Int(join.structuralBytesPerRow.rounded())) bytes of state per row (counted)"
            + (join.residentBytesPerRow.map { ", \(Int($0.rounded())) resident" } ?? ""))
    }
}
