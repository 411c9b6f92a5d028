/// A growable byte buffer for the JSON and envelope writers.
///
/// Appending to `[UInt8]` byte by byte costs a uniqueness and capacity check per call; this
/// buffer owns its memory outright, so the writers fill it with plain stores and hand the
/// result over in one copy. `JSONOutput.with` starts it on a stack buffer, so that most
/// values are written without any heap allocation of its own.
struct JSONOutput: ~Copyable {
    private(set) var start: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int
    /// False while `start` is the caller's (stack) memory.
    private var ownsMemory: Bool

    /// Writes into `buffer` until it is full, then moves to the heap.
    private init(borrowing buffer: UnsafeMutableBufferPointer<UInt8>) {
        if let base = buffer.baseAddress, buffer.count > 0 {
            start = base
            capacity = buffer.count
            ownsMemory = false
        } else {
            capacity = 64
            start = .allocate(capacity: capacity)
            ownsMemory = true
        }
    }

    deinit {
        if ownsMemory { start.deallocate() }
    }

    /// Calls `body` with an output that starts on a stack buffer of `stackCapacity` bytes.
    static func with<R>(stackCapacity: Int = 1024, _ body: (inout JSONOutput) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: stackCapacity) { buffer in
            var output = JSONOutput(borrowing: buffer)
            return body(&output)
        }
    }

    /// The bytes written so far; valid until the next append.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: start, count: count) }

    /// Makes room for `extra` more bytes.
    @inline(__always) mutating func reserve(_ extra: Int) {
        if capacity - count < extra { grow(extra) }
    }

    @inline(never) private mutating func grow(_ extra: Int) {
        let newCapacity = Swift.max(capacity * 2, count + extra, 64)
        let newStart = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newStart.initialize(from: start, count: count)
        if ownsMemory { start.deallocate() }
        start = newStart
        capacity = newCapacity
        ownsMemory = true
    }

    @inline(__always) mutating func append(_ byte: UInt8) {
        reserve(1)
        start[count] = byte
        count += 1
    }

    /// Appends a byte after `reserve` made room for it.
    @inline(__always) mutating func appendReserved(_ byte: UInt8) {
        start[count] = byte
        count += 1
    }

    /// Counts `n` bytes that were stored directly into reserved space at `start + count`.
    @inline(__always) mutating func advance(by n: Int) {
        count += n
    }

    @inline(__always) mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) {
        guard let source = buffer.baseAddress, buffer.count > 0 else { return }
        reserve(buffer.count)
        Self.copy(source, to: start + count, buffer.count)
        count += buffer.count
    }

    /// Copies `n` bytes; runs of 8 to 16 bytes (keys, most short strings) as two
    /// overlapping words, which costs less than a call to `memmove`.
    @inline(__always) static func copy(_ source: UnsafePointer<UInt8>, to target: UnsafeMutablePointer<UInt8>, _ n: Int) {
        if n > 16 || n < 8 {
            target.initialize(from: source, count: n)
            return
        }
        // 8 to 16 bytes: two overlapping words.
        let first = UnsafeRawPointer(source).loadUnaligned(as: UInt64.self)
        let last = UnsafeRawPointer(source + n - 8).loadUnaligned(as: UInt64.self)
        UnsafeMutableRawPointer(target).storeBytes(of: first, as: UInt64.self)
        UnsafeMutableRawPointer(target + n - 8).storeBytes(of: last, as: UInt64.self)
    }

    @inline(__always) mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }
}
