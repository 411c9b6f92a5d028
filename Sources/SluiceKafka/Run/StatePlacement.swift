import SluiceSupport

/// Detects state that belongs to another instance's input partition: the input is not
/// partitioned by the aggregate/window key, so with several instances in a group a key's
/// records and its state end up on different instances. A repartition topic re-keys the input
/// of the first aggregate/window step unless the source declares `keyed_by` its key; a
/// false declaration, or a later stateful step with another key, is what this catches.
enum StatePlacement {
    /// The first state write (not a tombstone or marker) to a changelog partition whose input
    /// partition this instance does not own; nil when all is well or when it cannot matter
    /// (unaligned changelogs, or one instance owning every partition).
    static func misplaced(_ writes: [Changelog.Write], owned: Set<Int32>, inputPartitions: Int, aligned: Bool) -> Changelog.Write? {
        guard aligned, !owned.isEmpty, owned.count < inputPartitions else { return nil }
        return writes.first { $0.value != nil && $0.key != Changelog.streamTimeKey && !owned.contains($0.partition) }
    }
}

extension RunCore {
    /// Warns (at most every 10 s per changelog) when state lands outside the owned partitions.
    func checkStatePlacement(_ writes: [Changelog.Write], owned: Set<Int32>) {
        guard let changelog,
            let write = StatePlacement.misplaced(writes, owned: owned, inputPartitions: changelog.inputPartitions, aligned: changelog.isAligned)
        else { return }
        log.limited(.warning, key: "state-placement:\(write.topic)",
            "state of a key whose partition another instance owns: the input is not partitioned by the aggregate/window key "
                + "(check the source's keyed_by), so with several instances its state is split between them",
            [RunLogField("changelog", write.topic), RunLogField("partition", write.partition),
             RunLogField("owned", owned.sorted().map(String.init).joined(separator: ","))])
    }
}
