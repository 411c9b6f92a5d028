import SluiceSupport

/// A `${VAR}` in a `kafka:` property that cannot be replaced. Never includes any value, so
/// secrets cannot leak through it.
public struct InterpolationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var property: String
    /// The missing variable, or nil when the reference itself is malformed.
    public var variable: String?
    public var location: SourceLocation

    public var description: String {
        if let variable {
            return "\(location): error: kafka property '\(property)' uses ${\(variable)}, but \(variable) is not set"
        }
        return "\(location): error: kafka property '\(property)' has a malformed ${...} reference: use ${NAME}"
    }

    public var diagnostic: Diagnostic {
        let message = variable.map { "kafka property '\(property)' uses ${\($0)}, but \($0) is not set" }
            ?? "kafka property '\(property)' has a malformed ${...} reference: use ${NAME}"
        return .error(variable == nil ? "bad-interpolation" : "missing-variable", message, at: location)
    }
}

extension Array where Element == KafkaProperty {
    /// The properties with every `${VAR}` replaced from `environment`; `$${` stands for a literal `${`.
    public func interpolated(environment: [String: String]) throws(InterpolationError) -> [String: String] {
        var result: [String: String] = [:]
        for property in self {
            result[property.name] = try property.interpolated(environment: environment)
        }
        return result
    }
}

extension PipelineSpec {
    /// `kafka:` with `${VAR}` replaced from `environment`.
    public func interpolatedKafka(environment: [String: String]) throws(InterpolationError) -> [String: String] {
        try kafka.interpolated(environment: environment)
    }
}

extension KafkaProperty {
    /// The value with `${VAR}` replaced; throws naming the first missing variable.
    public func interpolated(environment: [String: String]) throws(InterpolationError) -> String {
        var output = ""
        var rest = Substring(value)
        while let dollar = rest.firstIndex(of: "$") {
            output += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("${") {
                output += "${"
                rest = after.dropFirst(2)
            } else if after.hasPrefix("{") {
                guard let close = after.firstIndex(of: "}") else {
                    throw InterpolationError(property: name, variable: nil, location: location)
                }
                let variable = String(after[after.index(after: after.startIndex)..<close])
                guard Self.isVariableName(variable) else {
                    throw InterpolationError(property: name, variable: nil, location: location)
                }
                guard let replacement = environment[variable] else {
                    throw InterpolationError(property: name, variable: variable, location: location)
                }
                output += replacement
                rest = after[after.index(after: close)...]
            } else {
                output += "$"
                rest = after
            }
        }
        return output + rest
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.isASCIILetter else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0.isASCIILetter || ("0"..."9").contains($0) }
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}
