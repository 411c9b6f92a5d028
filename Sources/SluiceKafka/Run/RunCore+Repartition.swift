import SluiceCore
import SluiceSupport

/// The repartition topic of a run: where records are re-keyed by the state key of the first
/// aggregate or window step whose key is not the input's (docs/run.md, "Repartition topics").
struct RepartitionSetup: Sendable, Equatable {
    var topic: String
    var partitions: Int
    /// The index of the stateful step that reads it.
    var step: Int

    /// The repartition topic `plan` needs under consumer group `group`, if any.
    static func planned(plan: EnginePlan, group: String, partitions: Int) -> RepartitionSetup? {
        guard let point = plan.repartition, let topic = plan.repartitionTopic(group: group) else { return nil }
        return RepartitionSetup(topic: topic, partitions: max(1, partitions), step: point.step)
    }

    /// The topic to create: as many partitions as the input, so that repartition partition
    /// `p`, changelog partition `p` and input partition `p` go to the same instance; deleted by
    /// the cluster's retention like any topic (records are consumed within seconds).
    var newTopic: NewTopic {
        NewTopic(name: topic, partitions: Int32(clamping: partitions), configs: ["cleanup.policy": "delete"])
    }
}

extension RunCore {
    /// Engines of a run read the wall clock, and write to the repartition topic if there is one.
    static func engineOptions(_ repartition: RepartitionSetup?) -> EngineOptions {
        var options = EngineOptions(clock: .wallClock)
        options.repartition = repartition.map { RepartitionTarget(topic: $0.topic, partitions: $0.partitions) }
        return options
    }
}
