import SluiceSupport

/// Builds a `YAMLNode` tree from libyaml events with an explicit stack (no recursion), expanding
/// aliases and enforcing the size and depth limits.
struct TreeBuilder {
    let source: SourceText
    private(set) var diagnostics: [Diagnostic] = []
    private(set) var stopped = false
    private var root: YAMLNode?
    private var documentCount = 0
    private var stack: [Frame] = []
    private var anchors: [String: Anchored] = [:]
    private var nodeCount = 0
    private var fatal = false

    /// An anchored node and what inserting a copy of it costs.
    private struct Anchored {
        var node: YAMLNode
        var size: Int
        var height: Int
    }

    /// A sequence or mapping still open.
    private struct Frame {
        var isMapping: Bool
        var isFlow: Bool
        var location: SourceLocation
        var tag: String?
        var anchor: String?
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLNode?
        var size = 1
        var height = 1
    }

    init(source: SourceText) {
        self.source = source
    }

    func document() -> YAMLDocument {
        YAMLDocument(root: fatal ? nil : root, diagnostics: diagnostics)
    }

    /// Stops loading with an error; the partial tree is dropped.
    mutating func fail(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
        stopped = true
        fatal = true
    }

    mutating func startDocument(at location: SourceLocation) {
        documentCount += 1
        if documentCount > 1 {
            diagnostics.append(.error("yaml-multiple-documents",
                                      "only one yaml document is allowed per file; remove this second document",
                                      at: location))
            stopped = true
        }
    }

    mutating func scalar(_ text: String, style: ScalarStyle, tag: String?, anchor: String?,
                         start: SourceLocation, end: SourceLocation) {
        let starts = ScalarLines.lineStarts(text: text, style: style, start: start, end: end, source: source)
        let node = YAMLNode(content: .scalar(YAMLScalar(text: text, style: style, lineStarts: starts)),
                            location: start, endLocation: end, tag: tag)
        if let anchor { anchors[anchor] = Anchored(node: node, size: 1, height: 1) }
        guard count(1, at: start) else { return }
        add(node, size: 1, height: 1)
    }

    mutating func alias(_ name: String, start: SourceLocation, end: SourceLocation) {
        guard let anchored = anchors[name] else {
            diagnostics.append(.error("yaml-unknown-alias",
                                      "alias '*\(name)' does not refer to an anchor '&\(name)' defined before it",
                                      at: start))
            let empty = YAMLScalar(text: "", style: .plain, lineStarts: [start])
            guard count(1, at: start) else { return }
            add(YAMLNode(content: .scalar(empty), location: start, endLocation: end), size: 1, height: 1)
            return
        }
        if stack.count + anchored.height > YAMLLoader.maxDepth {
            fail(.error("yaml-too-deep", "alias '*\(name)' nests the document deeper than \(YAMLLoader.maxDepth) levels",
                        at: start))
            return
        }
        guard count(anchored.size, at: start) else { return }
        var node = anchored.node
        node.location = start
        node.endLocation = end
        add(node, size: anchored.size, height: anchored.height)
    }

    mutating func startCollection(isMapping: Bool, isFlow: Bool, tag: String?, anchor: String?,
                                  start: SourceLocation) {
        if stack.count >= YAMLLoader.maxDepth {
            fail(.error("yaml-too-deep", "the document nests deeper than \(YAMLLoader.maxDepth) levels", at: start))
            return
        }
        guard count(1, at: start) else { return }
        stack.append(Frame(isMapping: isMapping, isFlow: isFlow, location: start, tag: tag, anchor: anchor))
    }

    mutating func endCollection(end: SourceLocation) {
        guard var frame = stack.popLast() else { return }
        let content: YAMLNode.Content
        var last: YAMLNode?
        if frame.isMapping {
            last = frame.pairs.last?.value
            checkDuplicateKeys(frame.pairs)
            frame.pairs = applyMergeKeys(frame.pairs)
            content = .mapping(frame.pairs)
        } else {
            last = frame.items.last
            content = .sequence(frame.items)
        }
        // A block collection's end mark is where the next token starts, often lines later.
        let endLocation = frame.isFlow ? end : (last?.endLocation ?? end)
        let node = YAMLNode(content: content, location: frame.location, endLocation: endLocation, tag: frame.tag)
        if let anchor = frame.anchor {
            anchors[anchor] = Anchored(node: node, size: frame.size, height: frame.height)
        }
        add(node, size: frame.size, height: frame.height)
    }

    /// Counts `nodes` new nodes (an alias counts its whole copy); false once past the limit.
    private mutating func count(_ nodes: Int, at location: SourceLocation) -> Bool {
        nodeCount += nodes
        guard nodeCount > YAMLLoader.maxNodes else { return true }
        fail(.error("yaml-too-large",
                    "the document expands to more than \(YAMLLoader.maxNodes) nodes (too many aliases?)",
                    at: location))
        return false
    }

    /// Attaches a finished node to the open collection, or makes it the root.
    private mutating func add(_ node: YAMLNode, size: Int, height: Int) {
        guard !stack.isEmpty else {
            if root == nil { root = node }
            return
        }
        let top = stack.count - 1
        stack[top].size += size
        stack[top].height = max(stack[top].height, height + 1)
        if !stack[top].isMapping {
            stack[top].items.append(node)
        } else if let key = stack[top].pendingKey {
            stack[top].pairs.append(YAMLPair(key: key, value: node))
            stack[top].pendingKey = nil
        } else {
            stack[top].pendingKey = node
        }
    }

    private mutating func checkDuplicateKeys(_ pairs: [YAMLPair]) {
        var seen: [String: SourceLocation] = [:]
        for pair in pairs {
            guard let key = pair.key.scalar?.text, !isMergeKey(pair.key) else { continue }
            if let first = seen[key] {
                diagnostics.append(.error("yaml-duplicate-key",
                                          "duplicate key '\(key)' (first defined at line \(first.line))",
                                          at: pair.key.location))
            } else {
                seen[key] = pair.key.location
            }
        }
    }

    private func isMergeKey(_ key: YAMLNode) -> Bool {
        guard let scalar = key.scalar else { return false }
        return scalar.text == "<<" && (scalar.style == .plain || key.tag == "!!merge")
    }

    /// Replaces `<<: *base` (or a list of such) with the merged mappings' pairs not set explicitly.
    private mutating func applyMergeKeys(_ pairs: [YAMLPair]) -> [YAMLPair] {
        guard pairs.contains(where: { isMergeKey($0.key) }) else { return pairs }
        var explicit = Set(pairs.compactMap { isMergeKey($0.key) ? nil : $0.key.scalar?.text })
        var result: [YAMLPair] = []
        for pair in pairs {
            guard isMergeKey(pair.key) else {
                result.append(pair)
                continue
            }
            let sources: [YAMLNode]
            switch pair.value.content {
            case .mapping: sources = [pair.value]
            case .sequence(let items): sources = items
            case .scalar:
                sources = []
                diagnostics.append(.error("yaml-bad-merge", "a merge key '<<' needs a mapping or a list of mappings",
                                          at: pair.value.location))
            }
            for source in sources {
                guard let merged = source.mapping else {
                    diagnostics.append(.error("yaml-bad-merge", "a merge key '<<' needs a mapping or a list of mappings",
                                              at: source.location))
                    continue
                }
                for mergedPair in merged {
                    guard let key = mergedPair.key.scalar?.text else { continue }
                    if explicit.insert(key).inserted { result.append(mergedPair) }
                }
            }
        }
        return result
    }
}
