import SluiceSupport

/// `filter`: keeps the records for which a condition holds.
public enum FilterStep: StepType {
    public static let name = "filter"
    public static let summary = "Keep only the records for which a condition is true."
    public static let description = """
        Evaluates the `where` condition on every record and passes the record on only when the \
        result is true; records for which it is false are dropped without being counted as \
        errors. A record on which the condition cannot be evaluated (a missing field compared \
        with a number, a division by zero) or gives anything but true or false (null included) \
        becomes an error record; write `value ?? 0 > 0` or `has(value) and value > 0` to treat \
        a missing field as false.
        """
    public static let fields = [
        FieldSpec(
            "where", .expression, required: true,
            "The condition, an expression over the record's fields, e.g. `value > 0`.",
            example: "value > 0"),
    ]
    public static let shorthandField: String? = "where"
    public static let example = """
        - filter: value > 0 and category != null
        """
}
