/// The `,"name":` texts of fields appended to canonical objects, escaped once per name and
/// reused for every record (map steps add the same few names to every record).
public final class JSONKeyPrefixes {
    /// Read and extended on every output, never while another access is under way.
    @exclusivity(unchecked) private var names: [String] = []
    /// `text[starts[i]..<starts[i + 1]]` is `,"names[i]":`.
    @exclusivity(unchecked) private var starts: [Int] = [0]
    @exclusivity(unchecked) private var text: [UInt8] = []

    public init() {}

    /// The index of `name`, trying `guess` (its position last time) first; added when new.
    @inline(__always)
    func index(of name: String, guess: Int) -> Int {
        if guess < names.count, names[guess] == name { return guess }
        if let found = names.firstIndex(of: name) { return found }
        text.append(UInt8(ascii: ","))
        JSON.writeString(name, into: &text)
        text.append(UInt8(ascii: ":"))
        names.append(name)
        starts.append(text.count)
        return names.count - 1
    }

    /// Appends prefix `index`, without its leading comma when `skipComma`.
    @inline(__always)
    func write(_ index: Int, skipComma: Bool, into output: inout JSONOutput) {
        let skip = skipComma ? 1 : 0
        let start = starts[index] + skip, count = starts[index + 1] - start
        text.withUnsafeBufferPointer { text in
            guard let base = text.baseAddress else { return }
            output.append(UnsafeBufferPointer(start: base + start, count: count))
        }
    }
}

extension JSON {
    /// What `appending(_:toObject:)` gives, with the keys' text taken from `prefixes` rather
    /// than escaped again for every record. None of the keys of `fields` may be in `object`.
    public static func appending(
        _ fields: ArraySlice<(key: String, value: Value)>, toObject object: [UInt8], prefixes: JSONKeyPrefixes
    ) -> [UInt8] {
        guard !fields.isEmpty, object.count >= 2 else { return object }
        // Written on the stack and copied once: making the array first and writing into its
        // spare capacity costs more (the uninitialized-array path is not specialized).
        return JSONOutput.with { output in
            object.withUnsafeBufferPointer { output.append(UnsafeBufferPointer(rebasing: $0[0..<($0.count - 1)])) }
            let empty = object.count == 2
            var position = 0
            for field in fields {
                // After `{` the first field has no comma.
                prefixes.write(prefixes.index(of: field.key, guess: position), skipComma: empty && position == 0, into: &output)
                output.write(field.value)
                position += 1
            }
            output.append(UInt8(ascii: "}"))
            return Array(output.bytes)
        }
    }
}

/// The `,"name":` texts of integer fields appended to canonical objects, escaped once, for
/// outputs written straight from input bytes without building values (see `splice`).
public final class JSONIntegerFields: Sendable {
    /// `text[starts[i]..<starts[i + 1]]` is `,"names[i]":`.
    private let text: [UInt8]
    private let starts: [Int]

    public init(names: [String]) {
        var text: [UInt8] = []
        var starts = [0]
        for name in names {
            text.append(UInt8(ascii: ","))
            JSON.writeString(name, into: &text)
            text.append(UInt8(ascii: ":"))
            starts.append(text.count)
        }
        self.text = text
        self.starts = starts
    }

