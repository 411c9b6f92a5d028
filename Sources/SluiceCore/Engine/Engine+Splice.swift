import SluiceSupport

extension Engine {
    /// What `encodeValue(of:)` gives: with a partial value over canonical input bytes, the
    /// fields maps added are written after those bytes, with their keys' text escaped once per
    /// engine (`keyPrefixes`) rather than for every record.
    func splicedValue(of working: Working) -> [UInt8] {
        guard working.originalFields >= 0, working.canonical, let original = currentRecord?.pointee.value,
            case .object(let partial) = working.context.value, working.originalFields <= partial.count
        else { return encodeValue(of: working) }
        return JSON.appending(partial.fields[working.originalFields...], toObject: original, prefixes: keyPrefixes)
    }
}
