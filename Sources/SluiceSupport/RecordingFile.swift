#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads recording files whole, with plain POSIX calls (no Foundation on this path).
public enum RecordingFile {
    /// The path that means standard input.
    public static let standardInput = "-"

    public static let unreadableCode = "recording-unreadable"

    /// The bytes of the file at `path`, or of standard input when `path` is `-`.
    public static func read(path: String) throws(Diagnostic) -> [UInt8] {
        if path == standardInput { return try read(descriptor: 0, name: "standard input") }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw failure(reading: path) }
        defer { close(descriptor) }
        return try read(descriptor: descriptor, name: path)
    }

    private static func read(descriptor: Int32, name: String) throws(Diagnostic) -> [UInt8] {
        var size = 64 * 1024
        var status = stat()
        if fstat(descriptor, &status) == 0 && status.st_size > 0 { size = Int(status.st_size) + 1 }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        let chunkSize = 1 << 20
        let chunk = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: chunkSize)
        defer { chunk.deallocate() }
        while true {
            let count = systemRead(descriptor, chunk.baseAddress, chunkSize)
            if count > 0 {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<count]))
            } else if count == 0 {
                return bytes
            } else if errno != EINTR {
                throw failure(reading: name)
            }
        }
    }

    private static func failure(reading name: String) -> Diagnostic {
        var reason = String(cString: strerror(errno))
        if let first = reason.first, first.isUppercase {
            reason = first.lowercased() + reason.dropFirst()
        }
        return .error(unreadableCode, "cannot read '\(name)': \(reason)", at: nil)
    }
}

/// POSIX `read`, named apart from `RecordingFile.read`.
@inline(__always)
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
