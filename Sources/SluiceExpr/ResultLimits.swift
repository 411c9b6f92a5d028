/// Bounds on what one evaluation may build.
///
/// A short expression can ask for a huge result (`replace` nested ten deep multiplies a string's
/// length ten billion times); past these bounds evaluation fails with an error, so the record
/// becomes an error record instead of the process running out of memory.
enum ResultLimits {
    /// The longest string an expression may build, in UTF-8 bytes: far above any Kafka record.
    static let maxStringBytes = 16 << 20
    /// The most pieces `split` may return.
    static let maxSplitPieces = 1 << 20

    /// Throws when a string of `bytes` UTF-8 bytes would be too long.
    static func checkString(bytes: Int, building what: String, offset: Int) throws(EvaluationError) {
        guard bytes > maxStringBytes else { return }
        throw EvaluationError("\(what) would be longer than \(maxStringBytes >> 20) MiB", offset: offset)
    }
}
