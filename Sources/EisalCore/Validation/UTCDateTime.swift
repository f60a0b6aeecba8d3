// Date-times of ETA documents: UTC, ISO 8601 with `Z`, e.g. `2015-02-13T13:15:00Z`.
// Source: ETA SDK /documents/invoice-v1-0/ (format), /main-calculations/ rule 4 (not in the
// future); spec/common.md "Formats".

/// A parsed ETA date-time, as seconds since 1970-01-01T00:00:00Z.
public struct UTCDateTime: Sendable, Hashable, Comparable {
    /// Seconds since the Unix epoch (fractions dropped).
    public var secondsSinceEpoch: Int64

    public init(secondsSinceEpoch: Int64) { self.secondsSinceEpoch = secondsSinceEpoch }

    public static func < (a: UTCDateTime, b: UTCDateTime) -> Bool { a.secondsSinceEpoch < b.secondsSinceEpoch }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z`; seconds may be left out when `allowMissingSeconds`
    /// (query parameters such as `2015-02-13T13:15Z`). Returns `nil` for anything else.
    public init?(_ text: String, allowMissingSeconds: Bool = false) {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var v = 0
            for k in at ..< at + count {
                guard b[k] >= 48, b[k] <= 57 else { return nil }
                v = v * 10 + Int(b[k] - 48)
            }
            return v
        }
        guard b.count >= 17, let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
              let day = digits(8, 2), b[10] == UInt8(ascii: "T"), let hour = digits(11, 2), b[13] == UInt8(ascii: ":"),
              let minute = digits(14, 2) else { return nil }
        var i = 16
        var second = 0
        if i < b.count, b[i] == UInt8(ascii: ":") {
            guard let s = digits(17, 2) else { return nil }
            second = s
            i = 19
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                let start = i
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
                guard i > start, i - start <= 9 else { return nil }
            }
        } else if !allowMissingSeconds {
            return nil
        }
        guard i == b.count - 1, b[i] == UInt8(ascii: "Z") else { return nil }
        guard (1 ... 12).contains(month), hour < 24, minute < 60, second < 60, year >= 1 else { return nil }
        guard (1 ... UTCDateTime.daysIn(month: month, year: year)).contains(day) else { return nil }
        let days = UTCDateTime.daysFromCivil(year: year, month: month, day: day)
        secondsSinceEpoch = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    public var iso8601: String {
        let days = Int(floorDiv(secondsSinceEpoch, 86400))
        let secs = Int(secondsSinceEpoch - Int64(days) * 86400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = String(y)
        return "\(String(repeating: "0", count: max(0, 4 - year.count)))\(year)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))Z"
    }

    private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
