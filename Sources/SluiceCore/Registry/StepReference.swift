/// The text of `sluice steps` and `sluice steps NAME`, derived from the step declarations.
public enum StepReference {
    /// One line per step: its name and summary.
    public static func list() -> String {
        let width = StepRegistry.names.map(\.count).max() ?? 0
        var out = "Steps (see `sluice steps NAME` for one step's fields and an example):\n\n"
        for step in StepRegistry.all {
            out += "  " + step.name.padded(to: width) + "  " + step.summary + "\n"
        }
        return out
    }

    /// The full reference of one step: description, fields table and example.
    public static func reference(for step: any StepType.Type) -> String {
        var out = "\(step.name): \(step.summary)\n\n"
        for paragraph in step.description.split(separator: "\n\n", omittingEmptySubsequences: true) {
            out += wrap(String(paragraph), width: 88, indent: "") + "\n\n"
        }
        if let shorthand = step.shorthandField {
            out += "Shorthand: `- \(step.name): <\(shorthand)>` is `- \(step.name): {\(shorthand): <\(shorthand)>}`.\n\n"
        }
        out += "Fields:\n"
        out += fieldTable(step.fields)
        out += "\nExample:\n"
        out += step.example.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        return out + "\n"
    }

    /// A table of name, type, required and default, each row followed by its wrapped description.
    public static func fieldTable(_ fields: [FieldSpec]) -> String {
        let rows = fields.map { field in
            [field.name, typeName(field.type), field.required ? "yes" : "no", field.defaultValue ?? ""]
        }
        let header = ["NAME", "TYPE", "REQUIRED", "DEFAULT"]
        let widths = (0..<header.count).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { $0.offset == cells.count - 1 ? $0.element : $0.element.padded(to: widths[$0.offset]) }
            return ("  " + padded.joined(separator: "  ")).trailingSpacesRemoved + "\n"
        }
        var out = line(header)
        for (field, row) in zip(fields, rows) {
            out += line(row)
            out += wrap(field.description, width: 88, indent: "      ") + "\n"
        }
        return out
    }

    /// How a field type reads in docs: `duration`, `one of: final, update`, ...
    public static func typeName(_ type: FieldType) -> String {
        switch type {
        case .string: return "string"
        case .integer(let min, let max):
            switch (min, max) {
            case let (min?, max?): return "integer \(min)..\(max)"
            case let (min?, nil): return "integer >= \(min)"
            case let (nil, max?): return "integer <= \(max)"
            case (nil, nil): return "integer"
            }
        case .boolean: return "boolean"
        case .duration: return "duration"
        case .topic: return "topic"
        case .expression: return "expression"
        case .expressionMap: return "map of expressions"
        case .aggregateMap: return "map of aggregates"
        case .fieldList: return "list of fields"
        case .oneOf(let options): return options.joined(separator: " | ")
        case .identifier: return "name"
        case .topicList: return "list of topics"
        case .path: return "file path"
        case .section: return "mapping"
        case .list(let item): return "list of \(typeName(item))"
        case .map(let value): return "map of \(typeName(value))"
        case .either(let types): return types.map(typeName).joined(separator: " | ")
        case .anyValue: return "any value"
        case .steps: return "list of steps"
        }
    }

    /// Greedy word wrap; every line starts with `indent`.
    static func wrap(_ text: String, width: Int, indent: String) -> String {
        var lines: [String] = []
        var current = indent
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            if current.count > indent.count, current.count + 1 + word.count > width {
                lines.append(current)
                current = indent
            }
            current += (current.count > indent.count ? " " : "") + word
        }
        if current.count > indent.count { lines.append(current) }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    var trailingSpacesRemoved: String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
