import SluiceExpr
import SluiceSupport

extension TypeChecker {
    /// Checks one step against the records it receives and returns the records it sends on.
    mutating func apply(_ step: StepInstance, to records: Records) -> Records {
        let config = step.config
        let origin = "\(step.typeName) step, line \(step.location.line)"
        let holder = "after the \(step.typeName) step (line \(step.location.line)) records have"
        switch step.typeName {
        case FilterStep.name:
            if let condition = config.expression("where") {
                self.condition(condition, records, role: "a filter condition")
            }
            return records
        case MapStep.name:
            requireObjects(records, step)
            var current = records
            for entry in config.expressionMap("set") ?? [] {
                let type = infer(entry.expression, current)
                current.type = Self.setting(entry.name, to: type.from(origin), in: current.type)
                // Later entries see the fields set before them.
                if current.holder != nil { current.holder = "in the map step (line \(step.location.line)) records have" }
            }
            if current.holder != nil { current.holder = holder }
            return current
        case SelectStep.name:
            requireObjects(records, step)
            var output = JSONType(kinds: .object, origin: origin)
            for (path, location) in fieldPaths(config) {
                guard let type = resolve(path, records, at: location) else { continue }
                let required = SchemaTypes.isRequired(path, in: records.type)
                output = Self.inserting(type, at: path[...], into: output, required: required, origin: origin)
            }
            return Records(type: output, holder: holder)
        case DropStep.name:
            var current = records
            for (path, location) in fieldPaths(config) where resolve(path, records, at: location) != nil {
                current.type = Self.removing(path[...], from: current.type)
            }
            if current.holder != nil { current.holder = holder }
            return current
        case AggregateStep.name, WindowStep.name:
            var properties: [JSONProperty] = []
            if let key = config.expression("key") {
                let type = infer(key, records).from(origin)
                properties.append(JSONProperty(name: ResultFields.keyFieldName(for: key), type: type, required: true))
            }
            if step.typeName == WindowStep.name {
                for name in [ResultFields.windowStart, ResultFields.windowEnd] {
                    properties.append(JSONProperty(name: name, type: .of(.integer, origin: origin), required: true))
                }
            }
            for entry in config.aggregates("aggregates")?.fields ?? [] {
                let type = infer(entry.expression, records).from(origin)
                properties.removeAll { $0.name == entry.name }
                properties.append(JSONProperty(name: entry.name, type: type, required: true))
            }
            return Records(type: JSONType(kinds: .object, properties: properties, origin: origin), holder: holder)
        case LookupStep.name, JoinStep.name:
            return applyJoin(step, to: records)
        default:
            // `to` and any other step: check its expressions; records pass unchanged.
            for name in config.values.keys.sorted() {
                switch config.values[name]?.content {
                case .expression(let expression)?:
                    _ = infer(expression, records)
                case .expressionMap(let entries)?, .aggregateMap(_, let entries)?:
                    for entry in entries { _ = infer(entry.expression, records) }
                default:
                    break
                }
            }
            return records
        }
    }

    /// The paths of a `fields` list, each with where it is written.
    private func fieldPaths(_ config: StepConfig) -> [(path: [String], location: SourceLocation)] {
        let listLocation = config.location(of: "fields")
        let locations = fieldLists[listLocation] ?? []
        return (config.fieldList("fields") ?? []).enumerated().map { i, path in
            (path, i < locations.count ? locations[i] : listLocation)
        }
    }

    /// `map` and `select` fail on records that are not objects.
    private mutating func requireObjects(_ records: Records, _ step: StepInstance) {
        let type = records.type
        guard !type.kinds.contains(.object), !type.kinds.isEmpty else { return }
        let origin = type.origin.map { " (\($0))" } ?? ""
        diagnostics.error(
            "type-mismatch", "\(step.typeName) needs object records, but the record value is \(type.kinds.description)\(origin)",
            at: step.location)
    }

    /// The record type after `map` sets field `name`: replaced in place, or added at the end.
    static func setting(_ name: String, to type: JSONType, in record: JSONType) -> JSONType {
        var result = record
        // Records that are not objects become error records in `map`.
        result.kinds = [.object]
        if let index = result.properties.firstIndex(where: { $0.name == name }) {
            result.properties[index] = JSONProperty(name: name, type: type, required: true)
        } else {
            result.properties.append(JSONProperty(name: name, type: type, required: true))
        }
        return result
    }

    /// `object` with the field at `path` set to `type`, creating parents that hold only it.
    static func inserting(
        _ type: JSONType, at path: ArraySlice<String>, into object: JSONType, required: Bool, origin: String
    ) -> JSONType {
        guard let name = path.first else { return object }
        var result = object
        let index = result.properties.firstIndex { $0.name == name }
        let value: JSONType
        if path.count == 1 {
            value = type
        } else {
            let parent = index.map { result.properties[$0].type } ?? JSONType(kinds: .object, origin: origin)
            value = inserting(type, at: path.dropFirst(), into: parent, required: required, origin: origin)
        }
        let property = JSONProperty(name: name, type: value, required: required)
        if let index { result.properties[index] = property } else { result.properties.append(property) }
        return result
    }

    /// `object` without the field at `path`.
    static func removing(_ path: ArraySlice<String>, from object: JSONType) -> JSONType {
        guard let name = path.first, let index = object.properties.firstIndex(where: { $0.name == name }) else {
            return object
        }
        var result = object
        if path.count == 1 {
            result.properties.remove(at: index)
        } else {
            result.properties[index].type = removing(path.dropFirst(), from: result.properties[index].type)
        }
        return result
    }
}
