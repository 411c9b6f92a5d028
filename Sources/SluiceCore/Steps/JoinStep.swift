import SluiceSupport

/// `join`: joins the stream with another stream on a key, within a time window.
public enum JoinStep: StepType {
    public static let name = "join"
    public static let summary = "Join the stream with another source's records of the same key within a time window."
    public static let description = """
        Pairs each record with every record of the source named by `with` that has the same \
        join key (`key` on this stream, `with_key` on the other) and an event time at most \
        `within` apart, edges included. Each result value is `{<stream source>: value, <as>: \
        value, matched: both|left|right}`, keyed by the join key and timestamped with the later \
        of the two. Both sides are kept in state until no record that is not late can match \
        them any more (event time + 2 x within + grace < stream time). With `type: left` a \
        stream record that matched nothing is emitted then with the other side null \
        (`matched: left`); with `type: outer` records of either side are (`left` or `right`). \
        A record whose event time + within + grace < stream time is late: it goes unchanged to \
        `late_topic` when set, otherwise it is dropped and counted.

        Joining a source with itself needs `as` (a different name for the other side). Both \
        sides must be keyed by the join key (`key()`), with the same partition count, or \
        declare `repartition: true`.
        """
    public static let types = ["inner", "left", "outer"]

    public static let fields = [
        FieldSpec("with", .string, required: true, "The other stream: a source under `sources:`.", example: "payments"),
        FieldSpec("within", .duration, required: true, "How far apart in event time two records may be to match.", example: "10m"),
        FieldSpec(
            "grace", .duration, default: "0s",
            "How long after the window records still arrive in time.", example: "1m"),
        FieldSpec(
            "type", .oneOf(types), default: "inner",
            "`inner`: matches only; `left`: also unmatched stream records; `outer`: unmatched records of both sides.",
            example: "left"),
        FieldSpec("key", .expression, default: "key()", "The join key of this stream's records.", example: "order_id"),
        FieldSpec("with_key", .expression, default: "key()", "The join key of the other source's records.", example: "order_id"),
        FieldSpec(
            "as", .string,
            "The result field holding the other side's value; default: its source name. Required to join a source with itself.",
            example: "payment"),
        FieldSpec(
            "repartition", .boolean, default: "false",
            "Declares that both streams are repartitioned by their join keys (needed when a key is not `key()`).",
            example: "true"),
        FieldSpec(
            "late_topic", .topic,
            "Where late records go, unchanged; default: they are dropped and counted.", example: "late-topic"),
    ]

    public static let example = """
        - join:
            with: payments
            within: 10m
            grace: 1m
            type: left
            key: order_id
            with_key: order_id
            as: payment
            repartition: true
        """

    public static func check(_ config: StepConfig, into diagnostics: inout Diagnostics) {
        if let within = config.duration("within"), within <= 0 {
            diagnostics.error("bad-join", "within must be greater than 0", at: config.location(of: "within"))
        }
        if let grace = config.duration("grace"), grace < 0 {
            diagnostics.error("bad-join", "grace must not be negative", at: config.location(of: "grace"))
        }
        if let alias = config.string("as"), !NodeReader.isSourceName(alias.lowercased()) || alias == "matched" {
            diagnostics.error(
                "bad-name", "as '\(alias)' must be a plain field name (letters, digits, '_', '-') other than 'matched'",
                at: config.location(of: "as"))
        }
    }
}
