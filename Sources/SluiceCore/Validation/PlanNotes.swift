import SluiceSupport

extension PipelineLoader {
    /// Notes on how `run` will execute a valid spec, for `validate`: today, that records are
    /// re-keyed through a repartition topic (an extra topic, and a write and read per record).
    public static func planNotes(_ spec: PipelineSpec) -> [Diagnostic] {
        guard let plan = try? EnginePlan(spec: spec), let point = plan.repartition, plan.steps.indices.contains(point.step),
            let key = plan.repartitionKey,
            let topic = plan.repartitionTopic(group: plan.group.isEmpty ? "sluice" : plan.group)
        else { return [] }
        let step = if case .window = plan.steps[point.step] { "window" } else { "aggregate" }
        let source = key.expression.source
        return [
            Diagnostic(
                .note, code: "repartition-topic",
                "\(step) is keyed by '\(source)', which the source does not declare as its key: run re-keys every record through the topic '\(topic)'; if the producer already keys records by it, declare 'keyed_by: \(source)' on the source",
                at: key.location)
        ]
    }
}
