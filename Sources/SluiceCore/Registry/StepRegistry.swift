/// Every step type, listed explicitly in one place.
public enum StepRegistry {
    /// All registered steps, in the order docs list them.
    public static let all: [any StepType.Type] = [
        FilterStep.self,
        MapStep.self,
        SelectStep.self,
        DropStep.self,
        ToStep.self,
        AggregateStep.self,
        WindowStep.self,
        LookupStep.self,
        JoinStep.self,
    ]

    public static var names: [String] { all.map { $0.name } }

    public static func step(named name: String) -> (any StepType.Type)? {
        all.first { $0.name == name }
    }
}
