import SluiceSupport

/// `map`: sets or overwrites fields of the record value from expressions.
public enum MapStep: StepType {
    public static let name = "map"
    public static let summary = "Set or overwrite fields of each record from expressions."
    public static let description = """
        For each entry of `set`, evaluates the expression on the record and stores the result \
        in the named field, adding it or replacing its previous value. Entries are applied in \
        the order written, so a later entry can use a field set by an earlier one. Other fields \
        are kept as they are; the record's key and timestamp are unchanged.
        """
    public static let fields = [
        FieldSpec(
            "set", .expressionMap, required: true,
            "Field name to expression, applied in order; e.g. `processed_value: value * 2`.",
            example: "{processed_value: value * 2, processed_at: now()}"),
    ]
    public static let example = """
        - map:
            set:
              processed_value: value * 2
              processed_at: now()
        """
}
