import SluiceSupport

extension TraceEvent {
    /// One line for `--trace`, e.g.
    /// `window closed: step 1 (window) key "A" [2025-01-16T01:14:00.000Z, 2025-01-16T01:15:00.000Z) at stream time 2025-01-16T01:15:12.000Z`.
    public func text(plan: EnginePlan) -> String {
        switch self {
        case .windowOpened(let step, let key, let window, let by, let eventTime):
            return "window opened: \(Self.step(step, plan)) key \(key.jsonText) \(Self.bounds(window)) by \(by) (event time \(Self.time(eventTime)))"
        case .windowsMerged(let step, let key, let merged, let into, let by):
            return "sessions merged: \(Self.step(step, plan)) key \(key.jsonText) \(merged.map(Self.bounds).joined(separator: " + ")) into \(Self.bounds(into)) by \(by)"
        case .windowClosed(let step, let key, let window, let streamTime):
            let when = streamTime.map { "at stream time \(Self.time($0))" } ?? "at end of input"
            return "window closed: \(Self.step(step, plan)) key \(key.jsonText) \(Self.bounds(window)) \(when)"
        case .late(let step, let record, let eventTime, let streamTime, let routedTo):
            let fate = routedTo.map { "sent to \($0)" } ?? "dropped"
            return "late record: \(record) at \(Self.step(step, plan)): event time \(Self.time(eventTime)), stream time \(Self.time(streamTime)), every window it belongs to has closed; \(fate)"
        case .error(let record, let kind, let message, let location):
            return "error record: \(record) [\(kind.rawValue)] \(message) (\(location))"
        case .streamTime(let time, let by):
            return "stream time: \(Self.time(time))\(by.map { " by \($0)" } ?? "")"
        }
    }

    private static func step(_ index: Int, _ plan: EnginePlan) -> String {
        let name: String
        switch plan.steps.indices.contains(index) ? plan.steps[index] : nil {
        case .window(let w)?: name = "\(w.kind.name) window at \(w.location)"
        case .aggregate(let a)?: name = "aggregate at \(a.location)"
        case .join(let j)?: name = "\(j.mode == .lookup ? "lookup" : "join") at \(j.location)"
        default: name = "step"
        }
        return "step \(index + 1) (\(name))"
    }

    private static func bounds(_ window: WindowBounds) -> String {
        "[\(time(window.start)), \(time(window.end)))"
    }

    static func time(_ ms: Int64) -> String { TimeText.iso8601(ms) }
}

/// Epoch milliseconds as ISO 8601 UTC text, without Foundation.
public enum TimeText {
    /// `2025-01-16T01:13:20.000Z`; the extremes print as `-inf`/`+inf`.
    public static func iso8601(_ ms: Int64) -> String {
        if ms == Int64.max { return "+inf" }
        if ms == Int64.min { return "-inf" }
        var seconds = ms / 1000, millis = ms % 1000
        if millis < 0 {
            millis += 1000
            seconds -= 1
        }
        var days = seconds / 86_400, secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        func pad(_ n: Int64, _ width: Int) -> String {
            let text = String(n.magnitude)
            return (n < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
