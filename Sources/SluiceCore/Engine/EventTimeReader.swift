import SluiceSupport

/// Reads a record's event time, in epoch milliseconds, as `source.event_time` says.
struct EventTimeReader: Sendable {
    let eventTime: EventTime

    /// The event time, or a message saying why there is none (the record is then an error record).
    func read(value: Value, timestamp: Int64) -> Result<Int64, EventTimeError> {
        guard case .field(let path, let unit) = eventTime else { return .success(timestamp) }
        guard let field = FieldPath.lookup(path, in: value) else {
            return .failure(EventTimeError("event-time field '\(path.joined(separator: "."))' is missing"))
        }
        switch (unit, field) {
        case (.seconds, .int(let seconds)):
            let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
            return overflow ? .failure(outOfRange(path)) : .success(ms)
        case (.seconds, .double(let seconds)):
            return milliseconds(seconds * 1000, path)
        case (.milliseconds, .int(let ms)):
            return .success(ms)
        case (.milliseconds, .double(let ms)):
            return milliseconds(ms, path)
        case (.iso8601, .string(let text)):
            guard let ms = ISO8601Time.parse(text) else {
                return .failure(EventTimeError("event-time field '\(path.joined(separator: "."))' is not an iso8601 time: \(text.debugDescription)"))
            }
            return .success(ms)
        default:
            let expected = unit == .iso8601 ? "an iso8601 string" : "a number of \(unit.rawValue)"
            return .failure(EventTimeError(
                "event-time field '\(path.joined(separator: "."))' is \(field.typeName), expected \(expected)"))
        }
    }

    private func milliseconds(_ ms: Double, _ path: [String]) -> Result<Int64, EventTimeError> {
        let rounded = ms.rounded()
        guard rounded.isFinite, rounded > -9.2e18, rounded < 9.2e18 else { return .failure(outOfRange(path)) }
        return .success(Int64(rounded))
    }

    private func outOfRange(_ path: [String]) -> EventTimeError {
        EventTimeError("event-time field '\(path.joined(separator: "."))' is out of range")
    }
}

struct EventTimeError: Error, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Field paths inside record values.
enum FieldPath {
    static func lookup(_ path: [String], in value: Value) -> Value? {
        var current = value
        for name in path {
            guard case .object(let object) = current, let next = object[name] else { return nil }
            current = next
        }
        return current
    }
}

/// ISO 8601 / RFC 3339 date-times without Foundation: `2025-01-16T01:13:20Z`,
/// `2025-01-16T02:13:20.5+01:00`, `2025-01-16 01:13:20`, `...+0100`. No zone means UTC.
public enum ISO8601Time {
    /// Epoch milliseconds, or nil when the text is not such a date-time.
    public static func parse(_ text: String) -> Int64? {
        var bytes = Array(text.utf8)[...]
        func number(_ digits: Int) -> Int64? {
            guard bytes.count >= digits else { return nil }
            var result: Int64 = 0
            for _ in 0..<digits {
                let c = bytes.removeFirst()
                guard c >= 0x30, c <= 0x39 else { return nil }
                result = result * 10 + Int64(c - 0x30)
            }
            return result
        }
        func skip(_ c: UInt8) -> Bool {
            guard bytes.first == c else { return false }
            bytes.removeFirst()
            return true
        }
        guard let year = number(4), skip(UInt8(ascii: "-")), let month = number(2), skip(UInt8(ascii: "-")),
            let day = number(2), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        guard let separator = bytes.first, separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t")
            || separator == UInt8(ascii: " ")
        else { return nil }
        bytes.removeFirst()
        guard let hour = number(2), skip(UInt8(ascii: ":")), let minute = number(2), skip(UInt8(ascii: ":")),
            let second = number(2), hour < 24, minute < 60, second <= 60
        else { return nil }
        var millis: Int64 = 0
        if skip(UInt8(ascii: ".")) || skip(UInt8(ascii: ",")) {
            var digits = 0
            while let c = bytes.first, c >= 0x30, c <= 0x39 {
                bytes.removeFirst()
                if digits < 3 { millis = millis * 10 + Int64(c - 0x30) }
                digits += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { millis *= 10 }
        }
        var offsetMinutes: Int64 = 0
        if skip(UInt8(ascii: "Z")) || skip(UInt8(ascii: "z")) {
        } else if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            bytes.removeFirst()
            guard let hours = number(2) else { return nil }
            _ = skip(UInt8(ascii: ":"))
            guard let minutes = number(2), hours < 24, minutes < 60 else { return nil }
            offsetMinutes = (hours * 60 + minutes) * (sign == UInt8(ascii: "-") ? -1 : 1)
        }
        guard bytes.isEmpty else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = ((days * 24 + hour) * 60 + minute - offsetMinutes) * 60 + second
        return seconds * 1000 + millis
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
