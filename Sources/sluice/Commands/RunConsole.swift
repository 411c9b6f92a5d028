import Foundation
import SluiceKafka
import Synchronization

/// What `sluice run` shows on stderr: log lines and, on a terminal, a status line redrawn
/// every second below them. Log lines are `time level message key=value...` on a terminal,
/// logfmt (`time=... level=... msg=... key=value...`) otherwise, for log collectors.
final class RunConsole: Sendable {
    enum Format {
        case text, logfmt
    }

    private struct State {
        var line: String?
        var statuses = 0
        var finished = false
    }

    private let statusLine: Bool
    /// In log mode, one status log line per this many statuses (0: none).
    private let statusLogEvery: Int
    private let format: Format
    private let state = Mutex(State())

    init(statusLine: Bool, statusLogEvery: Int, format: Format) {
        self.statusLine = statusLine
        self.statusLogEvery = statusLogEvery
        self.format = format
    }

    /// One log line in the console's format.
    func render(_ entry: RunLogEntry) -> String {
        switch format {
        case .text:
            return "\(Self.timestamp()) \(entry.level.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(entry.text)\n"
        case .logfmt:
            let head = [RunLogField("time", Self.timestamp()), RunLogField("level", entry.level.rawValue), RunLogField("msg", entry.message)]
            return (head + entry.fields).map(\.text).joined(separator: " ") + "\n"
        }
    }

    func log(_ entry: RunLogEntry) {
        let text = render(entry)
        state.withLock { state in
            guard !state.finished || !statusLine else { return write(text) }
            if statusLine, let line = state.line {
                write("\r\u{1B}[2K" + text + line)
            } else {
                write(text)
            }
        }
    }

    func status(_ status: RunStatus) {
        state.withLock { state in
            guard !state.finished else { return }
            state.statuses += 1
            if statusLine {
                let line = "sluice: " + status.line
                state.line = line
                write("\r\u{1B}[2K" + line)
            } else if statusLogEvery > 0, state.statuses % statusLogEvery == 0 {
                write(render(RunLogEntry(level: .info, message: "status", fields: status.fields)))
            }
        }
    }

    /// Ends the status line, so that what follows starts on a fresh line.
    func finish() {
        state.withLock { state in
            if statusLine, state.line != nil, !state.finished { write("\r\u{1B}[2K") }
            state.finished = true
            state.line = nil
        }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// `2025-01-16T01:13:20.123Z`.
    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let ms = Int(spec.tv_nsec / 1_000_000)
        let millis = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(millis)Z"
    }
}
