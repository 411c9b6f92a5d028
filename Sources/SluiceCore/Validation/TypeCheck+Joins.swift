import SluiceExpr
import SluiceSupport

extension TypeChecker {
    /// Checks a `lookup` or `join` step: its keys against the records of each side, `fields`
    /// against the table's records; returns the records it sends on.
    mutating func applyJoin(_ step: StepInstance, to records: Records) -> Records {
        let config = step.config
        let origin = "\(step.typeName) step, line \(step.location.line)"
        let holder = "after the \(step.typeName) step (line \(step.location.line)) records have"
        let otherName = config.string(step.typeName == LookupStep.name ? "table" : "with")
        let other = sources.first { $0.name == otherName }
        let otherRecords = Self.records(of: other)
        if let key = config.expression("key") { _ = infer(key, records) }
        if step.typeName == LookupStep.name {
            if !records.type.kinds.contains(.object), !records.type.kinds.isEmpty {
                diagnostics.error(
                    "type-mismatch",
                    "lookup needs object records, but the record value is \(records.type.kinds.description)",
                    at: step.location)
            }
            let left = config.string("type") == "left"
            var current = records
            for entry in config.expressionMap("fields") ?? [] {
                var type = infer(entry.expression, otherRecords).from(origin)
                if left { type.kinds.insert(.null) }
                current.type = Self.setting(entry.name, to: type, in: current.type)
            }
            if current.holder != nil { current.holder = holder }
            return current
        }
        if let key = config.expression("with_key") { _ = infer(key, otherRecords) }
        let type = config.string("type") ?? "inner"
        var leftType = records.type.from(origin), rightType = otherRecords.type.from(origin)
        if type == "outer" { leftType.kinds.insert(.null) }
        if type != "inner" { rightType.kinds.insert(.null) }
        let matched = JSONType(kinds: .string, allowedValues: [.string("both"), .string("left"), .string("right")], origin: origin)
        let streamName = sources.first?.name ?? "source"
        let properties = [
            JSONProperty(name: streamName, type: leftType, required: true),
            JSONProperty(name: config.string("as") ?? otherName ?? "other", type: rightType, required: true),
            JSONProperty(name: "matched", type: matched, required: true),
        ]
        return Records(type: JSONType(kinds: .object, properties: properties, origin: origin), holder: holder)
    }
}
