import SluiceSupport

/// `select`: keeps only the listed fields.
public enum SelectStep: StepType {
    public static let name = "select"
    public static let summary = "Keep only the listed fields of each record."
    public static let description = """
        Replaces each record value with an object holding only the listed fields, in the \
        order listed. A listed field that a record lacks is left out of that record's value. \
        Field paths such as `a.b` keep that nested field inside its parent.
        """
    public static let fields = [
        FieldSpec(
            "fields", .fieldList, required: true,
            "The field paths to keep, e.g. `[id, category]`.",
            example: "[id, category]"),
    ]
    public static let shorthandField: String? = "fields"
    public static let example = """
        - select: [id, category, value]
        """
}
