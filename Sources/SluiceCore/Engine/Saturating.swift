/// Time arithmetic on user-supplied event times must not trap: it saturates at the ends.
extension Int64 {
    @inline(__always) func plusSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    @inline(__always) func minusSaturating(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other > 0 ? .min : .max) : difference
    }

    /// The largest multiple of `step` that is <= self (`step` > 0), rounding towards -infinity.
    @inline(__always) func floored(to step: Int64) -> Int64 {
        let remainder = self % step
        return remainder < 0 ? (self - remainder).minusSaturating(step) : self - remainder
    }
}
