import SluiceSupport

/// `to`: sends the current records to a topic and lets them continue down the pipeline.
public enum ToStep: StepType {
    public static let name = "to"
    public static let summary = "Send the current records to a topic and continue."
    public static let description = """
        Produces every record that reaches this step to `topic`, then passes the same record \
        on to the next step unchanged. Use it to publish an intermediate stream (for example \
        the enriched records before an aggregation) without ending the pipeline there. The \
        record keeps its key unless `key` gives a new one for the produced copy.
        """
    public static let fields = [
        FieldSpec("topic", .topic, required: true, "The topic to produce to.", example: "output-topic"),
        FieldSpec(
            "key", .expression,
            "The key of the produced record; default: the record's current key.",
            example: "category"),
    ]
    public static let example = """
        - to: {topic: output-topic, key: category}
        """
}
