import SluiceSupport

extension YAMLNode {
    /// The scalar, when this node is one.
    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = content { scalar } else { nil }
    }

    /// The items, when this node is a sequence.
    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = content { items } else { nil }
    }

    /// The key-value pairs in file order, when this node is a mapping.
    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = content { pairs } else { nil }
    }

    /// "scalar", "sequence" or "mapping", for messages.
    public var kindName: String {
        switch content {
        case .scalar: "scalar"
        case .sequence: "sequence"
        case .mapping: "mapping"
        }
    }

    /// The first pair whose key is a scalar with this text, when this node is a mapping.
    public func pair(forKey key: String) -> YAMLPair? {
        mapping?.first { $0.key.scalar?.text == key }
    }

    /// The value of the first pair whose key is a scalar with this text, when this node is a mapping.
    public func value(forKey key: String) -> YAMLNode? {
        pair(forKey: key)?.value
    }

    /// True for a plain scalar that the core schema reads as null (`null`, `~`, empty) without a tag.
    public var isNull: Bool {
        if case .null = scalarValue { true } else { false }
    }

    /// The scalar's text when it resolves to a string (quoted, block, `!!str`, or plain non-special text).
    public var stringValue: String? {
        if case .string(let text) = scalarValue { text } else { nil }
    }

    /// The scalar resolved with the YAML 1.2 core schema, nil for sequences and mappings.
    public var scalarValue: Value? {
        guard let scalar else { return nil }
        return CoreSchema.resolve(scalar, tag: tag)
    }

    /// Converts the subtree to a `Value` using the YAML 1.2 core schema; mapping keys become their text.
    public func toValue() -> Value {
        switch content {
        case .scalar(let scalar):
            return CoreSchema.resolve(scalar, tag: tag)
        case .sequence(let items):
            return .array(items.map { $0.toValue() })
        case .mapping(let pairs):
            var object = JSONObject()
            for pair in pairs {
                object[pair.key.keyText] = pair.value.toValue()
            }
            return .object(object)
        }
    }

    /// A mapping key as text: a scalar's text, or a short flow-style rendering of a collection.
    public var keyText: String {
        switch content {
        case .scalar(let scalar):
            return scalar.text
        case .sequence(let items):
            return "[" + items.map(\.keyText).joined(separator: ", ") + "]"
        case .mapping(let pairs):
            return "{" + pairs.map { "\($0.key.keyText): \($0.value.keyText)" }.joined(separator: ", ") + "}"
        }
    }
}
