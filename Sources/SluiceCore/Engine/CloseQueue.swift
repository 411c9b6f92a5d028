import SluiceExpr
import SluiceSupport

/// Windows waiting to close, smallest end first, then by key order: a binary min-heap.
///
/// Entries may go stale (a session grew or merged); the store checks each popped entry against
/// its current windows and ignores stale ones.
struct CloseQueue: Sendable {
    struct Entry: Sendable {
        var end: Int64
        var key: Value
        var start: Int64
    }

    private var heap: [Entry] = []

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var minimumEnd: Int64? { heap.first?.end }

    mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, Self.less(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, Self.less(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }

    mutating func removeAll() { heap.removeAll() }

    /// Bytes of the heap's buffer.
    var byteCount: Int { 32 + heap.capacity * MemoryLayout<Entry>.stride }

    private static func less(_ a: Entry, _ b: Entry) -> Bool {
        if a.end != b.end { return a.end < b.end }
        let c = ValueOrder.compare(a.key, b.key)
        if c != 0 { return c < 0 }
        return a.start < b.start
    }
}

/// One window's aggregate, on its way out of a store (closed, or changed with `emit: update`).
struct WindowResult: Sendable {
    var key: Value
    var bounds: WindowBounds
    var state: AggregateState
}
