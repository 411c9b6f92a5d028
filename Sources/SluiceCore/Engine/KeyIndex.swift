import SluiceSupport

/// Keys numbered 0, 1, 2, ... in the order they were added, found by hash: the row numbers of
/// an `AggregateTable`. An open-addressing table of 32-bit row numbers with linear probing,
/// so a key costs its `Value`, its hash and a few bytes of table, and no allocation of its own.
///
/// Keys are equal as `Value`s are (so `"é"` typed two ways is one key, as in a dictionary).
final class KeyIndex {
    // Touched on every record, never while another access to the same property is under way:
    // the dynamic exclusivity checks are not needed.
    @exclusivity(unchecked) private(set) var keys: ContiguousArray<Value> = []
    @exclusivity(unchecked) private var hashes: ContiguousArray<Int> = []
    /// Row numbers; -1 marks an empty bucket. Always at least twice as many buckets as keys.
    @exclusivity(unchecked) private var buckets: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private var mask: Int
    /// Recently used keys and their rows, found by a cheap hash of the key's bytes before
    /// paying for the full (SipHash) one: a hit is confirmed with `==`, so a cheap hash that
    /// misses an equal key only costs the full lookup.
    private let recentKeys: UnsafeMutablePointer<Value>
    private let recentRows: UnsafeMutablePointer<Int>
    private static let recentCount = 64
    /// Recently found small-string keys by their raw bits (two words per entry, then the row):
    /// a small string holds its text in those bits, so equal bits mean an equal key, found
    /// with two comparisons. Other keys (and any miss) take the lookups above.
    private let smallKeys: UnsafeMutablePointer<UInt64>

    init(capacity: Int = 8) {
        recentKeys = .allocate(capacity: Self.recentCount)
        recentKeys.initialize(repeating: .null, count: Self.recentCount)
        recentRows = .allocate(capacity: Self.recentCount)
        recentRows.initialize(repeating: -1, count: Self.recentCount)
        smallKeys = .allocate(capacity: Self.recentCount * 3)
        smallKeys.initialize(repeating: 0, count: Self.recentCount * 3)
        var size = 16
        while size < capacity * 2 { size *= 2 }
        buckets = .allocate(capacity: size)
        buckets.initialize(repeating: -1, count: size)
        mask = size - 1
        keys.reserveCapacity(capacity)
        hashes.reserveCapacity(capacity)
    }

    deinit {
        buckets.deallocate()
        recentKeys.deinitialize(count: Self.recentCount)
        recentKeys.deallocate()
        recentRows.deallocate()
        smallKeys.deallocate()
    }

    var count: Int { keys.count }

    /// The hash the table is built on: consistent with `==`, as a dictionary's.
    @inline(__always) static func hash(_ key: Value) -> Int { key.hashValue }

    /// The slot of `key` among the recent keys: its length and first and last bytes. Not
    /// consistent with `==` for every string (canonically equivalent ones may differ), which
    /// only makes such keys miss.
    @inline(__always) private static func recentSlot(_ key: Value) -> Int? {
        var mixed: UInt64
        switch key {
        case .string(let text):
            // FNV-1a over the first 16 bytes and the length.
            let hashed: UInt64? = text.utf8.withContiguousStorageIfAvailable { bytes in
                var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes.count)
                for byte in bytes.prefix(16) { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
                return h
            }
            guard let hashed else { return nil }
            mixed = hashed
        case .int(let number):
            mixed = UInt64(bitPattern: number)
        default:
            return nil
        }
        mixed = mixed &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> 58)  // recentCount is 64
    }

    /// The raw bits of `key` when it is a small string (text in the bits themselves), else nil.
    @inline(__always) private static func smallStringBits(_ key: Value) -> (UInt64, UInt64)? {
        guard MemoryLayout<String>.size == 16, case .string(let text) = key else { return nil }
        let bits = unsafeBitCast(text, to: (UInt64, UInt64).self)
        return (bits.1 >> 61) & 1 == 1 ? bits : nil
    }

    /// The row of `key`, if it was added.
    func find(_ key: Value) -> Int? {
        guard let bits = Self.smallStringBits(key) else { return findRecent(key) }
        let entry = smallKeys + 3 * Int(truncatingIfNeeded: ((bits.0 ^ (bits.1 &* 31)) &* 0x9E37_79B9_7F4A_7C15) >> 58)
        if entry[2] != 0, entry[0] == bits.0, entry[1] == bits.1 { return Int(entry[2] - 1) }
        guard let row = findRecent(key) else { return nil }
        entry[0] = bits.0
        entry[1] = bits.1
        entry[2] = UInt64(row + 1)
        return row
    }

    /// `find` through the recent keys and the table.
    private func findRecent(_ key: Value) -> Int? {
        let slot = Self.recentSlot(key)
        if let slot, recentRows[slot] >= 0, recentKeys[slot] == key { return recentRows[slot] }
        guard let row = find(key, hash: Self.hash(key)) else { return nil }
        if let slot {
            recentKeys[slot] = key
            recentRows[slot] = row
        }
        return row
    }

    /// Adds `key`, which must not be present yet; returns its row (the previous count).
    @discardableResult
    func insert(_ key: Value) -> Int {
        let row = insert(key, hash: Self.hash(key))
        if let slot = Self.recentSlot(key) {
            recentKeys[slot] = key
            recentRows[slot] = row
        }
        return row
    }

    /// The row of `key` whose `hash` is given, if it was added.
    private func find(_ key: Value, hash: Int) -> Int? {
        var bucket = hash & mask
        while true {
            let row = Int(buckets[bucket])
            if row < 0 { return nil }
            if hashes[row] == hash && keys[row] == key { return row }
            bucket = (bucket + 1) & mask
        }
    }

    private func insert(_ key: Value, hash: Int) -> Int {
        if (keys.count + 1) * 2 > mask + 1 { grow() }
        let row = keys.count
        keys.append(key)
        hashes.append(hash)
        place(row: row, hash: hash)
        return row
    }

    private func place(row: Int, hash: Int) {
        var bucket = hash & mask
        while buckets[bucket] >= 0 { bucket = (bucket + 1) & mask }
        buckets[bucket] = Int32(truncatingIfNeeded: row)
    }

    private func grow() {
        let size = (mask + 1) * 2
        buckets.deallocate()
        buckets = .allocate(capacity: size)
        buckets.initialize(repeating: -1, count: size)
        mask = size - 1
        for row in 0..<hashes.count { place(row: row, hash: hashes[row]) }
    }

    /// The rows in `ValueOrder` of their keys (emission order of closing windows).
    var rowsInKeyOrder: [Int] {
        keys.indices.sorted { ValueOrder.less(keys[$0], keys[$1]) }
    }

    /// The bytes this index holds (by capacity): keys, hashes and buckets. Key text that does
    /// not fit in a `Value` (strings over 15 bytes, arrays, objects) is counted by `keyHeapBytes`.
    var byteCount: Int {
        keys.capacity * MemoryLayout<Value>.stride + hashes.capacity * MemoryLayout<Int>.stride
            + (mask + 1) * MemoryLayout<Int32>.stride + Self.recentCount * (MemoryLayout<Value>.stride + 8) + 64
    }

    /// Heap bytes of the keys themselves: string storage past the 15 bytes kept inline, and the
    /// elements of array and object keys (approximately: their compact JSON length).
    var keyHeapBytes: Int {
        keys.reduce(0) { total, key in
            switch key {
            case .string(let text): total + (text.utf8.count > 15 ? 32 + text.utf8.count : 0)
            case .array, .object: total + 32 + JSON.serialize(key).count
            default: total
            }
        }
    }
}
