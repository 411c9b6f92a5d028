import CYAML
import SluiceSupport

/// The result of loading one YAML file.
public struct YAMLDocument: Sendable {
    /// The root node, nil when the text has no document or could not be parsed at all.
    public var root: YAMLNode?
    /// Syntax errors, duplicate keys and similar, each at its position. Empty when all went well.
    public var diagnostics: [Diagnostic]

    public init(root: YAMLNode?, diagnostics: [Diagnostic]) {
        self.root = root
        self.diagnostics = diagnostics
    }
}

public enum YAMLLoader {
    /// Most nodes a document may expand to, counting every alias expansion (billion laughs).
    public static let maxNodes = 1_000_000
    /// Deepest nesting of sequences and mappings accepted.
    public static let maxDepth = 512

    /// Parses `text` (the contents of `file`) with libyaml into a node tree.
    ///
    /// Never throws and never crashes on bad input: problems come back as diagnostics.
    public static func load(_ text: String, file: String) -> YAMLDocument {
        parse(bytes: Array(text.utf8), source: SourceText(text: text, file: file))
    }

    /// Parses the raw bytes of `file`; bytes that are not valid UTF-8 give a `yaml-invalid-utf8` error.
    public static func load(bytes: [UInt8], file: String) -> YAMLDocument {
        if let offset = firstInvalidUTF8Offset(bytes) {
            let location = SourceText.location(ofByteOffset: offset, in: bytes, file: file)
            let byte = String(bytes[offset], radix: 16, uppercase: false)
            let message = "the file is not valid utf-8 text (byte 0x\(byte) at offset \(offset))"
            return YAMLDocument(root: nil, diagnostics: [.error("yaml-invalid-utf8", message, at: location)])
        }
        return parse(bytes: bytes, source: SourceText(text: String(decoding: bytes, as: UTF8.self), file: file))
    }

    static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// Runs libyaml's event parser over `bytes` and feeds the events to a tree builder.
    private static func parse(bytes: [UInt8], source: SourceText) -> YAMLDocument {
        var builder = TreeBuilder(source: source)
        // yaml_parser_t points into itself once its input is set, so it must not move: heap-allocate it.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            return YAMLDocument(root: nil, diagnostics: [.error("yaml-internal", "could not start the yaml parser", at: nil)])
        }
        defer { yaml_parser_delete(parser) }
        // libyaml reads the input lazily during parsing: this copy lives until the function returns.
        let input = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        defer { input.deallocate() }
        input.initialize(from: bytes, count: bytes.count)
        yaml_parser_set_input_string(parser, input, bytes.count)

        let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
        defer { event.deallocate() }
        while true {
            guard yaml_parser_parse(parser, event) == 1 else {
                builder.fail(syntaxError(parser.pointee, bytes: bytes, source: source))
                break
            }
            let keepGoing = handle(event.pointee, builder: &builder)
            yaml_event_delete(event)
            if !keepGoing { break }
        }
        return builder.document()
    }

    /// Passes one event to the builder; false once the stream has ended or loading must stop.
    private static func handle(_ event: yaml_event_t, builder: inout TreeBuilder) -> Bool {
        let start = location(event.start_mark, builder.source)
        let end = location(event.end_mark, builder.source)
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return false
        case YAML_DOCUMENT_START_EVENT:
            builder.startDocument(at: start)
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let text = string(data.value, length: data.length) ?? ""
            builder.scalar(text, style: style(data.style), tag: tag(data.tag), anchor: string(data.anchor),
                           start: start, end: end)
        case YAML_ALIAS_EVENT:
            builder.alias(string(event.data.alias.anchor) ?? "", start: start, end: end)
        case YAML_SEQUENCE_START_EVENT:
            let data = event.data.sequence_start
            builder.startCollection(isMapping: false, isFlow: data.style == YAML_FLOW_SEQUENCE_STYLE,
                                    tag: tag(data.tag), anchor: string(data.anchor), start: start)
        case YAML_MAPPING_START_EVENT:
            let data = event.data.mapping_start
            builder.startCollection(isMapping: true, isFlow: data.style == YAML_FLOW_MAPPING_STYLE,
                                    tag: tag(data.tag), anchor: string(data.anchor), start: start)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            builder.endCollection(end: end)
        default:
            break
        }
        return !builder.stopped
    }

    private static func syntaxError(_ parser: yaml_parser_t, bytes: [UInt8], source: SourceText) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0).lowercased() } ?? "invalid yaml"
        if parser.error == YAML_READER_ERROR {
            let at = SourceText.location(ofByteOffset: parser.problem_offset, in: bytes, file: source.file)
            let code = problem.contains("utf-8") ? "yaml-invalid-utf8" : "yaml-syntax"
            var message = problem
            if parser.problem_value >= 0 {
                message += " (character 0x\(String(parser.problem_value, radix: 16)))"
            }
            return .error(code, message, at: at)
        }
        if parser.error == YAML_MEMORY_ERROR {
            return .error("yaml-too-large", "the yaml parser ran out of memory", at: nil)
        }
        // libyaml reports errors at the end of input on an extra line; show them after the last text.
        let atEnd = parser.problem_mark.index >= source.scalarCount
        let at = atEnd ? source.endOfContent : location(parser.problem_mark, source)
        if source.scalar(atLine: at.line, column: at.column) == "\t" {
            return .error("yaml-syntax", "tab characters cannot be used for indentation; use spaces", at: at)
        }
        var message = problem
        if let context = parser.context.map({ String(cString: $0).lowercased() }) {
            let contextAt = location(parser.context_mark, source)
            message += " (\(context) started at line \(contextAt.line), column \(contextAt.column))"
        }
        return .error("yaml-syntax", message, at: at)
    }

    private static func location(_ mark: yaml_mark_t, _ source: SourceText) -> SourceLocation {
        SourceLocation(file: source.file, line: mark.line + 1, column: mark.column + 1)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String? {
        pointer.map { String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self) }
    }

    /// The tag as written in short form: `tag:yaml.org,2002:str` becomes `!!str`.
    private static func tag(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let full = string(pointer) else { return nil }
        let prefix = "tag:yaml.org,2002:"
        return full.hasPrefix(prefix) ? "!!" + full.dropFirst(prefix.count) : full
    }

    private static func style(_ style: yaml_scalar_style_t) -> ScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }
}
