import SluiceSupport

/// `aggregate`: running per-key aggregates over the whole stream.
public enum AggregateStep: StepType {
    public static let name = "aggregate"
    public static let summary = "Keep running aggregates per key and emit them every N records."
    public static let description = """
        Groups records by the `key` expression and keeps running aggregates per key (count, \
        sum, avg, min, max, first, last, count_distinct and expressions combining them). After \
        every `every`-th record of a key it emits one result record whose value holds the key \
        field and one field per aggregate, e.g. `{category: A, count: 5, sum: 120}`, and whose \
        key is the key value. The key field is named after the key expression when it is a \
        plain field path (`category` -> `category`, `a.b` -> `b`), else `key`. From here on, the \
        stream is the stream of results.
        """
    public static let fields = [
        FieldSpec(
            "key", .expression, required: true,
            "The grouping key, an expression; it becomes the result record's key.",
            example: "category"),
        FieldSpec(
            "every", .integer(min: 1, max: nil), default: "1",
            "Emit after every N-th record of a key; 1 emits on every change.",
            example: "5"),
        FieldSpec(
            "aggregates", .aggregateMap, required: true,
            "Result field name to aggregate expression, e.g. `count: count()`, `average: avg(value)`.",
            example: "{count: count(), sum: sum(value), average: avg(value)}"),
    ]
    public static let example = """
        - aggregate:
            key: category
            every: 5
            aggregates:
              count: count()
              sum: sum(value)
              average: avg(value)
        """
}
