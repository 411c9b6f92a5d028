#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock and monotonic time in milliseconds, and sleeping, for the runner's thread.
enum RunClock {
    /// Milliseconds since the epoch (record `now()` and idleness in the engine).
    static func wallMs() -> Int64 { read(CLOCK_REALTIME) }

    /// Milliseconds on a clock that never jumps (deadlines, rates, backoff).
    static func monotonicMs() -> Int64 { read(CLOCK_MONOTONIC) }

    static func sleep(ms: Int64) {
        guard ms > 0 else { return }
        usleep(useconds_t(clamping: ms * 1000))
    }

    /// Sleeps `ms` in short slices, returning early once `stop` is true.
    static func sleep(ms: Int64, unless stop: () -> Bool) {
        let end = monotonicMs() + ms
        while !stop() {
            let left = end - monotonicMs()
            guard left > 0 else { return }
            sleep(ms: min(100, left))
        }
    }

    private static func read(_ clock: clockid_t) -> Int64 {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// Exponential backoff: 250 ms doubling up to a cap, reset after a success.
struct Backoff {
    var initialMs: Int64 = 250
    var maximumMs: Int64 = 10_000
    private(set) var nextMs: Int64 = 250
    private(set) var attempts = 0

    init(initialMs: Int64 = 250, maximumMs: Int64 = 10_000) {
        self.initialMs = initialMs
        self.maximumMs = maximumMs
        nextMs = initialMs
    }

    /// The delay before the next attempt, doubling each time.
    mutating func next() -> Int64 {
        defer {
            nextMs = min(maximumMs, nextMs * 2)
            attempts += 1
        }
        return nextMs
    }

    mutating func reset() {
        nextMs = initialMs
        attempts = 0
    }
}
