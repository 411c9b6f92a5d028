import SluiceSupport

extension Engine {
    /// Feeds the record at `input`, which stays the caller's: as `process(_:wallTime:)`, but
    /// without copying the record in or releasing its storage afterwards (the benchmark feeds
    /// its records from their array this way, as the Kafka path reads librdkafka's buffers).
    func process(recordAt input: UnsafePointer<Record>, wallTime: Int64 = 0) {
        self.wallTime = wallTime
        currentCause = inputCount
        inputCount &+= 1
        counts.recordsIn += 1
        currentRecord = input
        defer { currentRecord = nil }
        process(input, wallTime: wallTime)
    }
}
