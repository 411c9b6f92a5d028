import SluiceSupport

/// One record of an `--expect` file: what it says, and which parts it states (absent parts are
/// not checked, so hand-written files can leave out `ts`, `headers` or `key`).
public struct ExpectedLine: Sendable {
    public var record: Record
    public var line: Int
    public var checksKey: Bool
    public var checksValue: Bool
    public var checksTimestamp: Bool
    /// Headers that must be present (others are allowed).
    public var checksHeaders: Bool
}

/// One difference between produced and expected records, on one topic at one index.
public struct ExpectMismatch: Sendable {
    public var topic: String
    /// Zero-based index among the topic's records.
    public var index: Int
    public var expected: ExpectedLine?
    public var actual: Record?
    /// What differs: `key`, `value`, `ts`, `headers`, `missing`, `unexpected`.
    public var difference: String
}

/// Compares dry-run output with an expected recording, per topic and in order.
public enum ExpectDiff {
    /// Reads an expected recording (envelopes as `dry-run` prints them, or hand-written with
    /// `value` instead of `payload`); bad lines come back as diagnostics at file:line:col.
    public static func read(_ bytes: [UInt8], file: String, defaultTopic: String?) -> (lines: [ExpectedLine], diagnostics: [Diagnostic]) {
        var lines: [ExpectedLine] = [], diagnostics: [Diagnostic] = []
        var decoder = RecordingEnvelopeDecoder()
        var lineNumber = 0
        for text in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let location = SourceLocation(file: file, line: lineNumber, column: 1)
            guard text.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { continue }
            do {
                guard case .object(let object) = try JSON.parse(Array(text)) else {
                    diagnostics.append(.error(RecordingReader.invalidLineCode, "expected a json object (one record per line)", at: location))
                    continue
                }
                let record = try decoder.decode(object, defaultTopic: defaultTopic)
                lines.append(ExpectedLine(
                    record: record, line: lineNumber, checksKey: object["key"] != nil,
                    checksValue: object["payload"] != nil || object["value"] != nil, checksTimestamp: object["ts"] != nil,
                    checksHeaders: !record.headers.isEmpty))
            } catch let error as JSONError {
                diagnostics.append(.error(RecordingReader.invalidLineCode, "invalid json: \(error.reason)", at: location))
            } catch {
                diagnostics.append(.error(RecordingReader.invalidLineCode, "\(error)", at: location))
            }
        }
        return (lines, diagnostics)
    }

    /// Every difference, topics in order of first appearance (expected first), then by index.
    public static func compare(actual: [Record], expected: [ExpectedLine]) -> [ExpectMismatch] {
        var topics: [String] = []
        var actualByTopic: [String: [Record]] = [:], expectedByTopic: [String: [ExpectedLine]] = [:]
        for line in expected {
            if expectedByTopic[line.record.topic] == nil { topics.append(line.record.topic) }
            expectedByTopic[line.record.topic, default: []].append(line)
        }
        for record in actual {
            if actualByTopic[record.topic] == nil && expectedByTopic[record.topic] == nil { topics.append(record.topic) }
            actualByTopic[record.topic, default: []].append(record)
        }
        var mismatches: [ExpectMismatch] = []
        for topic in topics {
            let want = expectedByTopic[topic] ?? [], got = actualByTopic[topic] ?? []
            for index in 0..<max(want.count, got.count) {
                let e = index < want.count ? want[index] : nil
                let a = index < got.count ? got[index] : nil
                guard let difference = difference(e, a) else { continue }
                mismatches.append(ExpectMismatch(topic: topic, index: index, expected: e, actual: a, difference: difference))
            }
        }
        return mismatches
    }

    private static func difference(_ expected: ExpectedLine?, _ actual: Record?) -> String? {
        guard let expected else { return "unexpected" }
        guard let actual else { return "missing" }
        let want = expected.record
        if expected.checksKey && want.key != actual.key { return "key" }
        if expected.checksValue && !RecordMatch.samePayload(want.value, actual.value) { return "value" }
        if expected.checksTimestamp && want.timestamp != actual.timestamp { return "ts" }
        if expected.checksHeaders && !want.headers.allSatisfy(actual.headers.contains) { return "headers" }
        return nil
    }

    /// The mismatches as text for people, at most `limit` of them, ending with a newline.
    public static func render(_ mismatches: [ExpectMismatch], expectedFile: String, limit: Int = 20) -> String {
        var out = ""
        for mismatch in mismatches.prefix(limit) {
            let place = mismatch.expected.map { " (\(expectedFile):\($0.line))" } ?? ""
            switch mismatch.difference {
            case "missing": out += "\(mismatch.topic) #\(mismatch.index): expected record is missing\(place)\n"
            case "unexpected": out += "\(mismatch.topic) #\(mismatch.index): unexpected record\n"
            default: out += "\(mismatch.topic) #\(mismatch.index): \(mismatch.difference) differs\(place)\n"
            }
            if let expected = mismatch.expected { out += "  expected: \(expected.record.envelopeLine())" }
            if let actual = mismatch.actual { out += "  actual:   \(actual.envelopeLine())" }
        }
        if mismatches.count > limit { out += "... and \(mismatches.count - limit) more differences\n" }
        return out
    }
}
