/// The two tutorial pipelines and the record schema they use, built in, so that `sluice demo`
/// works outside a checkout. Copies of `pipelines/seed-processor.yaml`,
/// `pipelines/category-windows.yaml` and `schemas/tutorial-record.schema.json` (a test keeps
/// them identical).
public enum TutorialPipelines {
    /// One file of the layout, by its path relative to the repository root.
    public struct File: Sendable, Hashable {
        public var path: String
        public var text: String
    }

    /// The pipeline files, in the order the demo runs them.
    public static let pipelines = [
        File(path: "pipelines/seed-processor.yaml", text: seedProcessor),
        File(path: "pipelines/category-windows.yaml", text: categoryWindows),
    ]

    /// Files the pipelines refer to.
    public static let support = [File(path: "schemas/tutorial-record.schema.json", text: recordSchema)]

    static let seedProcessor = #"""
# yaml-language-server: $schema=../schemas/pipeline.schema.json
# The tutorial's consumer loop, declared: every record doubled to output-topic, and running
# per-category totals to aggregated-topic after every 5th record of a category.
pipeline: seed-processor
description: doubles each value and keeps running totals per category

source:
  topics: [input-topic]
  # Records that are not {timestamp: int, value: int, category: string} go to the dead letter topic.
  schema: ../schemas/tutorial-record.schema.json
  # The tutorial producer keys records by category: the stateful step needs no repartition topic.
  keyed_by: category

steps:
  - map:
      set:
        processed_value: value * 2
        processed_at: now()
  - to: { topic: output-topic }
  - aggregate:
      key: category
      every: 5
      aggregates:
        count: count()
        sum: sum(value)
        average: avg(value)

sinks:
  - topic: aggregated-topic

dead_letter:
  topic: dead-letter-topic

tests:
  - name: doubles every record and totals every 5th record of a category
    input:
      - { key: A, ts: 1736990000000, value: { id: 1, timestamp: 1736990000, value: 10, category: A } }
      - { key: B, ts: 1736990001000, value: { id: 2, timestamp: 1736990001, value: 20, category: B } }
      - { key: A, ts: 1736990002000, value: { id: 3, timestamp: 1736990002, value: 30, category: A } }
      - { ts: 1736990003000, payload: "not json" }
      - { key: A, ts: 1736990004000, value: { id: 4, timestamp: 1736990004, value: 40, category: A } }
      - { key: A, ts: 1736990005000, value: { id: 5, timestamp: 1736990005, value: "oops", category: A } }
      - { key: A, ts: 1736990006000, value: { id: 6, timestamp: 1736990006, value: 50, category: A } }
      - { key: A, ts: 1736990007000, value: { id: 7, timestamp: 1736990007, value: 60, category: A } }
    expect:
      output-topic:
        - { key: A, value: { id: 1, timestamp: 1736990000, value: 10, category: A, processed_value: 20, processed_at: 1736990000000 } }
        - { key: B, value: { id: 2, timestamp: 1736990001, value: 20, category: B, processed_value: 40, processed_at: 1736990001000 } }
        - { key: A, value: { id: 3, timestamp: 1736990002, value: 30, category: A, processed_value: 60, processed_at: 1736990002000 } }
        - { key: A, value: { id: 4, timestamp: 1736990004, value: 40, category: A, processed_value: 80, processed_at: 1736990004000 } }
        - { key: A, value: { id: 6, timestamp: 1736990006, value: 50, category: A, processed_value: 100, processed_at: 1736990006000 } }
        - { key: A, value: { id: 7, timestamp: 1736990007, value: 60, category: A, processed_value: 120, processed_at: 1736990007000 } }
      aggregated-topic:
        - { key: A, value: { category: A, count: 5, sum: 190, average: 38.0 } }
      dead-letter-topic:
        - { key: null, payload: "not json" }
        - { key: A, value: { id: 5, timestamp: 1736990005, value: "oops", category: A } }

"""#

    static let categoryWindows = #"""
# yaml-language-server: $schema=../schemas/pipeline.schema.json
# The tutorial's time windows, done right: 60 s tumbling windows per category on event time,
# 10 s of grace for out-of-order records, one final result per window.
pipeline: category-windows
description: 60 s tumbling windows per category with count, sum, average, min and max

source:
  topics: [input-topic]
  event_time:
    field: timestamp
    unit: seconds
  # Records that are not {timestamp: int, value: int, category: string} go to the dead letter topic.
  schema: ../schemas/tutorial-record.schema.json
  # The tutorial producer keys records by category: the stateful step needs no repartition topic.
  keyed_by: category

steps:
  - window:
      type: tumbling
      size: 60s
      grace: 10s
      key: category
      aggregates:
        count: count()
        sum: sum(value)
        average: avg(value)
        min: min(value)
        max: max(value)
      emit: final
      late_topic: late-topic

sinks:
  - topic: aggregated-topic

dead_letter:
  topic: dead-letter-topic

tests:
  # Window [1736990040, 1736990100) s closes once stream time reaches 1736990110 s (end + grace).
  - name: emits each window once, accepts records within grace and routes late ones
    input:
      - { key: A, ts: 1736990045000, value: { id: 1, timestamp: 1736990045, value: 10, category: A } }
      - { key: A, ts: 1736990070000, value: { id: 2, timestamp: 1736990070, value: 20, category: A } }
      - { key: B, ts: 1736990105000, value: { id: 3, timestamp: 1736990105, value: 5, category: B } }
      # Out of order but within grace (stream time 1736990105 < 1736990110): counted in A's first window.
      - { key: A, ts: 1736990095000, value: { id: 4, timestamp: 1736990095, value: 3, category: A } }
      # Stream time reaches 1736990112 >= 1736990110: A's first window closes.
      - { key: B, ts: 1736990112000, value: { id: 5, timestamp: 1736990112, value: 1, category: B } }
      # Its window closed already: late.
      - { key: A, ts: 1736990090000, value: { id: 6, timestamp: 1736990090, value: 4, category: A } }
      - { ts: 1736990113000, payload: "{broken" }
      # End of input closes B's window [1736990100, 1736990160).
    expect:
      aggregated-topic:
        - key: A
          value: { category: A, window_start: 1736990040000, window_end: 1736990100000, count: 3, sum: 33, average: 11.0, min: 3, max: 20 }
        - key: B
          value: { category: B, window_start: 1736990100000, window_end: 1736990160000, count: 2, sum: 6, average: 3.0, min: 1, max: 5 }
      late-topic:
        - { key: A, value: { id: 6, timestamp: 1736990090, value: 4, category: A } }
      dead-letter-topic:
        - { key: null, payload: "{broken" }

"""#

    static let recordSchema = #"""
{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Tutorial record",
  "description": "A record of the tutorial's input-topic: {id, timestamp (epoch seconds), value, category}.",
  "type": "object",
  "properties": {
    "id": { "type": "integer", "description": "The record's sequence number." },
    "timestamp": { "type": "integer", "description": "Event time, seconds since the epoch." },
    "value": { "type": "integer", "description": "The measured value." },
    "category": { "type": "string", "description": "The category the value belongs to, e.g. A." }
  },
  "required": ["timestamp", "value", "category"]
}

"""#
}
