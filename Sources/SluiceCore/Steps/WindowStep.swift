import SluiceSupport

/// `window`: aggregates per key over time windows on event time.
public enum WindowStep: StepType {
    public static let name = "window"
    public static let summary = "Aggregate records per key over tumbling, hopping, sliding or session windows."
    public static let description = """
        Groups records by `key` and by time window on event time (see `source.event_time`) and \
        computes `aggregates` per key and window. Window types: `tumbling` (fixed `size`, no \
        overlap), `hopping` (fixed `size`, a new window every `advance`, so windows overlap), \
        `sliding` (as in Kafka Streams: records share a window when their event times are at \
        most `size` apart) and `session` (one window per burst of activity: it runs from its \
        first record to its last record plus `gap`; a record bridging two sessions merges them).

        Each result value is `{<key field>, window_start, window_end, <aggregates>}`, with \
        window_start and window_end in epoch milliseconds; its key is the key value and its \
        timestamp `window_end - 1`. With `emit: final` a window is emitted once, when \
        `window_end + grace <= stream time`; with `emit: update` on every change. A record \
        arriving for a window that is already closed is late: it goes unchanged to `late_topic` \
        when set, otherwise it is dropped and counted. From here on, the stream is the stream \
        of results.
        """
    public static let types = ["tumbling", "hopping", "sliding", "session"]

    public static let fields = [
        FieldSpec("type", .oneOf(types), required: true, "The kind of window.", example: "tumbling"),
        FieldSpec("size", .duration, "Window length; for tumbling, hopping and sliding windows.", example: "60s"),
        FieldSpec(
            "advance", .duration,
            "How far each hopping window starts after the previous one; hopping only, at most `size`.",
            example: "10s"),
        FieldSpec(
            "gap", .duration,
            "Inactivity that closes a session; session windows only.", example: "5m"),
        FieldSpec(
            "grace", .duration, default: "0s",
            "How long after its end a window still accepts out-of-order records.", example: "10s"),
        FieldSpec(
            "key", .expression, default: "key()",
            "The grouping key, an expression; it becomes the result record's key. Default: the record's key.",
            example: "category"),
        FieldSpec(
            "aggregates", .aggregateMap, required: true,
            "Result field name to aggregate expression, e.g. `count: count()`, `max: max(value)`.",
            example: "{count: count(), sum: sum(value)}"),
        FieldSpec(
            "emit", .oneOf(["final", "update"]), default: "final",
            "`final`: emit each window once when it closes; `update`: emit on every change.",
            example: "final"),
        FieldSpec(
            "late_topic", .topic,
            "Where late records go, unchanged; default: they are dropped and counted.",
            example: "late-topic"),
    ]

    public static let example = """
        - window:
            type: tumbling
            size: 60s
            grace: 10s
            key: category
            aggregates:
              count: count()
              sum: sum(value)
              average: avg(value)
            emit: final
            late_topic: late-topic
        """

    public static func check(_ config: StepConfig, into diagnostics: inout Diagnostics) {
        guard let type = config.string("type") else { return }
        let size = config.duration("size"), advance = config.duration("advance"), gap = config.duration("gap")
        func present(_ field: String) -> Bool { config.isPresent(field) }
        func error(_ field: String, _ message: String, code: String = "bad-window") {
            diagnostics.error(code, message, at: config.location(of: field))
        }

        if type == "session" {
            if present("size") { error("size", "size does not apply to session windows: use gap") }
            if !present("gap") { error("type", "a session window needs a gap, e.g. gap: 5m", code: "missing-key") }
        } else {
            if !present("size") {
                error("type", "a \(type) window needs a size, e.g. size: 60s", code: "missing-key")
            }
            if present("gap") { error("gap", "gap applies only to session windows") }
        }
        if type == "hopping" {
            if !present("advance") {
                error("type", "a hopping window needs an advance, e.g. advance: 10s", code: "missing-key")
            }
        } else if present("advance") {
            error("advance", "advance applies only to hopping windows")
        }

        if let size, size <= 0 { error("size", "size must be greater than 0") }
        if let gap, gap <= 0 { error("gap", "gap must be greater than 0") }
        if type == "hopping", let advance {
            if advance <= 0 {
                error("advance", "advance must be greater than 0")
            } else if let size, size > 0, advance > size {
                error("advance", "advance (\(DurationParser.describe(advance))) must not exceed size (\(DurationParser.describe(size)))")
            }
        }
        if let grace = config.duration("grace"), grace < 0 { error("grace", "grace must not be negative") }
    }
}
