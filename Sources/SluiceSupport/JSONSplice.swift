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