    /// The JSON object text `object` (canonical, ending in `}`) with the first `count` names
    /// appended, set to `values`: the bytes `JSON.appending` gives for those fields as `.int`s
    /// (none of the names may be in `object`).
    public func splice(_ object: UnsafeBufferPointer<UInt8>, values: UnsafePointer<Int64>, count: Int) -> [UInt8] {
        let total = capacity(objectCount: object.count, count: count)
        // Written on the stack and copied once at its exact size: making the array first
        // (`init(unsafeUninitializedCapacity:)`) goes through unspecialized generic code. A
        // constant capacity keeps the stack allocation cheap.
        if total <= 256 {
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
                guard let target = buffer.baseAddress else { return Array(object) }
                return Array(UnsafeBufferPointer(start: target, count: splice(object, values: values, count: count, into: target)))
            }
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: total) { buffer in
            guard let target = buffer.baseAddress else { return Array(object) }
            return Array(UnsafeBufferPointer(start: target, count: splice(object, values: values, count: count, into: target)))
        }
    }

    /// The room `splice(_:values:count:into:)` needs for an object of `objectCount` bytes:
    /// the longest numbers and what their writing stores past them.
    public func capacity(objectCount: Int, count: Int) -> Int {
        guard count > 0, count < starts.count else { return objectCount }
        return objectCount + starts[count] - starts[0] + 28 * count
    }

    /// `splice` written at `target`, which has room for `capacity(objectCount:count:)` bytes;
    /// returns how many bytes it wrote.
    @inline(__always)
    public func splice(
        _ object: UnsafeBufferPointer<UInt8>, values: UnsafePointer<Int64>, count: Int, into target: UnsafeMutablePointer<UInt8>
    ) -> Int {
        guard let source = object.baseAddress else { return 0 }
        guard object.count >= 2, count > 0, count < starts.count else {
            target.initialize(from: source, count: object.count)
            return object.count
        }
        // An empty object takes the first field without its comma.
        let skip = object.count == 2 ? 1 : 0
        var i = object.count - 1
        target.initialize(from: source, count: i)
        text.withUnsafeBufferPointer { text in
            guard let prefixes = text.baseAddress else { return }
            for k in 0..<count {
                let start = starts[k] + (k == 0 ? skip : 0), length = starts[k + 1] - start
                JSONOutput.copy(prefixes + start, to: target + i, length)
                i += length
                i += Self.writeInteger(values[k], into: target + i)
            }
        }
        target[i] = UInt8(ascii: "}")
        return i + 1
    }

    /// Writes the decimal text of `number` (what `Value.writeJSON` writes for `.int`) at
    /// `target`, with room for 28 bytes (it may store up to 7 bytes past the text); returns
    /// its length. Eight digits at a time (`eightDigits`).
    @inline(__always)
    private static func writeInteger(_ number: Int64, into target: UnsafeMutablePointer<UInt8>) -> Int {
        let magnitude = number.magnitude
        var i = 0
        if number < 0 {
            target[0] = UInt8(ascii: "-")
            i = 1
        }
        if magnitude < 10 {
            target[i] = UInt8(truncatingIfNeeded: magnitude) &+ 0x30
            return i + 1
        }
        let low = magnitude % 100_000_000
        let high = magnitude / 100_000_000
        if high == 0 { return i + writeLeading(low, at: target + i) }
        if high < 100_000_000 {
            i += writeLeading(high, at: target + i)
        } else {
            i += writeLeading(high / 100_000_000, at: target + i)
            store(eightDigits(high % 100_000_000), at: target + i)
            i += 8
        }
        store(eightDigits(low), at: target + i)
        return i + 8
    }

    /// Writes `value` (1 to 99,999,999) without leading zeros, as one eight-byte store; returns
    /// how many digits it has.
    @inline(__always)
    private static func writeLeading(_ value: UInt64, at target: UnsafeMutablePointer<UInt8>) -> Int {
        let digits = eightDigits(value) &- 0x3030_3030_3030_3030
        // The first non-zero digit is the lowest non-zero byte.
        let zeros = digits.trailingZeroBitCount / 8
        store((digits >> UInt64(8 * zeros)) | (0x3030_3030_3030_3030 >> UInt64(8 * zeros)), at: target)
        return 8 - zeros
    }

    @inline(__always)
    private static func store(_ word: UInt64, at target: UnsafeMutablePointer<UInt8>) {
        UnsafeMutableRawPointer(target).storeBytes(of: word.littleEndian, as: UInt64.self)
    }

    /// The eight decimal digits of `value` (below 100,000,000, zero-padded) as ASCII, the first
    /// digit in the lowest byte: halves, then pairs, then digits split in parallel lanes.
    @inline(__always)
    static func eightDigits(_ value: UInt64) -> UInt64 {
        // Two four-digit halves in 32-bit lanes, the leading half lowest.
        var v = (value / 10_000) | ((value % 10_000) << 32)
        // x / 100 for x < 10,000 is (x * 10,486) >> 20; pairs into 16-bit lanes.
        let hundreds = ((v &* 10_486) >> 20) & 0x0000_007F_0000_007F
        v = hundreds | ((v &- hundreds &* 100) << 16)
        // x / 10 for x < 100 is (x * 103) >> 10; digits into bytes.
        let tens = ((v &* 103) >> 10) & 0x000F_000F_000F_000F
        v = tens | ((v &- tens &* 10) << 8)
        return v | 0x3030_3030_3030_3030
    }
}
