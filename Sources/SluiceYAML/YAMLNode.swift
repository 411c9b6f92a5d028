import SluiceSupport

/// A YAML node with the position where it starts in its file.
public struct YAMLNode: Sendable {
    public enum Content: Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var content: Content
    /// Where the node starts (for a mapping or sequence, its first key or item or its `{`/`[`).
    public var location: SourceLocation
    /// Where the node ends (just past its last character).
    public var endLocation: SourceLocation
    /// An explicit tag such as `!!str`, or nil.
    public var tag: String?

    public init(content: Content, location: SourceLocation, endLocation: SourceLocation, tag: String? = nil) {
        self.content = content
        self.location = location
        self.endLocation = endLocation
        self.tag = tag
    }
}

public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

public enum ScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// A scalar's text after YAML unescaping and folding, plus what is needed to map an offset in
/// that text back to a line and column in the file (for errors inside expressions).
public struct YAMLScalar: Sendable {
    public var text: String
    public var style: ScalarStyle
    /// For each line of `text` (split on "\n"), where its first character sits in the file,
    /// when that is known exactly; used by `location(ofUTF8Offset:)`.
    public var lineStarts: [SourceLocation]

    public init(text: String, style: ScalarStyle, lineStarts: [SourceLocation]) {
        self.text = text
        self.style = style
        self.lineStarts = lineStarts
    }
}
