/// The raw bits of a key, as `RawKeyRows` takes them.
enum RawKey {
    /// The raw bits of a string of `count` (at most 16) bytes at `text + start`, where
    /// `end` bytes are readable from `text`.
    @inline(__always)
    static func string(_ text: UnsafePointer<UInt8>, start: Int, count: Int, end: Int) -> (UInt64, UInt64, UInt64) {
        let raw = UnsafeRawPointer(text)
        if count <= 8, start + count >= 8 {
            // The eight bytes ending with the string's last one, shifted down.
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + count - 8, as: UInt64.self))
            return (w >> (8 &* UInt64(8 &- count)), 0, 0x100 | UInt64(count))
        }
        guard start + 16 <= end else { return bytes(text + start, count: count) }
        let low = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start, as: UInt64.self))
        let high = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self))
        if count < 8 { return (low & ((1 << (8 * UInt64(count))) &- 1), 0, 0x100 | UInt64(count)) }
        return (low, count < 16 ? high & ((1 << (8 * UInt64(count - 8))) &- 1) : high, 0x100 | UInt64(count))
    }

    /// `string` a byte at a time (near the start of a short text).
    @inline(never)
    private static func bytes(_ content: UnsafePointer<UInt8>, count: Int) -> (UInt64, UInt64, UInt64) {
        var low: UInt64 = 0, high: UInt64 = 0
        for k in 0..<count {
            if k < 8 { low |= UInt64(content[k]) << (8 * UInt64(k)) } else { high |= UInt64(content[k]) << (8 * UInt64(k - 8)) }
        }
        return (low, high, 0x100 | UInt64(count))
    }

    /// The raw bits of an integer key.
    @inline(__always) static func integer(_ value: Int64) -> (UInt64, UInt64, UInt64) {
        (UInt64(bitPattern: value), 0, 0x200)
    }
}

/// Rows of one key index by the keys' raw bits: a string of at most 16 bytes as its bytes
/// (two zero-padded words and its length, tagged), an integer as itself. Equal bits mean an
/// equal key, so a hit needs no `Value` and no hashing of one; a miss costs the full lookup.
/// A direct-mapped cache of recent keys, emptied at once by moving to a new generation.
final class RawKeyRows {
    private static let count = 64
    /// Per entry: the two words, the tag with the generation above it, the row.
    private let entries: UnsafeMutablePointer<UInt64>
    private var generation: UInt64 = 1

    init() {
        entries = .allocate(capacity: 4 * Self.count)
        entries.initialize(repeating: 0, count: 4 * Self.count)
    }

    deinit { entries.deallocate() }

    /// Forgets every row (the index they were rows of is gone).
    @inline(__always) func clear() { generation &+= 1 }

    @inline(__always) private func entry(_ raw: (UInt64, UInt64, UInt64)) -> UnsafeMutablePointer<UInt64> {
        let mixed = (raw.0 ^ (raw.1 &* 31) ^ raw.2) &* 0x9E37_79B9_7F4A_7C15
        return entries + 4 * Int(truncatingIfNeeded: mixed >> 58)  // count is 64
    }

    /// The row of the key with bits `raw`, or -1 when it was not seen since the last `clear`.
    @inline(__always)
    func row(_ raw: (UInt64, UInt64, UInt64)) -> Int {
        let e = entry(raw)
        guard e[0] == raw.0, e[1] == raw.1, e[2] == raw.2 | generation << 16 else { return -1 }
        return Int(truncatingIfNeeded: e[3])
    }

    func remember(_ raw: (UInt64, UInt64, UInt64), row: Int) {
        let e = entry(raw)
        e[0] = raw.0
        e[1] = raw.1
        e[2] = raw.2 | generation << 16
        e[3] = UInt64(truncatingIfNeeded: row)
    }
}
