import SluiceSupport

extension Benchmark {
    /// What the stream-table join benchmark measured.
    public struct LookupJoin: Sendable {
        public var rows: Int
        /// Filling the table: `rows` table records in, all applied.
        public var fill: Run
        /// Stream records joined against the full table.
        public var stream: Run
        /// Bytes of table state per row, counted from the engine's structures (`Engine.stateBytes`).
        public var structuralBytesPerRow: Double
        /// Resident memory growth per row while the table filled (noisy); nil without /proc.
        public var residentBytesPerRow: Double?
    }

    /// The stream-table join pipeline the benchmark runs: tutorial-like orders keyed by customer
    /// id, enriched with two fields of a customers table keyed the same way.
    public static let lookupPipeline = """
        pipeline: bench-lookup
        sources:
          orders:
            topics: [orders]
            event_time: {field: timestamp, unit: seconds}
          customers:
            topics: [customers]
        steps:
          - lookup:
              table: customers
              fields: {customer_name: name, customer_tier: tier}
              type: left
        sinks:
          - topic: orders-enriched
        """

    /// Fills a `rows`-row table, then joins `records` stream records (random customers, all
    /// present) against it; only engine time is counted. Nil if the pipeline does not load.
    public static func lookupJoin(rows: Int, records: Int, chunk: Int = 65_536) -> LookupJoin? {
        guard let spec = PipelineLoader.load(text: lookupPipeline, file: "bench-lookup.yaml", baseDirectory: ".").spec,
            let plan = try? EnginePlan(spec: spec)
        else { return nil }
        let engine = Engine(plan: plan)
        let tiers = ["gold", "silver", "bronze"]
        let before = residentBytes()
        var fill = Run(records: 0, seconds: 0, outputs: 0, outputBytes: 0)
        var next = 0
        while next < rows {
            let count = min(chunk, rows - next)
            let batch = (next..<next + count).map { index in
                Record(
                    topic: "customers", partition: 0, offset: Int64(index), timestamp: 0, key: Array("c\(index)".utf8),
                    value: Array(#"{"name":"customer \#(index)","tier":"\#(tiers[index % 3])"}"#.utf8))
            }
            let clock = ContinuousClock()
            let start = clock.now
            engine.process(batch)
            fill.seconds += seconds(clock.now - start)
            fill.records += count
            next += count
        }
        // The first stream record applies every queued table update: counted in the fill.
        var random = SplitMix64(seed: 20_261_126)
        var second: Int64 = 1_736_990_000
        func orders(_ count: Int, from first: Int) -> [Record] {
            (first..<first + count).map { index in
                if random.next() % 10 == 0 { second += 1 }
                let customer = Int(random.next() % UInt64(max(1, rows)))
                let text = #"{"id":\#(index + 1),"timestamp":\#(second),"value":\#(random.next() % 100 + 1),"category":"A"}"#
                return Record(
                    topic: "orders", partition: 0, offset: Int64(index), timestamp: second * 1000,
                    key: Array("c\(customer)".utf8), value: Array(text.utf8))
            }
        }
        let first = orders(1, from: 0)
        let clock = ContinuousClock()
        let start = clock.now
        engine.process(first)
        fill.seconds += seconds(clock.now - start)
        engine.drainOutputs { _ in }
        let after = residentBytes()
        let structural = Double(engine.stateBytes) / Double(max(1, rows))

        var stream = Run(records: 0, seconds: 0, outputs: 0, outputBytes: 0)
        while stream.records < records {
            let batch = orders(min(chunk, records - stream.records), from: stream.records + 1)
            let start = clock.now
            for (index, record) in batch.enumerated() {
                engine.process(record)
                if index & 1023 == 1023 {
                    engine.drainOutputs { stream.outputs += 1; stream.outputBytes += $0.record.value?.count ?? 0 }
                }
            }
            engine.drainOutputs { stream.outputs += 1; stream.outputBytes += $0.record.value?.count ?? 0 }
            stream.seconds += seconds(clock.now - start)
            stream.records += batch.count
        }
        var resident: Double?
        if let before, let after { resident = Double(after - before) / Double(max(1, rows)) }
        return LookupJoin(rows: rows, fill: fill, stream: stream, structuralBytesPerRow: structural, residentBytesPerRow: resident)
    }
}
