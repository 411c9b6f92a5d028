import SluiceSupport

/// `lookup`: enriches each record with the matching row of a table built from another source.
public enum LookupStep: StepType {
    public static let name = "lookup"
    public static let summary = "Enrich each record with the row of a table topic that has its key (stream-table join)."
    public static let description = """
        The source named by `table` is read as a table: the latest value per record key, a \
        record with a null value (a tombstone) deleting its key, as in a compacted topic. For \
        each record, `key` gives the join key; the table row with that record key is looked up \
        and each entry of `fields` is evaluated on the row's value and added to the record \
        under its name. With `type: inner` a record with no row is dropped; with `type: left` \
        it passes with the fields set to null. The record's key and timestamp are unchanged.

        The table is versioned by event time: a record sees each row as it was at the \
        record's event time (an update at T is seen by records at T or later), in whatever \
        order the two topics are read (in `run` too; the table topic is read to its end before \
        the stream starts). Old versions are kept for `history` before stream time; a record \
        older than that may find a newer row, or none. `fields` are computed when the table record arrives, so \
        a table record they fail on is an error record and leaves the row as it was. The table \
        is durable state. Records and table rows of one key must be in the same partition \
        number: `key` must be the record key (`key()`), or declare `repartition: true`.
        """
    public static let types = ["inner", "left"]

    public static let fields = [
        FieldSpec("table", .string, required: true, "The source (under `sources:`) whose topic is the table.", example: "customers"),
        FieldSpec(
            "key", .expression, default: "key()",
            "The join key from the record, matched against the table's record keys; default: the record key.",
            example: "customer_id"),
        FieldSpec(
            "fields", .expressionMap, required: true,
            "Field name to expression on the table row's value, added to each record.",
            example: "{customer_name: name, customer_tier: tier}"),
        FieldSpec(
            "type", .oneOf(types), default: "inner",
            "`inner`: records with no row are dropped; `left`: they pass with the fields null.", example: "left"),
        FieldSpec(
            "repartition", .boolean, default: "false",
            "Declares that the stream is repartitioned by `key` (needed when `key` is not the record key).",
            example: "true"),
        FieldSpec(
            "history", .duration, default: "1h",
            "How long before stream time old versions of a row are kept, for records that arrive out of order.",
            example: "1h"),
    ]

    public static let example = """
        - lookup:
            table: customers
            key: customer_id
            fields:
              customer_name: name
              customer_tier: tier
            type: left
            repartition: true
        """
}
