import SluiceExpr
import SluiceSupport
import SluiceYAML

/// The record type at one point of the pipeline, and how messages name where its fields come from.
struct Records {
    var type: JSONType
    /// `schema tutorial-record.schema.json has`, `after the select step (line 7) records have`:
    /// the words before the list of fields in an unknown-field message; nil when fields are unknown.
    var holder: String?

    static let unknown = Records(type: .any, holder: nil)
}

/// Phase (e): type-checks every expression, field list and key against the type of the records
/// at that point, from the source's JSON Schema through each step to the sinks.
struct TypeChecker {
    var diagnostics = Diagnostics()
    let origins: [ObjectIdentifier: (scalar: YAMLScalar, location: SourceLocation)]
    /// Where each item of a field list is written, by the list's location.
    let fieldLists: [SourceLocation: [SourceLocation]]
    /// The type after each step (nil for steps that failed to decode), for tests and tools.
    private(set) var stepTypes: [JSONType?] = []
    /// Every source, the stream first: what `lookup` and `join` steps read from.
    var sources: [SourceSpec] = []

    init(
        origins: [ObjectIdentifier: (scalar: YAMLScalar, location: SourceLocation)],
        fieldLists: [SourceLocation: [SourceLocation]]
    ) {
        self.origins = origins
        self.fieldLists = fieldLists
    }

    /// The records a source delivers: its schema's type, else unknown (anything goes).
    static func records(of source: SourceSpec?) -> Records {
        guard let source, let schema = source.schema else { return .unknown }
        let file = source.schemaPath?.split(separator: "/").last.map(String.init) ?? "file"
        return Records(type: SchemaTypes.type(of: schema), holder: "schema \(file) has")
    }

    /// Walks the steps from the source to the sinks, checking each against the records it receives.
    mutating func check(source: SourceSpec?, eventTimeLocation: SourceLocation?, steps: [StepInstance?], sinks: [SinkSpec]) {
        var records = Self.records(of: source)
        if let source, source.schema != nil {
            checkEventTime(source, records, at: eventTimeLocation ?? source.location)
        }
        for step in steps {
            if let step {
                records = apply(step, to: records)
                stepTypes.append(records.type)
            } else {
                records = .unknown
                stepTypes.append(nil)
            }
        }
        for sink in sinks {
            if let key = sink.key { _ = infer(key, records) }
        }
    }

    // MARK: expressions

    /// Infers an expression's type and reports its issues at their place in the file.
    mutating func infer(_ expression: Expression, _ records: Records) -> JSONType {
        report(expression.inferType(record: records.type), in: expression, records)
    }

    /// Like `infer`, and the value must be true or false.
    mutating func condition(_ expression: Expression, _ records: Records, role: String) {
        _ = report(expression.inferCondition(record: records.type, role: role), in: expression, records)
    }

    private mutating func report(_ inference: TypeInference, in expression: Expression, _ records: Records) -> JSONType {
        let origin = origins[ObjectIdentifier(expression)]
        for issue in inference.issues {
            let location: SourceLocation
            if let origin, !origin.scalar.lineStarts.isEmpty {
                location = origin.scalar.location(ofUTF8Offset: issue.offset)
            } else {
                location = origin?.location ?? SourceLocation(file: "", line: 0, column: 0)
            }
            let message = issue.unknownField.map { unknownFieldMessage($0, records) } ?? issue.message
            diagnostics.emit(Diagnostic(issue.severity, code: issue.code, message, at: location))
        }
        return inference.type
    }

    /// `unknown field 'categroy' (did you mean 'category'?); schema x.json has: id, category`.
    func unknownFieldMessage(_ unknown: UnknownField, _ records: Records) -> String {
        let known = unknown.parent.properties.map(\.name)
        let prefix = unknown.isTopLevel || unknown.parentText.isEmpty ? "" : unknown.parentText + "."
        let hint = Suggestions.closest(to: unknown.name, in: known).map { " (did you mean '\(prefix)\($0)'?)" } ?? ""
        // A schema may declare hundreds of fields: name the first ones.
        let shown = known.prefix(40).joined(separator: ", ") + (known.count > 40 ? ", ... (\(known.count) fields)" : "")
        let list = known.isEmpty ? " no fields" : ": " + shown
        let holder: String
        if unknown.isTopLevel {
            holder = records.holder ?? "records have"
        } else {
            holder = "'\(unknown.parentText)'\(unknown.parent.origin.map { " (\($0))" } ?? "") has"
        }
        return "unknown field '\(unknown.text)'\(hint); \(holder)\(list)"
    }

    // MARK: field paths

    /// The type at a field path of `select`, `drop` or `event_time`, reporting a path that
    /// cannot exist; nil then.
    mutating func resolve(_ path: [String], _ records: Records, at location: SourceLocation) -> JSONType? {
        var current = records.type
        for (i, name) in path.enumerated() {
            guard current.kinds.contains(.object) || current.kinds.isEmpty else {
                let here = i == 0 ? "the record value" : "'\(path[..<i].joined(separator: "."))'"
                let origin = current.origin.map { " (\($0))" } ?? ""
                diagnostics.error(
                    "type-mismatch", "\(here) is \(current.kinds.description)\(origin); it has no field '\(name)'", at: location)
                return nil
            }
            guard let next = current.field(name) else {
                let unknown = UnknownField(
                    text: path[...i].joined(separator: "."), name: name, parentText: path[..<i].joined(separator: "."), parent: current,
                    isTopLevel: i == 0)
                diagnostics.error("unknown-field", unknownFieldMessage(unknown, records), at: location)
                return nil
            }
            current = next
        }
        return current
    }

    // MARK: event time

    /// `source.event_time.field` must exist in the schema with a type its unit can read.
    private mutating func checkEventTime(_ source: SourceSpec, _ records: Records, at location: SourceLocation) {
        guard case .field(let path, let unit) = source.eventTime,
              let type = resolve(path, records, at: location), !type.isUnknown, !type.kinds.isEmpty else { return }
        let name = path.joined(separator: ".")
        let accepted: JSONKinds = unit == .iso8601 ? .string : .numeric
        let origin = type.origin.map { " (\($0))" } ?? ""
        if type.kinds.isDisjoint(with: accepted) {
            let fix = unit == .iso8601
                ? "iso8601 needs a string: use unit: seconds or milliseconds for numbers"
                : "\(unit.rawValue) needs a number: use unit: iso8601 for time text"
            diagnostics.error(
                "bad-event-time", "event_time field '\(name)' is \(type.kinds.description)\(origin); unit \(fix)", at: location)
            return
        }
        let bad = type.kinds.subtracting(accepted)
        if !bad.isEmpty {
            diagnostics.warning(
                "possible-type-mismatch",
                "event_time field '\(name)' may be \(bad.description)\(origin); such records become error records",
                at: location)
        }
        if !SchemaTypes.isRequired(path, in: records.type) {
            diagnostics.warning(
                "optional-event-time",
                "event_time field '\(name)' is not required by the schema: records without it become error records; list it under 'required'",
                at: location)
        }
    }
}
