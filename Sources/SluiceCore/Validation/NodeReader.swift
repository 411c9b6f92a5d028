import SluiceSupport
import SluiceYAML

/// Reads YAML nodes against field declarations, collecting every structural and value problem
/// instead of stopping at the first.
struct NodeReader {
    var diagnostics = Diagnostics()
    /// The scalar each parsed expression came from, to place reference errors at their column.
    var expressionOrigins: [ObjectIdentifier: (scalar: YAMLScalar, location: SourceLocation)] = [:]
    /// Where each item of a field list is written, by the list's location, to place reference errors.
    var fieldListItems: [SourceLocation: [SourceLocation]] = [:]

    /// `a mapping`, `a sequence`, `an empty value` or the scalar's text, for "found ..." messages.
    static func describe(_ node: YAMLNode) -> String {
        switch node.content {
        case .mapping: return "a mapping"
        case .sequence: return "a sequence"
        case .scalar(let scalar):
            if node.isNull { return "an empty value" }
            let text = scalar.text.count > 40 ? String(scalar.text.prefix(40)) + "..." : scalar.text
            return "'\(text)'"
        }
    }

    mutating func mapping(_ node: YAMLNode) -> [YAMLPair]? {
        if let pairs = node.mapping { return pairs }
        diagnostics.error("wrong-type", "expected a mapping, found \(Self.describe(node))", at: node.location)
        return nil
    }

    mutating func sequence(_ node: YAMLNode) -> [YAMLNode]? {
        if let items = node.sequence { return items }
        diagnostics.error("wrong-type", "expected a sequence, found \(Self.describe(node))", at: node.location)
        return nil
    }

    mutating func scalar(_ node: YAMLNode) -> YAMLScalar? {
        if let scalar = node.scalar { return scalar }
        diagnostics.error("wrong-type", "expected a single value, found \(Self.describe(node))", at: node.location)
        return nil
    }

    /// Checks a mapping's keys against `declared`: unknown keys are errors (with a did-you-mean),
    /// and so are missing required ones. Returns the pairs of declared fields that are present;
    /// an optional field with an empty value counts as absent.
    ///
    /// `context` names the section in messages (`in source`); nil means the top level.
    mutating func fields(
        of node: YAMLNode, declared: [FieldSpec], context: String?
    ) -> [String: YAMLPair]? {
        guard let pairs = mapping(node) else { return nil }
        let names = declared.map(\.name)
        var found: [String: YAMLPair] = [:]
        // A misspelled required key is reported once, as unknown with its suggestion, not also as missing.
        var suggested: Set<String> = []
        for pair in pairs {
            let key = pair.key.keyText
            guard let field = declared.first(where: { $0.name == key }) else {
                let place = context.map { "key '\(key)' in \($0)" } ?? "top-level key '\(key)'"
                let suggestion = Suggestions.closest(to: key, in: names)
                if let suggestion { suggested.insert(suggestion) }
                let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
                diagnostics.error("unknown-key", "unknown \(place)\(hint)", at: pair.key.location)
                continue
            }
            if pair.value.isNull && !field.required { continue }
            found[key] = pair
        }
        for field in declared where field.required {
            if let pair = found[field.name] {
                if pair.value.isNull {
                    diagnostics.error("missing-value", "'\(field.name)' needs a value", at: pair.key.location)
                    found[field.name] = nil
                }
            } else if !suggested.contains(field.name) {
                let place = context.map { "key '\(field.name)' in \($0)" } ?? "top-level key '\(field.name)'"
                diagnostics.error("missing-key", "missing required \(place)", at: node.location)
            }
        }
        return found
    }

    // MARK: Scalar values

    mutating func string(_ node: YAMLNode) -> String? {
        scalar(node)?.text
    }

