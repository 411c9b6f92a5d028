import Foundation
import SluiceSupport

extension Benchmark {
    /// What an open window and key (or a running aggregate key) costs.
    public struct StateMemory: Sendable {
        /// Window and key pairs (and aggregate keys) held open.
        public var open: Int
        /// Resident bytes per pair: the process's growth while they were opened (noisy: the
        /// allocator's pages, slack from growing tables).
        public var residentBytes: Double
        /// Bytes per pair counted from the sizes and capacities of the structures that hold the
        /// state (`Engine.stateBytes`): what the engine itself keeps, allocator overhead excluded.
        public var structuralBytes: Double
    }

    /// The state memory of `windows` keys fed into one window of `plan` (never closed). The
    /// engine is handed to `keepAlive`, so that the next measurement cannot reuse its memory;
    /// measure before other work for the same reason. Nil where /proc is missing.
    public static func stateMemory(_ plan: EnginePlan, windows: Int = 200_000, keepAlive: inout [Engine]) -> StateMemory? {
        let records = (0..<windows).map { index in
            Record(
                topic: plan.source.topics.first ?? "input-topic", timestamp: 1_736_990_000_000,
                value: Array(#"{"id":\#(index),"timestamp":1736990000,"value":\#(index % 100 + 1),"category":"key-\#(index)"}"#.utf8))
        }
        let engine = Engine(plan: plan)
        guard let before = residentBytes() else { return nil }
        for chunk in stride(from: 0, to: records.count, by: 256) {
            engine.process(records[chunk..<min(chunk + 256, records.count)])
            engine.drainOutputs { _ in }  // small batches: outputs must not count as state
        }
        guard let after = residentBytes(), engine.openStateCount > 0 else { return nil }
        keepAlive.append(engine)
        let open = Double(engine.openStateCount)
        return StateMemory(
            open: engine.openStateCount, residentBytes: Double(after - before) / open,
            structuralBytes: Double(engine.stateBytes) / open)
    }

    /// Resident bytes per open window and key (see `stateMemory`).
    public static func bytesPerOpenWindow(
        _ plan: EnginePlan, windows: Int = 200_000, keepAlive: inout [Engine]
    ) -> (bytes: Double, open: Int)? {
        stateMemory(plan, windows: windows, keepAlive: &keepAlive).map { ($0.residentBytes, $0.open) }
    }

    /// The process's resident set size, from /proc/self/statm.
    public static func residentBytes() -> Int? {
        guard let data = FileManager.default.contents(atPath: "/proc/self/statm"),
            let text = String(data: data, encoding: .utf8)
        else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The largest resident set size since the start or the last `resetPeakResident()`
    /// (VmHWM in /proc/self/status).
    public static func peakResidentBytes() -> Int? {
        guard let data = FileManager.default.contents(atPath: "/proc/self/status"),
            let text = String(data: data, encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 2, let kilobytes = Int(parts[1]) else { return nil }
        return kilobytes * 1024
    }

    /// Starts the peak resident size over from the current one (Linux: `5` to clear_refs);
    /// false when that is not possible.
    @discardableResult
    public static func resetPeakResident() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
    }
}
