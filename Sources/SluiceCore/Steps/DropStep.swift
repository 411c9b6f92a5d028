import SluiceSupport

/// `drop`: removes the listed fields.
public enum DropStep: StepType {
    public static let name = "drop"
    public static let summary = "Remove the listed fields from each record."
    public static let description = """
        Removes the listed fields from each record value and keeps the rest in their order. \
        A listed field that a record lacks is ignored.
        """
    public static let fields = [
        FieldSpec(
            "fields", .fieldList, required: true,
            "The field paths to remove, e.g. `[debug, internal.trace]`.",
            example: "[debug]"),
    ]
    public static let shorthandField: String? = "fields"
    public static let example = """
        - drop: [debug]
        """
}