    /// A pipeline name: lowercase letters, digits, `.`, `_` and `-`.
    mutating func identifier(_ node: YAMLNode, noun: String) -> String? {
        guard let text = string(node) else { return nil }
        let legal = !text.isEmpty && text.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-"
        }
        guard legal else {
            diagnostics.error(
                "bad-name", "invalid \(noun) '\(text)': use lowercase letters, digits, '.', '_' and '-'",
                at: node.location)
            return nil
        }
        return text
    }

    /// A legal Kafka topic name.
    mutating func topic(_ node: YAMLNode) -> String? {
        guard let text = string(node) else { return nil }
        if let problem = TopicNames.problem(with: text) {
            diagnostics.error("bad-topic", problem, at: node.location)
            return nil
        }
        return text
    }

    /// One or more topics; a single scalar counts as a list of one.
    mutating func topicList(_ node: YAMLNode, noun: String) -> [String]? {
        if node.scalar != nil { return topic(node).map { [$0] } }
        guard let items = sequence(node) else { return nil }
        if items.isEmpty {
            diagnostics.error("empty-list", "\(noun) needs at least one topic", at: node.location)
            return nil
        }
        let topics = items.map { topic($0) }
        return topics.contains(nil) ? nil : topics.compactMap { $0 }
    }

    mutating func duration(_ node: YAMLNode) -> Int64? {
        guard let text = string(node) else { return nil }
        guard let milliseconds = DurationParser.milliseconds(text) else {
            diagnostics.error(
                "bad-duration", "invalid duration '\(text)': use a number with ms, s, m, h or d, e.g. 60s",
                at: node.location)
            return nil
        }
        return milliseconds
    }

    mutating func integer(_ node: YAMLNode, min: Int64?, max: Int64?, noun: String) -> Int64? {
        guard scalar(node) != nil else { return nil }
        guard case .int(let value)? = node.scalarValue else {
            diagnostics.error("wrong-type", "expected an integer, found \(Self.describe(node))", at: node.location)
            return nil
        }
        if let min, value < min {
            diagnostics.error("out-of-range", "\(noun) must be at least \(min), found \(value)", at: node.location)
            return nil
        }
        if let max, value > max {
            diagnostics.error("out-of-range", "\(noun) must be at most \(max), found \(value)", at: node.location)
            return nil
        }
        return value
    }

    mutating func boolean(_ node: YAMLNode) -> Bool? {
        guard scalar(node) != nil else { return nil }
        guard case .bool(let value)? = node.scalarValue else {
            diagnostics.error("wrong-type", "expected true or false, found \(Self.describe(node))", at: node.location)
            return nil
        }
        return value
    }

    /// One of a fixed set of words; `noun` names it in messages (`window type`).
    mutating func oneOf(_ node: YAMLNode, _ options: [String], noun: String) -> String? {
        guard let text = string(node) else { return nil }
        guard options.contains(text) else {
            let message: String
            if let suggestion = Suggestions.closest(to: text, in: options) {
                message = "unknown \(noun) '\(text)' (did you mean '\(suggestion)'?)"
            } else {
                message = "unknown \(noun) '\(text)': expected \(options.orList)"
            }
            diagnostics.error("unknown-value", message, at: node.location)
            return nil
        }
        return text
    }

    /// Name to scalar text, in order; an empty value gives nil.
    mutating func stringMap(_ node: YAMLNode) -> [(name: String, value: String?, location: SourceLocation)]? {
        guard let pairs = mapping(node) else { return nil }
        var result: [(name: String, value: String?, location: SourceLocation)] = []
        var ok = true
        for pair in pairs {
            guard scalar(pair.key) != nil else { ok = false; continue }
            if pair.value.isNull {
                result.append((pair.key.keyText, nil, pair.key.location))
            } else if let text = string(pair.value) {
                result.append((pair.key.keyText, text, pair.key.location))
            } else {
                ok = false
            }
        }
        return ok ? result : nil
    }
}

/// Kafka's rules for topic names.
public enum TopicNames {
    /// Why `name` is not a legal topic name, or nil when it is.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "a topic name cannot be empty" }
        if name == "." || name == ".." { return "'\(name)' is not allowed as a topic name" }
        let legal = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || $0 == "." || $0 == "_" || $0 == "-"
        }
        if !legal {
            return "invalid topic name '\(name)': use only letters, digits, '.', '_' and '-'"
        }
        if name.utf8.count > 249 { return "topic name is too long (\(name.utf8.count) characters, at most 249)" }
        return nil
    }
}
